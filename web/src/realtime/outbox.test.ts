import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CONV, ME, message } from "../test/fixtures";
import { fake, socketModule } from "../test/fakeSocket";
import { signedIn } from "../test/session";
import { buildRows } from "../logic/rows";
import { useConversations } from "../stores/conversations";
import { useMessages } from "../stores/messages";
import { acceptStored, flushOutbox, resetOutbox, retrySend, sendMessage } from "./outbox";

vi.mock("./socket", () => socketModule);

const rows = () => buildRows(useMessages.getState().timelines[CONV]!, ME);
const stored = (clientMsgId: string, n = 1) =>
  message(n, { sender_id: ME, client_msg_id: clientMsgId, content: "hello" });
const ack = (m: ReturnType<typeof stored>, duplicate = false) => ({ ok: true as const, message: m, duplicate });

beforeEach(() => {
  fake.reset();
  resetOutbox();
  signedIn();
});
afterEach(() => vi.useRealTimers());

describe("sending a message", () => {
  it("shows it pending at once, then sent when the ack arrives", async () => {
    const id = sendMessage(CONV, "hello");
    expect(rows().map((r) => [r.content, r.status])).toEqual([["hello", "pending"]]);
    expect(fake.sends()[0]!.payload).toEqual({ conversation_id: CONV, client_msg_id: id, content: "hello" });
    fake.sends()[0]!.answer(ack(stored(id)));
    await vi.waitFor(() => expect(rows().map((r) => r.status)).toEqual(["sent"]));
  });

  it("shows it once when the receive_message echo beats the ack", async () => {
    const id = sendMessage(CONV, "hello");
    acceptStored(stored(id)); // the echo
    expect(rows().map((r) => r.status)).toEqual(["sent"]);
    fake.sends()[0]!.answer(ack(stored(id)));
    await Promise.resolve();
    await vi.waitFor(() => expect(fake.waiting.size).toBe(0));
    expect(rows()).toHaveLength(1);
  });

  it("shows it once when the ack beats the echo", async () => {
    const id = sendMessage(CONV, "hello");
    fake.sends()[0]!.answer(ack(stored(id)));
    await vi.waitFor(() => expect(rows()[0]!.status).toBe("sent"));
    acceptStored(stored(id));
    expect(rows()).toHaveLength(1);
  });

  it("resends with the SAME client_msg_id after a reconnect that lost the ack, without duplicates", async () => {
    const id = sendMessage(CONV, "hello");
    fake.drop(); // connection lost before the ack
    await vi.waitFor(() => expect(fake.waiting.size).toBe(0));
    expect(rows().map((r) => r.status)).toEqual(["pending"]);

    fake.connected = true; // reconnected
    flushOutbox();
    expect(fake.sends().map((s) => s.payload.client_msg_id)).toEqual([id, id]);
    // The server had stored the first try: it acks the stored copy as a duplicate, and echoes nothing.
    fake.sends()[1]!.answer(ack(stored(id), true));
    await vi.waitFor(() => expect(rows().map((r) => r.status)).toEqual(["sent"]));
    expect(useMessages.getState().timelines[CONV]!.messages).toHaveLength(1);
  });

  it("queues while offline and sends on the next connect, in order", async () => {
    fake.connected = false;
    const first = sendMessage(CONV, "one");
    const second = sendMessage(CONV, "two");
    expect(fake.sends()).toHaveLength(0);
    expect(rows().map((r) => r.status)).toEqual(["pending", "pending"]);
    fake.connected = true;
    flushOutbox();
    // One at a time: the second waits for the first's ack, so the server stores them in order.
    expect(fake.sends().map((s) => s.payload.client_msg_id)).toEqual([first]);
    fake.sends()[0]!.answer(ack(stored(first, 1)));
    await vi.waitFor(() => expect(fake.sends().map((s) => s.payload.client_msg_id)).toEqual([first, second]));
  });

  it("does not emit a send twice while its ack is still awaited", () => {
    sendMessage(CONV, "hello");
    flushOutbox();
    flushOutbox();
    expect(fake.sends()).toHaveLength(1);
  });

  it("marks a refused send failed with the server's reason, and a retry keeps its client_msg_id", async () => {
    const id = sendMessage(CONV, "hello");
    fake.sends()[0]!.answer({ ok: false, error: { code: "forbidden", message: "you are not friends" } });
    await vi.waitFor(() => expect(rows()[0]!.status).toBe("failed"));
    expect(rows()[0]!.pending?.error).toBe("you are not friends");
    flushOutbox(); // failed sends are not resent by themselves
    expect(fake.sends()).toHaveLength(1);
    retrySend(rows()[0]!.pending!);
    expect(rows()[0]!.status).toBe("pending");
    expect(fake.sends()[1]!.payload.client_msg_id).toBe(id);
  });

  it("waits and tries again when rate limited", async () => {
    vi.useFakeTimers();
    const id = sendMessage(CONV, "hello");
    fake.sends()[0]!.answer({ ok: false, error: { code: "rate_limited", message: "slow down" } });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(fake.sends().map((s) => s.payload.client_msg_id)).toEqual([id, id]);
    expect(rows()[0]!.status).toBe("pending");
  });

  it("keeps a send refused by a restarting server pending and sends it again", async () => {
    vi.useFakeTimers();
    const id = sendMessage(CONV, "hello");
    fake.sends()[0]!.answer({ ok: false, error: { code: "shutting_down", message: "restarting" } });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(fake.sends().map((s) => s.payload.client_msg_id)).toEqual([id, id]);
    expect(rows()[0]!.status).toBe("pending");
  });

  it("my own confirmed message updates the list preview but not the unread count", async () => {
    const id = sendMessage(CONV, "hello");
    fake.sends()[0]!.answer(ack(stored(id)));
    await vi.waitFor(() => expect(useConversations.getState().byId[CONV]!.last_message?.client_msg_id).toBe(id));
    expect(useConversations.getState().byId[CONV]!.unread_count).toBe(0);
  });
});
