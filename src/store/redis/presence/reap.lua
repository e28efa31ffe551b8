-- Reaps up to ARGV[3] users of node ARGV[2], whose lease ran out. KEYS[2]: that node's set of
-- users. Returns {done, went_offline}: done = 1 when nothing of the node is left (or it renewed
-- its lease meanwhile and is left alone); went_offline lists the users with no socket left on
-- any live node. Atomic, and each user is popped once, so nodes reaping the same dead node at
-- the same time never report a user twice.
local dead, theirs = ARGV[2], KEYS[2]
if live(dead) then
  return {1, {}}
end
local went = {}
for _, uid in ipairs(redis.call('SPOP', theirs, tonumber(ARGV[3]))) do
  local user = P .. 'user:' .. uid
  local had = tonumber(redis.call('HGET', user, dead) or '0')
  redis.call('HDEL', user, dead)
  if had > 0 and live_sockets(user, dead) == 0 then
    forget_dead(user, uid)
    went[#went + 1] = uid
  end
end
if redis.call('SCARD', theirs) == 0 then
  redis.call('ZREM', NODES, dead)
  return {1, went}
end
return {0, went}
