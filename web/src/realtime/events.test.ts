import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Socket } from "socket.io-client";
import { CONV, ME, PEER, message } from "../test/fixtures";
import { fake, socketModule } from "../test/fakeSocket";
import { signedIn } from "../test/session";
import { useConnection } from "../stores/connection";
import { useConversations } from "../stores/conversations";
import { useMessages } from "../stores/messages";
import { useReceipts } from "../stores/receipts";
import { useSession } from "../stores/session";
import { useTyping } from "../stores/typing";
import { useView } from "../stores/view";
import { bindEvents } from "./events";

vi.mock("./socket", () => socketModule);
const sync = vi.hoisted(() => ({ resyncAfterConnect: vi.fn(async () => {}) }));
vi.mock("./sync", () => sync);

/** Just enough of a socket to deliver server events to the bound handlers. */
function fakeServerSocket() {
  const handlers = new Map<string, (payload?: unknown) => void>();
  const socket = {
    active: true,
    on(event: string, handler: (payload?: unknown) => void) {
      handlers.set(event, handler);
      return socket;
    },
    connect: vi.fn(),
  };
  bindEvents(socket as unknown as Socket);
  return { socket, deliver: (event: string, payload?: unknown) => handlers.get(event)!(payload) };
}

beforeEach(() => {
  fake.reset();
  signedIn();
  useReceipts.getState().reset();
  useTyping.getState().reset();
  useMessages.setState({ timelines: { [CONV]: { messages: [], pending: [], hasOlder: false, loaded: true } } });
});

describe("server events", () => {
  it("a new message in a conversation I am not watching adds to the unread badge, once", () => {
    const { deliver } = fakeServerSocket();
    const m = message(1);
    deliver("receive_message", m);
    deliver("receive_message", m);
    expect(useConversations.getState().byId[CONV]!.unread_count).toBe(1);
    expect(useMessages.getState().timelines[CONV]!.messages).toHaveLength(1);
    expect(fake.emitted.filter((e) => e.event === "mark_read")).toHaveLength(0);
  });

  it("a new message in the conversation I am watching is marked read instead", () => {
    const { deliver } = fakeServerSocket();
    useView.setState({ conversationId: CONV, atBottom: true, visible: true });
    const m = message(1);
    deliver("receive_message", m);
    expect(useConversations.getState().byId[CONV]!.unread_count).toBe(0);
    expect(fake.emitted.find((e) => e.event === "mark_read")?.payload).toEqual({ conversation_id: CONV, message_id: m.message_id });
  });

  it("the sender stops showing as typing when their message arrives", () => {
    const { deliver } = fakeServerSocket();
    deliver("typing", { conversation_id: CONV, user_id: PEER, typing: true });
    expect(useTyping.getState().byConversation[CONV]).toHaveProperty(String(PEER));
    deliver("receive_message", message(1));
    expect(useTyping.getState().byConversation[CONV] ?? {}).not.toHaveProperty(String(PEER));
  });

  it("ignores my own typing echoes", () => {
    const { deliver } = fakeServerSocket();
    deliver("typing", { conversation_id: CONV, user_id: ME, typing: true });
    expect(useTyping.getState().byConversation[CONV]).toBeUndefined();
  });

  it("records how far others have read, and my other tabs' reads clear my badge", () => {
    const { deliver } = fakeServerSocket();
    const m = message(1);
    deliver("receive_message", m);
    deliver("messages_read", { conversation_id: CONV, user_id: PEER, message_id: m.message_id });
    expect(useReceipts.getState().byConversation[CONV]).toEqual({ [PEER]: m.message_id });
    deliver("messages_read", { conversation_id: CONV, user_id: ME, message_id: m.message_id });
    expect(useConversations.getState().byId[CONV]!.unread_count).toBe(0);
  });

  it("an edit or a delete replaces the shown message", () => {
    const { deliver } = fakeServerSocket();
    const m = message(1);
    deliver("receive_message", m);
    deliver("message_deleted", { ...m, deleted: true, content: "" });
    expect(useMessages.getState().timelines[CONV]!.messages[0]!.deleted).toBe(true);
    expect(useConversations.getState().byId[CONV]!.unread_count).toBe(0);
  });

  it("being removed from a conversation drops it", () => {
    const { deliver } = fakeServerSocket();
    deliver("conversation_updated", { conversation_id: CONV, reason: "member_removed", removed: true });
    expect(useConversations.getState().byId[CONV]).toBeUndefined();
    expect(useMessages.getState().timelines[CONV]).toBeUndefined();
  });

  it("a refused handshake (expired or revoked token) signs out with the server's reason", () => {
    const { socket, deliver } = fakeServerSocket();
    socket.active = false;
    deliver("connect_error", new Error("access token expired: log in again"));
    expect(useSession.getState()).toMatchObject({ status: "anonymous", notice: "access token expired: log in again" });
  });

  it("a resync from the server catches up as after a reconnect, without reconnecting", () => {
    const { socket, deliver } = fakeServerSocket();
    sync.resyncAfterConnect.mockClear();
    deliver("resync", { reason: "bus_reconnected" });
    expect(sync.resyncAfterConnect).toHaveBeenCalledTimes(1);
    expect(socket.connect).not.toHaveBeenCalled();
  });

  it("a network failure keeps the session and shows the offline banner state", () => {
    const { deliver } = fakeServerSocket();
    deliver("connect");
    deliver("disconnect", "transport close");
    deliver("connect_error", new Error("xhr poll error"));
    expect(useSession.getState().status).toBe("signedIn");
    expect(useConnection.getState()).toMatchObject({ status: "offline", everOnline: true });
  });
});
