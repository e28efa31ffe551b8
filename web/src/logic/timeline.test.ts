import { describe, expect, it } from "vitest";
import { ME, CONV, message } from "../test/fixtures";
import { addPending, emptyTimeline, prependOlder, receiveMessages, type PendingMessage, type Timeline } from "./timeline";
import { buildRows } from "./rows";

const pending = (clientMsgId: string, content = "hi"): PendingMessage => ({
  client_msg_id: clientMsgId,
  conversation_id: CONV,
  sender_id: ME,
  content,
  created_at: "2026-01-10T12:30:00Z",
  status: "pending",
});

const loaded: Timeline = { ...emptyTimeline, loaded: true };

describe("a sent message is shown once, whatever arrives first", () => {
  it("the ack after the receive_message echo", () => {
    const stored = message(5, { sender_id: ME, client_msg_id: "c-1" });
    let t = addPending(loaded, pending("c-1"));
    t = receiveMessages(t, [stored], ME); // the echo
    t = receiveMessages(t, [stored], ME); // the ack
    expect(t.pending).toEqual([]);
    expect(t.messages.map((m) => m.message_id)).toEqual([stored.message_id]);
    expect(buildRows(t, ME).map((r) => [r.key, r.status])).toEqual([["c:c-1", "sent"]]);
  });

  it("the echo after the ack", () => {
    const stored = message(5, { sender_id: ME, client_msg_id: "c-1" });
    let t = addPending(loaded, pending("c-1"));
    t = receiveMessages(t, [stored], ME);
    const afterAck = t;
    t = receiveMessages(t, [stored], ME);
    expect(t).toBe(afterAck); // nothing changed, not even identity
    expect(buildRows(t, ME)).toHaveLength(1);
  });

  it("keeps the row key through confirmation so the row is updated, not replaced", () => {
    const before = buildRows(addPending(loaded, pending("c-9")), ME);
    const after = buildRows(receiveMessages(addPending(loaded, pending("c-9")), [message(1, { sender_id: ME, client_msg_id: "c-9" })], ME), ME);
    expect(before[0]!.key).toBe(after[0]!.key);
    expect([before[0]!.status, after[0]!.status]).toEqual(["pending", "sent"]);
  });

  it("a duplicate ack (a resend the server deduped) adds nothing", () => {
    const stored = message(5, { sender_id: ME, client_msg_id: "c-1" });
    let t = receiveMessages(addPending(loaded, pending("c-1")), [stored], ME);
    t = receiveMessages(t, [{ ...stored }], ME);
    expect(t.messages).toHaveLength(1);
  });

  it("another user's message with the same client_msg_id does not confirm my pending send", () => {
    let t = addPending(loaded, pending("same"));
    t = receiveMessages(t, [message(1, { sender_id: 2, client_msg_id: "same" })], ME);
    expect(t.pending).toHaveLength(1);
    expect(t.messages).toHaveLength(1);
  });

  it("a double submit of one client_msg_id queues it once", () => {
    let t = addPending(loaded, pending("c-1"));
    t = addPending(t, pending("c-1"));
    expect(t.pending).toHaveLength(1);
  });
});

describe("merging history", () => {
  it("keeps stored messages sorted and unique however they arrive", () => {
    const [m1, m2, m3, m4] = [message(1), message(2), message(3), message(4)];
    let t = receiveMessages(loaded, [m3, m4], ME);
    t = receiveMessages(t, [m1, m3], ME);
    t = receiveMessages(t, [m2, m4], ME);
    expect(t.messages.map((m) => m.content)).toEqual(["message 1", "message 2", "message 3", "message 4"]);
  });

  it("an older page is prepended and tells whether more remain", () => {
    const t = receiveMessages(loaded, [message(10), message(11)], ME);
    const full = prependOlder(t, [message(8), message(9)], 2, ME);
    expect(full.messages.map((m) => m.content)).toEqual(["message 8", "message 9", "message 10", "message 11"]);
    expect(full.hasOlder).toBe(true);
    expect(prependOlder(full, [message(7)], 2, ME).hasOlder).toBe(false);
  });

  it("an edit or delete is never undone by a stale copy arriving later", () => {
    const original = message(1);
    const edited = { ...original, content: "fixed", edited: true, edited_timestamp: "2026-01-10T13:00:00Z" };
    const deleted = { ...edited, content: "", deleted: true };
    let t = receiveMessages(loaded, [original], ME);
    t = receiveMessages(t, [edited], ME);
    t = receiveMessages(t, [original], ME);
    expect(t.messages[0]!.content).toBe("fixed");
    t = receiveMessages(t, [deleted], ME);
    t = receiveMessages(t, [edited], ME);
    expect(t.messages[0]!.deleted).toBe(true);
  });

  it("a dismissed link preview stays dismissed, whatever copy arrives later", () => {
    const original = { ...message(1), content: "see https://example.org" };
    const dismissed = { ...original, metadata: { link_preview: "dismissed" } };
    let t = receiveMessages(loaded, [original], ME);
    t = receiveMessages(t, [dismissed], ME);
    expect(t.messages[0]!.metadata.link_preview).toBe("dismissed");
    t = receiveMessages(t, [original], ME);
    expect(t.messages[0]!.metadata.link_preview).toBe("dismissed");
  });

  it("a later edit replaces an earlier one", () => {
    const first = { ...message(1), content: "a", edited: true, edited_timestamp: "2026-01-10T13:00:00Z" };
    const second = { ...first, content: "b", edited_timestamp: "2026-01-10T13:05:00Z" };
    const t = receiveMessages(receiveMessages(loaded, [first], ME), [second], ME);
    expect(t.messages[0]!.content).toBe("b");
  });
});
