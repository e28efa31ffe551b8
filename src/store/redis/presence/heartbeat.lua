-- Renews node ARGV[2]'s lease for ARGV[3] ms, if it still holds one. KEYS[1] only.
-- Returns {held, expired}: held = 1 when the lease had not run out and is renewed; 0 when it
-- had (Redis restarted, or other nodes took the node for dead): the node then takes a new
-- lease together with its whole state (`reassert.lua`), so a live lease always comes with the
-- node's counts. expired lists up to ARGV[4] other nodes whose lease ran out.
local held = live(ARGV[2])
if held then
  redis.call('ZADD', NODES, NOW + tonumber(ARGV[3]), ARGV[2])
end
return {held and 1 or 0, expired(tonumber(ARGV[4]))}
