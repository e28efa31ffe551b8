// Conversations in list order (pinned first, then latest activity); archived ones behind a toggle.
import { useEffect, useMemo } from "react";
import { useRoute } from "../app/route";
import { visibleConversations } from "../logic/conversationOrder";
import { useConversations } from "../stores/conversations";
import { useUsers } from "../stores/users";
import { Alert } from "../ui/Alert";
import { ConversationItem } from "./ConversationItem";

export function ConversationList() {
  const byId = useConversations((s) => s.byId);
  const loaded = useConversations((s) => s.loaded);
  const error = useConversations((s) => s.error);
  const showArchived = useConversations((s) => s.showArchived);
  const setShowArchived = useConversations((s) => s.setShowArchived);
  const route = useRoute();
  const activeId = route.page === "chat" || route.page === "group" ? route.conversationId : null;

  const all = useMemo(() => Object.values(byId), [byId]);
  const shown = useMemo(() => visibleConversations(all, showArchived), [all, showArchived]);

  useEffect(() => {
    useUsers.getState().ensure(all.flatMap((c) => (c.peer_id == null ? [] : [c.peer_id])));
  }, [all]);

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="flex items-center justify-between px-3 py-2">
        <span className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
          {showArchived ? "Archived" : "Inbox"}
        </span>
        <button
          type="button"
          aria-pressed={showArchived}
          onClick={() => void setShowArchived(!showArchived)}
          className="rounded px-2 py-1 text-xs text-indigo-700 hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-slate-800"
          data-testid="show-archived-toggle"
        >
          {showArchived ? "Back to inbox" : "Show archived"}
        </button>
      </div>
      {error && (
        <div className="px-3 pb-2">
          <Alert>{error}</Alert>
        </div>
      )}
      <ul className="min-h-0 flex-1 overflow-y-auto" data-testid="conversation-list" aria-label="Conversations">
        {shown.map((c) => (
          <ConversationItem key={c.conversation_id} conversation={c} active={c.conversation_id === activeId} />
        ))}
        {loaded && shown.length === 0 && (
          <li className="px-4 py-6 text-sm text-slate-500 dark:text-slate-400">
            {showArchived ? "No archived conversations." : "No conversations yet. Find someone under People."}
          </li>
        )}
      </ul>
    </div>
  );
}
