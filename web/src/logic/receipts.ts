// Where to show "Seen": under the newest of my messages that someone else has read up to, with who
// has read that far. One marker for the whole list, like most chat apps, rather than one per row.
import { compareMessageIds } from "./messageOrder";
import type { MessageRow } from "./rows";

export interface ReceiptPlacement {
  messageId: string;
  readerIds: number[];
}

/** `readers`: user id → newest message id that user has read (the caller excluded). */
export function placeReceipt(rows: MessageRow[], readers: Record<number, string>): ReceiptPlacement | null {
  const markers = Object.entries(readers).map(([id, messageId]) => [Number(id), messageId] as const);
  if (markers.length === 0) return null;
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (!row.mine || !row.message || row.message.message_type === "system") continue;
    const id = row.message.message_id;
    const readerIds = markers.filter(([, read]) => compareMessageIds(read, id) >= 0).map(([user]) => user);
    if (readerIds.length > 0) return { messageId: id, readerIds };
  }
  return null;
}
