// What happens on every (re)connect, per the README's catch-up recipe: live events sent while
// offline are lost, storage is not. So: resend unacknowledged sends (same client_msg_id), re-read
// the conversation list (unread counts, new conversations), ask for presence again, and read
// every loaded conversation forward from its newest held message with `after=`.
import { fetchHistory } from "../api/conversations";
import { ApiError } from "../api/http";
import { catchUpAfter } from "../logic/catchup";
import { newestMessageId } from "../logic/timeline";
import { useConversations } from "../stores/conversations";
import { useFriends } from "../stores/friends";
import { useGroups } from "../stores/groups";
import { PAGE_SIZE, useMessages } from "../stores/messages";
import { loadReceipts } from "../stores/receipts";
import { useView } from "../stores/view";
import { flushOutbox } from "./outbox";
import { markWatchedRead, resetReadMarkers } from "./readMarker";
import { askNewPresence, forgetAskedPresence } from "./presenceTracker";

/**
 * Brings one loaded conversation up to date after a gap. The starting id is read before the first
 * await, i.e. when the connect event fires: a live message of the new connection (newer than the
 * gap) must not become the starting point, or the gap's messages would be skipped.
 */
export async function catchUpConversation(conversationId: string): Promise<void> {
  const timeline = useMessages.getState().timelines[conversationId];
  if (!timeline?.loaded) return;
  const newest = newestMessageId(timeline);
  try {
    const result = newest
      ? await catchUpAfter((after, limit) => fetchHistory(conversationId, { after }, limit), newest)
      : { messages: await fetchHistory(conversationId, { latest: true }, PAGE_SIZE), complete: true };
    void loadReceipts(conversationId);
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

/** Runs after every successful connect, the first one included. */
export async function resyncAfterConnect(): Promise<void> {
  resetReadMarkers();
  flushOutbox();
  forgetAskedPresence();
  const lists = Promise.allSettled([useConversations.getState().load(), useFriends.getState().load()]).then(() =>
    askNewPresence(),
  );
  const timelines = Object.keys(useMessages.getState().timelines).map(catchUpConversation);
  // The open conversation's first page may have failed while offline: try it again now.
  const viewing = useView.getState().conversationId;
  if (viewing) void useMessages.getState().ensureLoaded(viewing);
  await Promise.allSettled([lists, useGroups.getState().load(), ...timelines]);
  await markWatchedRead(useView.getState().conversationId);
}
