// One row of the list: title, presence (direct), last message, unread badge, and a menu for
// pin / mute / archive.
import { useState } from "react";
import { paths } from "../app/route";
import type { Conversation } from "../api/types";
import { describeError } from "../api/http";
import { unreadLabel } from "../logic/unread";
import { useConversationTitle, useUserName } from "../people/useNames";
import { useConversations } from "../stores/conversations";
import { MutedIcon, PinIcon } from "../ui/icons";
import { PresenceDot } from "./PresenceDot";

function preview(conversation: Conversation, senderName: string): string {
  const last = conversation.last_message;
  if (!last) return "No messages yet";
  if (last.deleted) return "Message deleted";
  if (last.message_type === "system") return last.content;
  const text = last.content || (last.media_urls.length ? "Attachment" : "");
  return conversation.conversation_type === "group" || senderName === "You" ? `${senderName}: ${text}` : text;
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

export function ConversationItem({ conversation, active }: { conversation: Conversation; active: boolean }) {
  const title = useConversationTitle(conversation);
  const senderName = useUserName(conversation.last_message?.sender_id);
  const setFlags = useConversations((s) => s.setFlags);
  const [menuOpen, setMenuOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const unread = conversation.unread_count;
  const flag = (flags: Parameters<typeof setFlags>[1]) => {
    setMenuOpen(false);
    setFlags(conversation.conversation_id, flags).then(
      () => setError(null),
      (e) => setError(describeError(e)),
    );
  };

  return (
    <li
      data-testid="conversation-item"
      data-conversation-id={conversation.conversation_id}
      data-pinned={conversation.pinned}
      data-muted={conversation.muted}
      data-archived={conversation.archived}
      className={`group relative border-b border-slate-100 dark:border-slate-900 ${active ? "bg-indigo-50 dark:bg-slate-800" : ""}`}
    >
      <a
        href={paths.chat(conversation.conversation_id)}
        aria-current={active ? "page" : undefined}
        className="flex items-center gap-3 px-3 py-2.5 pr-10 hover:bg-slate-50 dark:hover:bg-slate-900"
      >
        <span className="relative flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-indigo-100 font-semibold text-indigo-700 dark:bg-indigo-900 dark:text-indigo-200">
          {title.slice(0, 1).toUpperCase()}
          {conversation.peer_id != null && <PresenceDot userId={conversation.peer_id} />}
        </span>
        <span className="min-w-0 flex-1">
          <span className="flex items-baseline gap-2">
            <span className={`truncate ${unread ? "font-semibold" : "font-medium"}`} data-testid="conversation-title">
              {title}
            </span>
            {conversation.pinned && (
              <span className="shrink-0 text-slate-400">
                <PinIcon label="pinned" />
              </span>
            )}
            {conversation.muted && (
              <span className="shrink-0 text-slate-400">
                <MutedIcon label="muted" />
              </span>
            )}
            <span className="ml-auto shrink-0 text-xs text-slate-500 dark:text-slate-400">
              {conversation.last_message ? shortTime(conversation.last_message.timestamp) : ""}
            </span>
          </span>
          <span className="flex items-center gap-2">
            <span className="truncate text-sm text-slate-600 dark:text-slate-400" data-testid="conversation-preview">
              {preview(conversation, senderName)}
            </span>
            {unread > 0 && (
              <span
                data-testid="unread-badge"
                aria-label={`${unread} unread`}
                className={`ml-auto shrink-0 rounded-full px-2 py-0.5 text-xs font-semibold text-white ${conversation.muted ? "bg-slate-400 dark:bg-slate-600" : "bg-indigo-600"}`}
              >
                {unreadLabel(unread)}
              </span>
            )}
          </span>
        </span>
      </a>
      <button
        type="button"
        aria-label={`Options for ${title}`}
        aria-expanded={menuOpen}
        onClick={() => setMenuOpen((o) => !o)}
        className="absolute right-1 top-2 rounded px-2 py-1 text-slate-500 hover:bg-slate-200 dark:hover:bg-slate-700"
        data-testid="conversation-menu-button"
      >
        ⋯
      </button>
      {menuOpen && (
        <div
          className="absolute right-2 top-10 z-10 flex flex-col rounded-md border border-slate-200 bg-white py-1 shadow-lg dark:border-slate-700 dark:bg-slate-800"
          onKeyDown={(e) => e.key === "Escape" && setMenuOpen(false)}
        >
          <MenuButton onClick={() => flag({ pinned: !conversation.pinned })} testId="conversation-pin">
            {conversation.pinned ? "Unpin" : "Pin"}
          </MenuButton>
          <MenuButton onClick={() => flag({ muted: !conversation.muted })} testId="conversation-mute">
            {conversation.muted ? "Unmute" : "Mute"}
          </MenuButton>
          <MenuButton onClick={() => flag({ archived: !conversation.archived })} testId="conversation-archive">
            {conversation.archived ? "Unarchive" : "Archive"}
          </MenuButton>
        </div>
      )}
      {error && (
        <p role="alert" className="px-3 pb-2 text-xs text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </li>
  );
}

function MenuButton({ children, onClick, testId }: { children: string; onClick: () => void; testId: string }) {
  return (
    <button
      type="button"
      onClick={onClick}
      data-testid={testId}
      className="px-4 py-1.5 text-left text-sm hover:bg-slate-100 dark:hover:bg-slate-700"
    >
      {children}
    </button>
  );
}
