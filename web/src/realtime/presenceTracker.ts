// Presence for direct-conversation peers and friends. The server pushes `presence` changes, but
// only their current state on request: so each user is asked for once per connection, when they
// first appear (a new direct conversation, a new friend), and everyone again after a reconnect.
import type { PresenceEvent } from "../api/types";
import { useConversations } from "../stores/conversations";
import { otherParty, useFriends } from "../stores/friends";
import { usePresence } from "../stores/presence";
import { emitAck, isConnected } from "./socket";

const BATCH = 200;

// Users asked about on the current connection.
const asked = new Set<number>();

function watchedUsers(): Set<number> {
  const ids = new Set<number>();
  for (const c of Object.values(useConversations.getState().byId)) if (c.peer_id != null) ids.add(c.peer_id);
  for (const f of useFriends.getState().lists.friends) ids.add(otherParty(f));
  return ids;
}

/** Asks for the users not asked about yet on this connection. */
export async function askNewPresence(): Promise<void> {
  if (!isConnected()) return;
  const fresh = [...watchedUsers()].filter((id) => !asked.has(id));
  for (const id of fresh) asked.add(id);
  for (let i = 0; i < fresh.length; i += BATCH) {
    const batch = fresh.slice(i, i + BATCH);
    try {
      const ack = await emitAck<{ users: PresenceEvent[] }>("get_presence", { user_ids: batch });
      if (ack.ok) usePresence.getState().apply(ack.users);
    } catch {
      for (const id of batch) asked.delete(id);
    }
  }
}

/** A new connection: everyone's state may have changed while offline. */
export function forgetAskedPresence(): void {
  asked.clear();
}

/** Asks whenever the conversation or friend lists bring in someone new; returns the unsubscribe. */
export function trackPresence(): () => void {
  const offConversations = useConversations.subscribe((s, prev) => {
    if (s.byId !== prev.byId) void askNewPresence();
  });
  const offFriends = useFriends.subscribe((s, prev) => {
    if (s.lists !== prev.lists) void askNewPresence();
  });
  return () => {
    offConversations();
    offFriends();
  };
}
