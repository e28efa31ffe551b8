// What happens on every (re)connect, per the README's catch-up recipe: live events sent while
// offline are lost, storage is not. So: resend unacknowledged sends (same client_msg_id), re-read
// the conversation list (unread counts, new conversations), ask for presence again, and read
// every loaded conversation forward from its newest held message with `after=`.
import { fetchHistory } from "../api/conversations";
import { ApiError } from "../api/http";
import type { PresenceEvent } from "../api/types";
import { catchUpAfter } from "../logic/catchup";
import { newestMessageId } from "../logic/timeline";
import { useConversations } from "../stores/conversations";
import { useFriends } from "../stores/friends";
import { useGroups } from "../stores/groups";
import { PAGE_SIZE, useMessages } from "../stores/messages";
import { usePresence } from "../stores/presence";
import { useView } from "../stores/view";
import { otherParty } from "../stores/friends";
import { flushOutbox } from "./outbox";
import { markWatchedRead, resetReadMarkers } from "./readMarker";
import { emitAck } from "./socket";

const PRESENCE_BATCH = 200;

/** Brings one loaded conversation up to date after a gap. */
export async function catchUpConversation(conversationId: string): Promise<void> {
  const messages = useMessages.getState();
  const timeline = messages.timelines[conversationId];
  if (!timeline?.loaded) return;
  try {
    const newest = newestMessageId(timeline);
    const result = newest
      ? await catchUpAfter((after, limit) => fetchHistory(conversationId, { after }, limit), newest)
      : { messages: await fetchHistory(conversationId, { latest: true }, PAGE_SIZE), complete: true };
    if (result.complete) {
      useMessages.getState().receive(conversationId, result.messages);
    } else {
      const latest = await fetchHistory(conversationId, { latest: true }, PAGE_SIZE);
      useMessages.getState().replaceWithLatest(conversationId, latest);
    }
  } catch (e) {
    // Gone (removed from the group, conversation deleted): forget it.
    if (e instanceof ApiError && e.status === 404) useMessages.getState().drop(conversationId);
  }
}

/** Asks for the online state of direct-conversation peers and friends. */
export async function refreshPresence(): Promise<void> {
  const ids = new Set<number>();
  for (const c of Object.values(useConversations.getState().byId)) if (c.peer_id != null) ids.add(c.peer_id);
  for (const f of useFriends.getState().lists.friends) ids.add(otherParty(f));
  const all = [...ids];
  for (let i = 0; i < all.length; i += PRESENCE_BATCH) {
    const ack = await emitAck<{ users: PresenceEvent[] }>("get_presence", { user_ids: all.slice(i, i + PRESENCE_BATCH) });
    if (ack.ok) usePresence.getState().apply(ack.users);
  }
}

/** Runs after every successful connect, the first one included. */
export async function resyncAfterConnect(): Promise<void> {
  resetReadMarkers();
  flushOutbox();
  const lists = Promise.allSettled([useConversations.getState().load(), useFriends.getState().load()]).then(() =>
    refreshPresence(),
  );
  const timelines = Object.keys(useMessages.getState().timelines).map(catchUpConversation);
  await Promise.allSettled([lists, useGroups.getState().load(), ...timelines]);
  await markWatchedRead(useView.getState().conversationId);
}
