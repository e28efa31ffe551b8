// One conversation: header, history, who is typing, composer. Opening it loads the newest page;
// while it is watched (visible, at the bottom) its newest message is marked read.
import { useEffect } from "react";
import { newestMessageId } from "../logic/timeline";
import { markWatchedRead } from "../realtime/readMarker";
import { useConversations } from "../stores/conversations";
import { useGroups } from "../stores/groups";
import { useMessages } from "../stores/messages";
import { useSession } from "../stores/session";
import { useView } from "../stores/view";
import { Alert } from "../ui/Alert";
import { Button } from "../ui/Button";
import { ChatHeader } from "./ChatHeader";
import { Composer } from "./Composer";
import { MessageList } from "./MessageList";
import { TypingIndicator } from "./TypingIndicator";

/** Whether the caller moderates this group conversation (may delete others' messages). */
function useModerator(conversationId: string): boolean {
  const meId = useSession((s) => s.me?.id);
  const group = useGroups((s) => s.byConversation[conversationId]);
  const detail = useGroups((s) => (group ? s.details[group.id] : undefined));
  useEffect(() => {
    if (group && !detail) void useGroups.getState().loadDetail(group.id).catch(() => {});
  }, [group, detail]);
  const role = detail?.members.find((m) => m.user_id === meId)?.role;
  return role === "owner" || role === "admin";
}

export function ChatView({ conversationId }: { conversationId: string }) {
  const conversation = useConversations((s) => s.byId[conversationId]);
  const listLoaded = useConversations((s) => s.loaded);
  const timeline = useMessages((s) => s.timelines[conversationId]);
  const error = useMessages((s) => s.errors[conversationId]);
  const atBottom = useView((s) => s.atBottom);
  const visible = useView((s) => s.visible);
  const moderator = useModerator(conversationId);
  const newest = timeline ? newestMessageId(timeline) : null;

  useEffect(() => {
    void useMessages.getState().ensureLoaded(conversationId);
  }, [conversationId]);

  // Not in the list (archived and the archive not shown, or just created elsewhere): read it alone.
  // Not when the server just told me I left it: the route is on its way home.
  useEffect(() => {
    if (listLoaded && !conversation && !useConversations.getState().gone[conversationId])
      void useConversations.getState().refresh(conversationId);
  }, [listLoaded, conversation, conversationId]);

  useEffect(() => {
    void markWatchedRead(conversationId);
  }, [conversationId, newest, atBottom, visible, conversation?.last_read_message_id]);

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label="Chat" data-testid="chat-view" data-conversation-id={conversationId}>
      <ChatHeader conversationId={conversationId} conversation={conversation} />
      {error && !timeline?.loaded ? (
        <div className="flex flex-1 flex-col items-start gap-2 p-4">
          <Alert>{error}</Alert>
          <Button onClick={() => void useMessages.getState().ensureLoaded(conversationId)}>Try again</Button>
        </div>
      ) : timeline?.loaded ? (
        <MessageList conversation={conversation} conversationId={conversationId} timeline={timeline} moderator={moderator} />
      ) : (
        <div className="flex flex-1 items-center justify-center text-sm text-slate-500" role="status">
          Loading messages…
        </div>
      )}
      <TypingIndicator conversationId={conversationId} />
      <Composer conversationId={conversationId} />
    </section>
  );
}
