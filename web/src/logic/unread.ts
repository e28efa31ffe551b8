// Keeps a conversation summary's last message and unread count current between list fetches. The
// rule mirrors the server's: unread = messages after my read marker, not sent by me, not deleted.
// Each function is idempotent, so a message seen twice (echo, catch-up, replay) never counts twice.
import type { Conversation, Message } from "../api/types";
import { compareMessageIds, isNewerId } from "./messageOrder";

/** Whether a message counts towards my unread count. */
export function countsAsUnread(conversation: Conversation, message: Message, meId: number): boolean {
  return message.sender_id !== meId && !message.deleted && isNewerId(message.message_id, conversation.last_read_message_id);
}

/**
 * A summary after a live message. `viewing` is true when the user is looking at this conversation,
 * in which case the message is about to be marked read and is not counted.
 */
export function applyIncomingMessage(
  conversation: Conversation,
  message: Message,
  meId: number,
  viewing: boolean,
): Conversation {
  const last = conversation.last_message;
  if (last && last.message_id === message.message_id) return { ...conversation, last_message: message };
  if (last && !isNewerId(message.message_id, last.message_id)) return conversation;
  const unread = !viewing && countsAsUnread(conversation, message, meId) ? 1 : 0;
  return {
    ...conversation,
    last_message: message,
    updated_at: message.timestamp,
    unread_count: conversation.unread_count + unread,
  };
}

/** A summary after a message was deleted: it stops counting as unread. */
export function applyDeletedMessage(conversation: Conversation, deleted: Message, meId: number): Conversation {
  const wasUnread = countsAsUnread(conversation, { ...deleted, deleted: false }, meId);
  const isLast = conversation.last_message?.message_id === deleted.message_id;
  if (!wasUnread && !isLast) return conversation;
  return {
    ...conversation,
    last_message: isLast ? deleted : conversation.last_message,
    unread_count: wasUnread ? Math.max(0, conversation.unread_count - 1) : conversation.unread_count,
  };
}

/**
 * A summary after my read marker moved (my own mark_read ack, or another of my tabs). When the
 * marker reaches the last message nothing is unread; otherwise the server's count is awaited.
 */
export function applyReadMarker(conversation: Conversation, messageId: string): Conversation {
  if (!isNewerId(messageId, conversation.last_read_message_id)) return conversation;
  const last = conversation.last_message;
  const caughtUp = !last || compareMessageIds(messageId, last.message_id) >= 0;
  return {
    ...conversation,
    last_read_message_id: messageId,
    unread_count: caughtUp ? 0 : conversation.unread_count,
  };
}

/** The badge text: the server stops counting at 1000. */
export function unreadLabel(count: number): string {
  return count > 999 ? "999+" : String(count);
}

/**
 * A conversation as a fresh list read reports it, keeping what this tab learned while that read
 * was in flight: a live message newer than the server's snapshot (and the unread it brought) must
 * not be replaced by the older snapshot.
 */
export function mergeListed(listed: Conversation, local: Conversation | undefined): Conversation {
  const mine = local?.last_message;
  if (!mine) return listed;
  const theirs = listed.last_message;
  if (theirs && !isNewerId(mine.message_id, theirs.message_id)) return listed;
  return { ...listed, last_message: mine, unread_count: Math.max(listed.unread_count, local.unread_count) };
}
