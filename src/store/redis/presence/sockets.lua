-- Sockets of each user whose hash is named in KEYS[2..], on live nodes other than ARGV[2] (the
-- asking node, which counts its own from memory). Returns one count per user, in order.
local counts = {}
for i = 2, #KEYS do
  counts[i - 1] = live_sockets(KEYS[i], ARGV[2])
end
return counts
