import { describe, expect, it } from "vitest";
import { ME, message } from "../test/fixtures";
import { placeReceipt } from "./receipts";
import { buildRows } from "./rows";
import { emptyTimeline } from "./timeline";

const rows = buildRows(
  {
    ...emptyTimeline,
    messages: [message(1, { sender_id: ME }), message(2, { sender_id: ME }), message(3), message(4, { sender_id: ME })],
  },
  ME,
);

describe("read receipts", () => {
  it("sits on my newest message someone has read up to", () => {
    expect(placeReceipt(rows, { 2: message(3).message_id })).toEqual({ messageId: message(2).message_id, readerIds: [2] });
    expect(placeReceipt(rows, { 2: message(4).message_id })?.messageId).toBe(message(4).message_id);
  });

  it("lists every reader who got that far", () => {
    const placed = placeReceipt(rows, { 2: message(4).message_id, 3: message(2).message_id, 4: message(4).message_id });
    expect(placed).toEqual({ messageId: message(4).message_id, readerIds: [2, 4] });
  });

  it("is absent when nobody has read any of my messages", () => {
    expect(placeReceipt(rows, {})).toBeNull();
    expect(placeReceipt(rows.slice(2, 3), { 2: message(3).message_id })).toBeNull();
  });
});
