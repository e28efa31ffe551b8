import { describe, expect, it } from "vitest";
import { ME, PEER, conversation, message } from "../test/fixtures";
import { applyDeletedMessage, applyIncomingMessage, applyReadMarker, mergeListed, unreadLabel } from "./unread";

describe("unread counting", () => {
  it("counts a new message from someone else while I am not looking", () => {
    const c = applyIncomingMessage(conversation(), message(1), ME, false);
    expect(c.unread_count).toBe(1);
    expect(c.last_message?.content).toBe("message 1");
  });

  it("does not count my own messages, nor messages I am watching arrive", () => {
    expect(applyIncomingMessage(conversation(), message(1, { sender_id: ME }), ME, false).unread_count).toBe(0);
    expect(applyIncomingMessage(conversation(), message(1), ME, true).unread_count).toBe(0);
  });

  it("counts a message once however often it arrives (echo, catch-up, replay)", () => {
    let c = conversation();
    const m = message(3);
    for (let i = 0; i < 3; i++) c = applyIncomingMessage(c, m, ME, false);
    expect(c.unread_count).toBe(1);
  });

  it("does not count a message older than the last one known (a late catch-up page)", () => {
    const c = applyIncomingMessage(conversation({ last_message: message(5), unread_count: 2 }), message(4), ME, false);
    expect(c.unread_count).toBe(2);
    expect(c.last_message?.content).toBe("message 5");
  });

  it("does not count messages at or before my read marker", () => {
    const c = conversation({ last_read_message_id: message(9).message_id });
    expect(applyIncomingMessage(c, message(8), ME, false).unread_count).toBe(0);
  });

  it("stops counting a deleted unread message", () => {
    let c = applyIncomingMessage(conversation(), message(1), ME, false);
    c = applyIncomingMessage(c, message(2), ME, false);
    c = applyDeletedMessage(c, { ...message(2), deleted: true, content: "" }, ME);
    expect(c.unread_count).toBe(1);
    expect(c.last_message?.deleted).toBe(true);
  });

  it("clears when my marker reaches the last message, and never moves the marker back", () => {
    let c = applyIncomingMessage(conversation(), message(1), ME, false);
    c = applyIncomingMessage(c, message(2), ME, false);
    expect(applyReadMarker(c, message(1).message_id).unread_count).toBe(2); // server's count awaited
    c = applyReadMarker(c, message(2).message_id);
    expect(c.unread_count).toBe(0);
    expect(applyReadMarker(c, message(1).message_id)).toBe(c);
  });

  it("labels the badge, capped like the server's count", () => {
    expect(unreadLabel(7)).toBe("7");
    expect(unreadLabel(1000)).toBe("999+");
    expect(PEER).not.toBe(ME);
  });

  it("a list read in flight does not undo a live message that arrived meanwhile", () => {
    const local = applyIncomingMessage(conversation(), message(2), ME, false);
    const staleSnapshot = conversation({ last_message: message(1), unread_count: 0 });
    const merged = mergeListed(staleSnapshot, local);
    expect(merged.last_message?.message_id).toBe(message(2).message_id);
    expect(merged.unread_count).toBe(1);
    const fresher = conversation({ last_message: message(3), unread_count: 2 });
    expect(mergeListed(fresher, local)).toBe(fresher);
    expect(mergeListed(staleSnapshot, undefined)).toBe(staleSnapshot);
  });
});
