import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../api/types";
import { CONV, ME, message } from "../test/fixtures";
import { socketModule } from "../test/fakeSocket";
import { signedIn } from "../test/session";
import { compareMessageIds } from "../logic/messageOrder";
import { useMessages } from "../stores/messages";
import { catchUpConversation } from "./sync";

vi.mock("./socket", () => socketModule);

const server: { history: Message[]; calls: string[] } = { history: [], calls: [] };

vi.mock("../api/conversations", () => ({
  fetchHistory: async (_id: string, cursor: { latest?: true; before?: string; after?: string }, limit: number) => {
    server.calls.push(JSON.stringify(cursor));
    const h = server.history;
    if (cursor.after) return h.filter((m) => compareMessageIds(m.message_id, cursor.after!) > 0).slice(0, limit);
    if (cursor.before) return h.filter((m) => compareMessageIds(m.message_id, cursor.before!) < 0).slice(-limit);
    return h.slice(-limit);
  },
}));

beforeEach(() => {
  signedIn();
  server.history = Array.from({ length: 230 }, (_, i) => message(i + 1));
  server.calls = [];
});

describe("catching up an open conversation after a reconnect", () => {
  it("appends everything after the newest held message, in order, without duplicates", async () => {
    useMessages.setState({ timelines: { [CONV]: { messages: server.history.slice(0, 10), pending: [], hasOlder: false, loaded: true } } });
    const catchingUp = catchUpConversation(CONV);
    // A message sent after the reconnect arrives live before the catch-up answers, past the gap.
    useMessages.getState().receive(CONV, [server.history[11]!]);
    await catchingUp;
    const held = useMessages.getState().timelines[CONV]!.messages;
    expect(held.map((m) => m.content)).toEqual(server.history.map((m) => m.content));
    expect(server.calls).toHaveLength(3); // 100 + 100 + 20
  });

  it("confirms a pending send whose ack was lost when the stored copy comes back in a page", async () => {
    const mine = message(231, { sender_id: ME, client_msg_id: "lost-ack" });
    server.history.push(mine);
    useMessages.setState({
      timelines: {
        [CONV]: {
          messages: server.history.slice(0, 229),
          pending: [{ client_msg_id: "lost-ack", conversation_id: CONV, sender_id: ME, content: "x", created_at: mine.timestamp, status: "pending" }],
          hasOlder: false,
          loaded: true,
        },
      },
    });
    await catchUpConversation(CONV);
    const t = useMessages.getState().timelines[CONV]!;
    expect(t.pending).toEqual([]);
    expect(t.messages.at(-1)!.client_msg_id).toBe("lost-ack");
  });

  it("after a very long absence reloads the newest page instead of walking the whole gap", async () => {
    server.history = Array.from({ length: 2_600 }, (_, i) => message(i + 1));
    useMessages.setState({ timelines: { [CONV]: { messages: server.history.slice(0, 5), pending: [], hasOlder: false, loaded: true } } });
    await catchUpConversation(CONV);
    const t = useMessages.getState().timelines[CONV]!;
    expect(t.messages.map((m) => m.content)).toEqual(server.history.slice(-50).map((m) => m.content));
    expect(t.hasOlder).toBe(true);
  });

  it("leaves conversations that were never opened alone", async () => {
    await catchUpConversation("never-opened");
    expect(server.calls).toEqual([]);
  });
});
