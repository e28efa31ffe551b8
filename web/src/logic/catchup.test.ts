import { describe, expect, it } from "vitest";
import type { Message } from "../api/types";
import { ME, message } from "../test/fixtures";
import { catchUpAfter } from "./catchup";
import { compareMessageIds } from "./messageOrder";
import { emptyTimeline, newestMessageId, receiveMessages } from "./timeline";

/** A fake server history answering `after=` like the daemon: oldest first, strictly after the id. */
function serverAfter(history: Message[]) {
  const calls: string[] = [];
  const fetchAfter = async (afterId: string, limit: number) => {
    calls.push(afterId);
    return history.filter((m) => compareMessageIds(m.message_id, afterId) > 0).slice(0, limit);
  };
  return { fetchAfter, calls };
}

describe("catching up after a reconnect", () => {
  const history = Array.from({ length: 25 }, (_, i) => message(i + 1));

  it("reads after= pages in order until a short page, each starting after the previous page's last id", async () => {
    const { fetchAfter, calls } = serverAfter(history);
    const result = await catchUpAfter(fetchAfter, history[4]!.message_id, 10);
    expect(result.complete).toBe(true);
    expect(result.messages.map((m) => m.content)).toEqual(history.slice(5).map((m) => m.content));
    expect(calls).toEqual([history[4]!.message_id, history[14]!.message_id, history[24]!.message_id]);
  });

  it("merges into the held timeline in order with no duplicates, even when live events overlapped", async () => {
    let timeline = receiveMessages({ ...emptyTimeline, loaded: true }, history.slice(0, 5), ME);
    // Two messages arrived live around the reconnect, before the catch-up answered.
    timeline = receiveMessages(timeline, [history[6]!, history[5]!], ME);
    const { fetchAfter } = serverAfter(history);
    const result = await catchUpAfter(fetchAfter, history[4]!.message_id, 10);
    timeline = receiveMessages(timeline, result.messages, ME);
    expect(timeline.messages.map((m) => m.content)).toEqual(history.map((m) => m.content));
    expect(newestMessageId(timeline)).toBe(history[24]!.message_id);
  });

  it("stops after its page budget and says so, for the caller to reload the latest page instead", async () => {
    const { fetchAfter, calls } = serverAfter(history);
    const result = await catchUpAfter(fetchAfter, history[0]!.message_id, 5, 2);
    expect(result.complete).toBe(false);
    expect(calls).toHaveLength(2);
    expect(result.messages).toHaveLength(10);
  });

  it("an exact multiple of the page size ends on an empty page", async () => {
    const { fetchAfter, calls } = serverAfter(history.slice(0, 20));
    const result = await catchUpAfter(fetchAfter, history[9]!.message_id, 5);
    expect(result).toMatchObject({ complete: true });
    expect(result.messages).toHaveLength(10);
    expect(calls).toHaveLength(3);
  });
});
