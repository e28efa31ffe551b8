import { describe, expect, it } from "vitest";
import { timeUuid } from "../test/fixtures";
import { compareMessageIds, isNewerId } from "./messageOrder";

describe("TimeUUID ordering", () => {
  it("orders by the embedded time, not by the id's text (whose first field is the low time bits)", () => {
    const earlier = timeUuid(0x0_0001_ffff_ffff); // time_low ffffffff: sorts last as text
    const later = timeUuid(0x0_0002_0000_0000); // time_low 00000000
    expect(earlier > later).toBe(true);
    expect(compareMessageIds(earlier, later)).toBeLessThan(0);
    expect(isNewerId(later, earlier)).toBe(true);
  });

  it("breaks ties within one tick by the id, like the server", () => {
    expect(compareMessageIds(timeUuid(5, 1), timeUuid(5, 2))).toBeLessThan(0);
    expect(compareMessageIds(timeUuid(5, 2), timeUuid(5, 2))).toBe(0);
  });

  it("treats a missing id as older than anything", () => {
    expect(isNewerId(timeUuid(1), null)).toBe(true);
  });
});
