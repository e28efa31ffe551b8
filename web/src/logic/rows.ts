// Turns a timeline into the rows the virtualized list renders. The day separator is part of a
// message's row rather than a row of its own: prepending an older page then shifts the list by
// exactly the number of messages added, which is what keeps the scroll position steady.
import type { Message } from "../api/types";
import { startsNewDay } from "./days";
import type { PendingMessage, Timeline } from "./timeline";

export type DeliveryStatus = "pending" | "sent" | "failed";

export interface MessageRow {
  /** Stable across confirmation: a pending send keeps its key when its stored copy replaces it. */
  key: string;
  message: Message | null;
  pending: PendingMessage | null;
  senderId: number;
  content: string;
  time: string;
  status: DeliveryStatus;
  mine: boolean;
  startsDay: boolean;
  /** First of a run of rows by one sender (where a group shows the sender's name). */
  startsRun: boolean;
}

/** Key for a stored message: the caller's own carry their client_msg_id, as their pending row did. */
export function rowKey(message: Message, meId: number): string {
  return message.sender_id === meId && message.client_msg_id ? `c:${message.client_msg_id}` : `m:${message.message_id}`;
}

/** All rows: stored messages in order, then the caller's pending sends. */
export function buildRows(timeline: Timeline, meId: number): MessageRow[] {
  const rows: MessageRow[] = [];
  // Keys must be unique for the virtual list; should the server ever hold two of my messages with
  // one client_msg_id, the second falls back to its message id.
  const used = new Set<string>();
  const uniqueKey = (message: Message) => {
    const key = rowKey(message, meId);
    const chosen = used.has(key) ? `m:${message.message_id}` : key;
    used.add(chosen);
    return chosen;
  };
  let previous: string | undefined;
  let previousSender: number | undefined;
  for (const message of timeline.messages) {
    const startsDay = startsNewDay(previous, message.timestamp);
    rows.push({
      key: uniqueKey(message),
      message,
      pending: null,
      senderId: message.sender_id,
      content: message.content,
      time: message.timestamp,
      status: "sent",
      mine: message.sender_id === meId,
      startsDay,
      startsRun: startsDay || previousSender !== message.sender_id || message.message_type === "system",
    });
    previous = message.timestamp;
    previousSender = message.message_type === "system" ? undefined : message.sender_id;
  }
  for (const pending of timeline.pending) {
    const startsDay = startsNewDay(previous, pending.created_at);
    rows.push({
      key: `c:${pending.client_msg_id}`,
      message: null,
      pending,
      senderId: pending.sender_id,
      content: pending.content,
      time: pending.created_at,
      status: pending.status,
      mine: true,
      startsDay,
      startsRun: startsDay || previousSender !== pending.sender_id,
    });
    previous = pending.created_at;
    previousSender = pending.sender_id;
  }
  return rows;
}
