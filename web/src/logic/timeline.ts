// One conversation's loaded history plus the caller's unconfirmed sends, as pure functions so the
// rules that keep the UI free of duplicates can be tested without a socket:
//  - stored messages are unique by message_id and kept in server order;
//  - a pending send disappears the moment any stored copy with its client_msg_id (from the ack,
//    the receive_message echo, or a catch-up page, whichever comes first) is merged;
//  - when two versions of one message meet, the later state wins (deleted > preview dismissed >
//    edited later > edited).
import { type Message, PREVIEW_DISMISSED, PREVIEW_KEY } from "../api/types";
import { compareMessageIds } from "./messageOrder";

/** A message the caller sent that the server has not confirmed yet. */
export interface PendingMessage {
  client_msg_id: string;
  conversation_id: string;
  sender_id: number;
  content: string;
  /** When it was typed (ISO); positions the day separator until the server's timestamp is known. */
  created_at: string;
  /** `failed`: the server refused it (not resent automatically); `pending`: in flight or queued. */
  status: "pending" | "failed";
  error?: string;
}

export interface Timeline {
  /** Stored messages, oldest first, unique by message_id. */
  messages: Message[];
  /** The caller's own unconfirmed sends, in the order typed; always shown after `messages`. */
  pending: PendingMessage[];
  /** False once a page shorter than asked for has come back from `before=`. */
  hasOlder: boolean;
  /** True once the newest page has been read; until then only pending sends and live messages are held. */
  loaded: boolean;
}

export const emptyTimeline: Timeline = { messages: [], pending: [], hasOlder: true, loaded: false };

const editedAt = (m: Message) => (m.edited_timestamp ? Date.parse(m.edited_timestamp) : 0);

/** Of two copies of the same message, the one that reflects the later change. */
export function laterVersion(current: Message, incoming: Message): Message {
  if (current.deleted !== incoming.deleted) return current.deleted ? current : incoming;
  // A dismissed link preview is never un-dismissed, and an edit keeps the metadata: the copy
  // carrying the dismissal is the later one (it changes neither `edited` nor its time).
  const dismissed = (m: Message) => m.metadata?.[PREVIEW_KEY] === PREVIEW_DISMISSED;
  if (dismissed(current) !== dismissed(incoming)) return dismissed(current) ? current : incoming;
  if (current.edited !== incoming.edited) return current.edited ? current : incoming;
  if (editedAt(incoming) > editedAt(current)) return incoming;
  return current;
}

// The common live case: new messages strictly after everything held, already in order. Such ids
// cannot be present yet (the list is sorted and unique), so they can be appended without a rebuild.
function allAfter(existing: Message[], incoming: Message[]): boolean {
  let last = existing[existing.length - 1]?.message_id;
  for (const m of incoming) {
    if (last !== undefined && compareMessageIds(m.message_id, last) <= 0) return false;
    last = m.message_id;
  }
  return true;
}

/** Merges stored messages into a sorted, id-unique list; returns `existing` itself when nothing changed. */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return existing;
  if (allAfter(existing, incoming)) return existing.concat(incoming);
  const byId = new Map<string, Message>();
  for (const m of existing) byId.set(m.message_id, m);
  let changed = false;
  for (const m of incoming) {
    const current = byId.get(m.message_id);
    const chosen = current ? laterVersion(current, m) : m;
    if (chosen !== current) {
      byId.set(m.message_id, chosen);
      changed = true;
    }
  }
  if (!changed) return existing;
  // Nearly sorted input (appends, prepends): the engine's merge sort makes this close to linear.
  return Array.from(byId.values()).sort((a, b) => compareMessageIds(a.message_id, b.message_id));
}

/** Adds stored messages and drops the caller's pending sends that they confirm. */
export function receiveMessages(timeline: Timeline, incoming: Message[], meId: number): Timeline {
  const confirmed = new Set(
    incoming.filter((m) => m.sender_id === meId && m.client_msg_id).map((m) => m.client_msg_id),
  );
  const kept = confirmed.size ? timeline.pending.filter((p) => !confirmed.has(p.client_msg_id)) : timeline.pending;
  const pending = kept.length === timeline.pending.length ? timeline.pending : kept;
  const messages = mergeMessages(timeline.messages, incoming);
  if (messages === timeline.messages && pending === timeline.pending) return timeline;
  return { ...timeline, messages, pending };
}

/** Queues a new send; a second add of the same client_msg_id (a double click) is ignored. */
export function addPending(timeline: Timeline, pending: PendingMessage): Timeline {
  if (timeline.pending.some((p) => p.client_msg_id === pending.client_msg_id)) return timeline;
  if (timeline.messages.some((m) => m.client_msg_id === pending.client_msg_id && m.sender_id === pending.sender_id)) {
    return timeline;
  }
  return { ...timeline, pending: [...timeline.pending, pending] };
}

/** Changes one pending send (mark failed, back to pending for a retry). */
export function updatePending(
  timeline: Timeline,
  clientMsgId: string,
  change: Partial<Pick<PendingMessage, "status" | "error">>,
): Timeline {
  const pending = timeline.pending.map((p) => (p.client_msg_id === clientMsgId ? { ...p, ...change } : p));
  return { ...timeline, pending };
}

/** Drops a pending send the user discarded. */
export function discardPending(timeline: Timeline, clientMsgId: string): Timeline {
  return { ...timeline, pending: timeline.pending.filter((p) => p.client_msg_id !== clientMsgId) };
}

/** Adds an older page (oldest first) fetched with `before=`. */
export function prependOlder(timeline: Timeline, page: Message[], requested: number, meId: number): Timeline {
  const next = receiveMessages(timeline, page, meId);
  return { ...next, hasOlder: page.length >= requested, loaded: true };
}

/** The newest stored message id: where a catch-up with `after=` starts. */
export function newestMessageId(timeline: Timeline): string | null {
  return timeline.messages[timeline.messages.length - 1]?.message_id ?? null;
}

/** The oldest stored message id: where `before=` paging continues. */
export function oldestMessageId(timeline: Timeline): string | null {
  return timeline.messages[0]?.message_id ?? null;
}
