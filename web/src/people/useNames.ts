// Names for ids, from the users store (fetched on first use).
import { useEffect } from "react";
import type { Conversation } from "../api/types";
import { myId } from "../stores/session";
import { nameOf, useUsers } from "../stores/users";

/** The shown name of one user; fetches the profile when unknown. */
export function useUserName(id: number | null | undefined): string {
  const user = useUsers((s) => (id == null ? undefined : s.byId[id]));
  useEffect(() => {
    if (id != null && id !== myId()) useUsers.getState().ensure([id]);
  }, [id]);
  if (id == null) return "";
  if (id === myId()) return "You";
  return nameOf(user, id);
}

/** A conversation's title: the group's name, or the other person's name for a direct one. */
export function useConversationTitle(conversation: Conversation | undefined): string {
  const peerName = useUserName(conversation?.peer_id);
  if (!conversation) return "";
  if (conversation.conversation_type === "group") return conversation.name || "Unnamed group";
  return peerName || conversation.name || "Direct conversation";
}
