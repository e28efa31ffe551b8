// The tab title counts unread messages in unmuted conversations, so a background tab shows activity.
import { useEffect } from "react";
import { useConversations } from "../stores/conversations";

export function useUnreadTitle(): void {
  const unread = useConversations((s) =>
    Object.values(s.byId).reduce((sum, c) => sum + (c.muted || c.archived ? 0 : c.unread_count), 0),
  );
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) OmegaChat` : "OmegaChat";
  }, [unread]);
}
