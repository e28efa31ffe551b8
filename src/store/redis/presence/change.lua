-- A socket of user ARGV[3] came (ARGV[4] = 1) or went (ARGV[4] = -1) on node ARGV[2].
-- KEYS[2]: the user's hash (node tag -> sockets); KEYS[3]: the node's set of users.
-- Returns {changed, drift}. changed = 1: this was the user's first socket on any live node, or
-- their last. drift = 1: the count went below zero, so Redis has lost this node's counts (a
-- restart) and the node must write them all again.
local tag, uid, delta = ARGV[2], ARGV[3], tonumber(ARGV[4])
local user, mine = KEYS[2], KEYS[3]
local count = redis.call('HINCRBY', user, tag, delta)
local before = count - delta
if count > 0 then
  redis.call('SADD', mine, uid)
else
  redis.call('HDEL', user, tag)
  redis.call('SREM', mine, uid)
end
local changed = 0
if (before > 0) ~= (count > 0) and live_sockets(user, tag) == 0 then
  changed = 1
  if count <= 0 then
    forget_dead(user, uid)
  end
end
return {changed, count < 0 and 1 or 0}
