-- The cards of live nodes, oldest first, and how many distinct users they hold.
-- KEYS[1]: the sorted set of nodes (tag -> deadline). ARGV[1]: the cards' key prefix;
-- ARGV[2]: the prefix of presence's per-node user sets; ARGV[3]: the most users to count.
-- Returns {distinct users (-1: too many to count), card, card, ...}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local result = {0}
local sets = {}
local members = 0
for _, tag in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local card = redis.call('GET', ARGV[1] .. tag)
  if card then
    result[#result + 1] = card
    sets[#sets + 1] = ARGV[2] .. tag
    members = members + redis.call('SCARD', ARGV[2] .. tag)
  end
end
-- SUNION builds the whole union in Redis' memory, blocking every client meanwhile: only below
-- a bound that keeps it to a few milliseconds.
if members > tonumber(ARGV[3]) then
  result[1] = -1
elseif #sets > 0 then
  result[1] = #redis.call('SUNION', unpack(sets))
end
return result
