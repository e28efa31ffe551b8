-- Writes node ARGV[2]'s whole state again and renews its lease for ARGV[3] ms: after Redis lost
-- it (a restart, or the lease ran out and another node reaped it), or when the outcome of a
-- write is unknown. ARGV[5..] are pairs (user id, sockets) of every user the node holds.
-- KEYS[2]: the node's set of users.
-- Returns {came_online, went_offline, expired}: users online again because of this (nobody else
-- counted them), users gone since (their last socket closed while Redis did not hear of it), and
-- up to ARGV[4] nodes whose lease ran out.
local tag, mine = ARGV[2], KEYS[2]
local held = live(tag)
redis.call('ZADD', NODES, NOW + tonumber(ARGV[3]), tag)
local counts = {}
for i = 5, #ARGV, 2 do
  counts[ARGV[i]] = ARGV[i + 1]
end
local came, went = {}, {}
for _, uid in ipairs(redis.call('SMEMBERS', mine)) do
  if counts[uid] == nil then
    local user = P .. 'user:' .. uid
    local had = tonumber(redis.call('HGET', user, tag) or '0')
    redis.call('HDEL', user, tag)
    redis.call('SREM', mine, uid)
    if had > 0 and live_sockets(user, tag) == 0 then
      forget_dead(user, uid)
      went[#went + 1] = uid
    end
  end
end
for uid, count in pairs(counts) do
  local user = P .. 'user:' .. uid
  local own = tonumber(redis.call('HGET', user, tag) or '0')
  if not ((held and own > 0) or live_sockets(user, tag) > 0) then
    came[#came + 1] = uid
  end
  redis.call('HSET', user, tag, count)
  redis.call('SADD', mine, uid)
end
return {came, went, expired(tonumber(ARGV[4]))}
