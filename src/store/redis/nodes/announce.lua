-- Lists node ARGV[1] until ARGV[2] ms from now, by Redis' clock, with its card ARGV[3].
-- KEYS[1]: the sorted set of nodes (tag -> deadline); KEYS[2]: this node's card.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
