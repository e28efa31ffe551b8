// Catching up one conversation after a reconnect, per the README recipe: read `after=<newest id>`
// pages (oldest first) until a short page, each page starting after the previous page's last id.
// A long absence is bounded: past `maxPages` the caller reloads the latest page instead, since
// walking thousands of messages forward only to show the newest screenful wastes time and memory.
import type { Message } from "../api/types";

export const CATCH_UP_PAGE = 100;
export const CATCH_UP_MAX_PAGES = 20;

export interface CatchUpResult {
  /** Every message newer than the starting id, oldest first. */
  messages: Message[];
  /** False when the page budget ran out before the end was reached. */
  complete: boolean;
}

export async function catchUpAfter(
  fetchAfter: (afterId: string, limit: number) => Promise<Message[]>,
  newestId: string,
  pageSize = CATCH_UP_PAGE,
  maxPages = CATCH_UP_MAX_PAGES,
): Promise<CatchUpResult> {
  const messages: Message[] = [];
  let cursor = newestId;
  for (let page = 0; page < maxPages; page++) {
    const batch = await fetchAfter(cursor, pageSize);
    messages.push(...batch);
    const last = batch[batch.length - 1];
    if (batch.length < pageSize || !last) return { messages, complete: true };
    cursor = last.message_id;
  }
  return { messages, complete: false };
}
