// The chat pane's title bar: back to the list (phones), the title, presence for a direct
// conversation, and the way into a group's settings.
import { navigate, paths } from "../app/route";
import type { Conversation } from "../api/types";
import { useConversationTitle } from "../people/useNames";
import { usePresence } from "../stores/presence";
import { Button } from "../ui/Button";

function PresenceLine({ userId }: { userId: number }) {
  const presence = usePresence((s) => s.byUser[userId]);
  if (!presence) return null;
  const text = presence.online
    ? "online"
    : presence.last_seen
      ? `last seen ${new Date(presence.last_seen).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}`
      : "offline";
  return (
    <p className="text-xs text-slate-500 dark:text-slate-400" data-testid="chat-presence" data-online={presence.online}>
      {text}
    </p>
  );
}

export function ChatHeader({ conversationId, conversation }: { conversationId: string; conversation: Conversation | undefined }) {
  const title = useConversationTitle(conversation);
  return (
    <header className="flex items-center gap-2 border-b border-slate-200 px-2 py-2 md:px-4 dark:border-slate-800">
      <Button variant="ghost" className="md:hidden" onClick={() => navigate(paths.home)} aria-label="Back to conversations" data-testid="back-button">
        ←
      </Button>
      <div className="min-w-0 flex-1">
        <h2 className="truncate font-semibold" data-testid="chat-title">
          {title}
        </h2>
        {conversation?.peer_id != null && <PresenceLine userId={conversation.peer_id} />}
      </div>
      {conversation?.conversation_type === "group" && (
        <Button variant="ghost" onClick={() => navigate(paths.group(conversationId))} data-testid="group-info-button">
          Group info
        </Button>
      )}
    </header>
  );
}
