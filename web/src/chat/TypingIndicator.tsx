// "Ann is typing…" under the history; the line keeps its height so the list does not jump.
import { typingLabel } from "../logic/typing";
import { useTyping } from "../stores/typing";
import { nameOf, useUsers } from "../stores/users";

export function TypingIndicator({ conversationId }: { conversationId: string }) {
  const typing = useTyping((s) => s.byConversation[conversationId]);
  const users = useUsers((s) => s.byId);
  const ids = typing ? Object.keys(typing).map(Number) : [];
  const label = typingLabel(ids.map((id) => nameOf(users[id], id)));
  return (
    <div className="h-5 px-4 text-xs italic text-slate-500 dark:text-slate-400" aria-live="polite">
      {label && <span data-testid="typing-indicator">{label}</span>}
    </div>
  );
}
