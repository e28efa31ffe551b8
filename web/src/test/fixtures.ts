// Builders for wire objects in tests. Message ids are real v1 TimeUUIDs made from a tick count, so
// ordering in tests exercises the same TimeUUID sort the app relies on.
import type { Conversation, Message } from "../api/types";

/** A v1 TimeUUID whose timestamp is `ticks` (100 ns units); `node` tells ids of one tick apart. */
export function timeUuid(ticks: number, node = 1): string {
  const t = BigInt(ticks);
  const low = (t & 0xffffffffn).toString(16).padStart(8, "0");
  const mid = ((t >> 32n) & 0xffffn).toString(16).padStart(4, "0");
  const hi = (((t >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, "0");
  return `${low}-${mid}-${hi}-8000-${node.toString(16).padStart(12, "0")}`;
}

export const CONV = "11111111-1111-1111-1111-111111111111";
export const ME = 1;
export const PEER = 2;

let seq = 0;

/** A stored message; `n` orders it (and sets its timestamp n minutes after a fixed start). */
export function message(n: number, overrides: Partial<Message> = {}): Message {
  seq += 1;
  return {
    conversation_id: CONV,
    message_id: timeUuid(0x1_0000_0000_0000 + n * 600_000_000),
    sender_id: PEER,
    recipient_id: ME,
    content: `message ${n}`,
    media_urls: [],
    message_type: "text",
    status: "sent",
    timestamp: new Date(Date.UTC(2026, 0, 10, 12, 0) + n * 60_000).toISOString(),
    edited: false,
    edited_timestamp: null,
    deleted: false,
    metadata: {},
    client_msg_id: `other-${seq}`,
    ...overrides,
  };
}

export function conversation(overrides: Partial<Conversation> = {}): Conversation {
  return {
    conversation_id: CONV,
    conversation_type: "direct",
    name: null,
    avatar_url: null,
    peer_id: PEER,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    last_message: null,
    unread_count: 0,
    last_read_message_id: null,
    muted: false,
    archived: false,
    pinned: false,
    ...overrides,
  };
}
