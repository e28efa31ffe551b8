// The list order the server uses (pinned first, then by last activity), re-applied locally so a live
// message moves its conversation to the top without refetching the list.
import type { Conversation } from "../api/types";

const lastActivity = (c: Conversation) => Date.parse(c.last_message?.timestamp ?? c.created_at) || 0;

export function compareConversations(a: Conversation, b: Conversation): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  return lastActivity(b) - lastActivity(a);
}

/** The conversations shown for the archived toggle, in list order. */
export function visibleConversations(all: Conversation[], archived: boolean): Conversation[] {
  return all.filter((c) => c.archived === archived).sort(compareConversations);
}
