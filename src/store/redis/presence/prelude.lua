-- Shared by every presence script (prepended to each one).
-- KEYS[1] is the lease set `{prefix}presence:nodes` (node tag -> lease deadline, ms);
-- ARGV[1] is the key prefix `{prefix}presence:`.
local P = ARGV[1]
local NODES = KEYS[1]
-- Redis' clock, not the nodes': every lease is granted and checked by the same clock.
local time = redis.call('TIME')
local NOW = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local live_cache = {}
-- Whether node `tag` holds a lease that has not run out.
local function live(tag)
  local known = live_cache[tag]
  if known == nil then
    local deadline = redis.call('ZSCORE', NODES, tag)
    known = deadline ~= false and tonumber(deadline) > NOW
    live_cache[tag] = known
  end
  return known
end

-- The sockets counted in the user hash `key` by live nodes other than `except` (nil: none).
local function live_sockets(key, except)
  local fields = redis.call('HGETALL', key)
  local total = 0
  for i = 1, #fields, 2 do
    local tag, count = fields[i], tonumber(fields[i + 1])
    if tag ~= except and count > 0 and live(tag) then
      total = total + count
    end
  end
  return total
end

-- User `uid` has no socket on a live node any more and is being announced offline: forget what
-- dead nodes still count for them, so that reaping those nodes later does not announce it again.
local function forget_dead(key, uid)
  for _, tag in ipairs(redis.call('HKEYS', key)) do
    redis.call('SREM', P .. 'node:' .. tag, uid)
  end
  redis.call('DEL', key)
end

-- Up to `limit` nodes whose lease ran out: the ones to reap.
local function expired(limit)
  return redis.call('ZRANGEBYSCORE', NODES, '-inf', NOW, 'LIMIT', 0, limit)
end

