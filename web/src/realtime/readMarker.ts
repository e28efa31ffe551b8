// Marking the open conversation read: when the user is watching it (open, tab visible, scrolled to
// the newest message), its newest stored message becomes the read marker via mark_read. Each
// marker is sent once; the ack's conversation brings the server's unread count.
import type { Conversation } from "../api/types";
import { isNewerId } from "../logic/messageOrder";
import { newestMessageId } from "../logic/timeline";
import { useConversations } from "../stores/conversations";
import { useMessages } from "../stores/messages";
import { isWatching } from "../stores/view";
import { emitAck, isConnected } from "./socket";

// conversation id → marker last emitted, so re-renders do not repeat it.
const sent = new Map<string, string>();

export async function markWatchedRead(conversationId: string | null): Promise<void> {
  if (!conversationId || !isConnected() || !isWatching(conversationId)) return;
  const timeline = useMessages.getState().timelines[conversationId];
  const newest = timeline ? newestMessageId(timeline) : null;
  if (!newest) return;
  const conversation = useConversations.getState().byId[conversationId];
  if (conversation && !isNewerId(newest, conversation.last_read_message_id) && conversation.unread_count === 0) return;
  if (!isNewerId(newest, sent.get(conversationId))) return;
  sent.set(conversationId, newest);
  try {
    const ack = await emitAck<{ conversation: Conversation }>("mark_read", {
      conversation_id: conversationId,
      message_id: newest,
    });
    if (ack.ok) useConversations.getState().upsert(ack.conversation);
  } catch {
    // Not sent: let the next attempt (reconnect, next message) try again.
    if (sent.get(conversationId) === newest) sent.delete(conversationId);
  }
}

/** Forgets what was sent (sign-out, reconnect: the server may not have got it). */
export function resetReadMarkers(): void {
  sent.clear();
}
