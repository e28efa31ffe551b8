import { describe, expect, it } from "vitest";
import { ME, message } from "../test/fixtures";
import { dayLabel, startsNewDay } from "./days";
import { buildRows } from "./rows";
import { emptyTimeline } from "./timeline";

// Local noon on given days: safe from time-zone edges whatever TZ the test runs in.
const at = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).toISOString();

describe("day separators", () => {
  it("puts one above the first message and wherever the local day changes", () => {
    const times = [at(2026, 1, 10, 9), at(2026, 1, 10, 23), at(2026, 1, 11, 0), at(2026, 1, 11, 8), at(2026, 1, 14)];
    const messages = times.map((t, i) => message(i, { timestamp: t }));
    const rows = buildRows({ ...emptyTimeline, messages }, ME);
    expect(rows.map((r) => r.startsDay)).toEqual([true, false, true, false, true]);
  });

  it("gives a pending send its own day when it is typed on a new day", () => {
    const rows = buildRows(
      {
        ...emptyTimeline,
        messages: [message(1, { timestamp: at(2026, 1, 10) })],
        pending: [{ client_msg_id: "c", conversation_id: "x", sender_id: ME, content: "x", created_at: at(2026, 1, 12), status: "pending" }],
      },
      ME,
    );
    expect(rows.map((r) => r.startsDay)).toEqual([true, true]);
  });

  it("compares local calendar days", () => {
    expect(startsNewDay(undefined, at(2026, 1, 1))).toBe(true);
    expect(startsNewDay(at(2026, 1, 1, 0), at(2026, 1, 1, 23))).toBe(false);
  });

  it("labels today, yesterday, this week and older days", () => {
    const now = new Date(2026, 5, 15, 18);
    expect(dayLabel(at(2026, 6, 15, 1), now)).toBe("Today");
    expect(dayLabel(at(2026, 6, 14, 23), now)).toBe("Yesterday");
    expect(dayLabel(at(2026, 6, 11), now)).toBe(new Date(2026, 5, 11).toLocaleDateString(undefined, { weekday: "long" }));
    expect(dayLabel(at(2026, 3, 2), now)).toBe(new Date(2026, 2, 2).toLocaleDateString(undefined, { day: "numeric", month: "long" }));
    expect(dayLabel(at(2025, 3, 2), now)).toContain("2025");
  });
});
