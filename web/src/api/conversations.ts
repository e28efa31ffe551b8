// Conversations and their message history.
import { request } from "./http";
import type { Conversation, ConversationFlags, Message, ReadMarker } from "./types";

export const fetchConversations = (archived: boolean) =>
  request<Conversation[]>("GET", `/api/conversations?archived=${archived}`);
export const fetchConversation = (id: string) =>
  request<Conversation>("GET", `/api/conversations/${encodeURIComponent(id)}`);
export const openDirect = (userId: number) =>
  request<Conversation>("POST", "/api/conversations/direct", { user_id: userId });
export const setConversationFlags = (id: string, flags: ConversationFlags) =>
  request<Conversation>("PATCH", `/api/conversations/${encodeURIComponent(id)}`, flags);

/** Where a history page starts: the newest, older than a message, or newer than one. */
export type HistoryCursor = { latest: true } | { before: string } | { after: string };

/**
 * One page of history. The server answers newest-first for `latest`/`before` and oldest-first
 * for `after`; this always returns oldest-first so callers never care.
 */
export async function fetchHistory(id: string, cursor: HistoryCursor, limit: number): Promise<Message[]> {
  const params = new URLSearchParams({ limit: String(limit) });
  if ("before" in cursor) params.set("before", cursor.before);
  if ("after" in cursor) params.set("after", cursor.after);
  const page = await request<Message[]>("GET", `/api/conversations/${encodeURIComponent(id)}/messages?${params}`);
  return "after" in cursor ? page : page.slice().reverse();
}

/** How far every participant has read, so "seen" receipts are right after a reload too. */
export const fetchReadMarkers = (id: string) =>
  request<{ markers: ReadMarker[] }>("GET", `/api/conversations/${encodeURIComponent(id)}/read-markers`);

/** Edits one of the caller's messages; the server tells every participant with message_edited. */
export const editMessage = (id: string, messageId: string, content: string) =>
  request<Message>(
    "PATCH",
    `/api/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(messageId)}`,
    { content },
  );

/** Soft-deletes a message (sender, or a group owner/admin); participants get message_deleted. */
export const deleteMessage = (id: string, messageId: string) =>
  request<Message>("DELETE", `/api/conversations/${encodeURIComponent(id)}/messages/${encodeURIComponent(messageId)}`);
