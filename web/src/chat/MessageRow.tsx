// One message in the list: an optional day separator, the bubble (or a centred system line), its
// delivery state for the caller's own messages, edit/delete for those the caller may change, and
// the read receipt when this is the newest message someone else has read.
import { memo, useMemo, useState } from "react";
import { deleteMessage, editMessage } from "../api/conversations";
import { describeError } from "../api/http";
import { PREVIEW_DISMISSED, PREVIEW_KEY } from "../api/preview";
import { parseLinks } from "../logic/links";
import { dayLabel, timeLabel } from "../logic/days";
import type { MessageRow as Row } from "../logic/rows";
import { retrySend } from "../realtime/outbox";
import { useMessages } from "../stores/messages";
import { useServer } from "../stores/server";
import { LinkPreviewCard } from "./LinkPreviewCard";
import { MessageEditor } from "./MessageEditor";
import { MessageText } from "./MessageText";

export interface RowProps {
  row: Row;
  /** The sender's name, shown above the first of a run in groups. */
  senderName: string | null;
  /** "Seen" / "Seen by …" when the receipt sits on this row. */
  receipt: string | null;
  canDelete: boolean;
}

function DaySeparator({ time }: { time: string }) {
  return (
    <div role="separator" data-testid="day-separator" className="flex items-center gap-3 py-3 text-xs font-medium text-slate-500 dark:text-slate-400">
      <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
      {dayLabel(time)}
      <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
    </div>
  );
}

function PendingState({ row }: { row: Row }) {
  const pending = row.pending;
  if (!pending) return null;
  if (pending.status === "pending") return <span className="text-xs text-slate-500 dark:text-slate-400">Sending…</span>;
  return (
    <span className="flex flex-wrap items-center justify-end gap-2 text-xs text-red-700 dark:text-red-400" role="alert">
      Not sent: {pending.error}
      <button type="button" className="underline" onClick={() => retrySend(pending)} data-testid="retry-send">
        Retry
      </button>
      <button
        type="button"
        className="underline"
        onClick={() => useMessages.getState().discardPending(pending.conversation_id, pending.client_msg_id)}
      >
        Discard
      </button>
    </span>
  );
}

function MessageRowView({ row, senderName, receipt, canDelete }: RowProps) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const message = row.message;
  const system = message?.message_type === "system";
  const deleted = message?.deleted ?? false;
  const canEdit = row.mine && !!message && !deleted && !system;
  // The first link of a stored message gets a card, unless its sender dismissed it.
  const linkPreviews = useServer((s) => s.linkPreviews);
  const previewUrl = useMemo(() => {
    if (!linkPreviews || !message || deleted || system || message.metadata?.[PREVIEW_KEY] === PREVIEW_DISMISSED) return null;
    const link = parseLinks(message.content).find((s) => s.kind === "link");
    return link && link.kind === "link" ? link.href : null;
  }, [linkPreviews, message, deleted, system]);

  const change = async (action: () => Promise<unknown>) => {
    if (!message) return;
    setBusy(true);
    setError(null);
    try {
      const updated = (await action()) as NonNullable<typeof message>;
      useMessages.getState().receive(message.conversation_id, [updated]);
      setEditing(false);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  const save = (content: string) => message && change(() => editMessage(message.conversation_id, message.message_id, content));
  const remove = () => {
    if (message && window.confirm("Delete this message for everyone?")) {
      void change(() => deleteMessage(message.conversation_id, message.message_id));
    }
  };

  const bubble = row.mine
    ? "bg-indigo-600 text-white"
    : "bg-slate-100 text-slate-900 dark:bg-slate-800 dark:text-slate-100";

  return (
    <div
      data-testid="message-row"
      data-message-id={message?.message_id ?? ""}
      data-client-msg-id={row.pending?.client_msg_id ?? message?.client_msg_id ?? ""}
      data-status={row.status}
      data-mine={row.mine}
      className={`px-3 md:px-4 ${row.startsRun ? "pt-2" : "pt-0.5"}`}
    >
      {row.startsDay && <DaySeparator time={row.time} />}
      {system ? (
        <p className="py-1 text-center text-xs italic text-slate-500 dark:text-slate-400" data-testid="system-message">
          {row.content}
        </p>
      ) : (
        <div className={`group flex flex-col ${row.mine ? "items-end" : "items-start"}`}>
          {senderName && <span className="mb-0.5 px-1 text-xs font-medium text-slate-600 dark:text-slate-400">{senderName}</span>}
          <div className={`flex w-full items-center gap-2 ${row.mine ? "flex-row-reverse" : ""}`}>
            {editing && message ? (
              <MessageEditor initial={message.content} onSave={save} onCancel={() => setEditing(false)} busy={busy} />
            ) : (
              <div
                className={`max-w-[85%] rounded-2xl px-3 py-1.5 md:max-w-[70%] ${bubble} ${row.status !== "sent" ? "opacity-70" : ""}`}
              >
                {deleted ? (
                  <span className="italic opacity-80" data-testid="message-deleted">
                    This message was deleted
                  </span>
                ) : (
                  <MessageText text={row.content} />
                )}
                <span className={`ml-2 inline-block text-[0.65rem] ${row.mine ? "text-indigo-100" : "text-slate-500 dark:text-slate-400"}`}>
                  {message?.edited && !deleted && <span data-testid="message-edited">edited · </span>}
                  <time dateTime={row.time}>{timeLabel(row.time)}</time>
                </span>
              </div>
            )}
            {!editing && (canEdit || (canDelete && !deleted && !system)) && (
              // Beside the bubble, not under it, so rows keep their height; shown on hover or focus
              // with a pointer, always on touch screens.
              <span className="flex shrink-0 gap-2 text-xs text-slate-500 md:opacity-0 md:group-hover:opacity-100 md:group-focus-within:opacity-100 dark:text-slate-400">
                {canEdit && (
                  <button type="button" className="hover:underline" onClick={() => setEditing(true)} data-testid="edit-message">
                    Edit
                  </button>
                )}
                <button type="button" className="hover:underline" onClick={remove} disabled={busy} data-testid="delete-message">
                  Delete
                </button>
              </span>
            )}
          </div>
          {previewUrl && message && !editing && (
            <LinkPreviewCard
              url={previewUrl}
              dismissible={row.mine ? { conversationId: message.conversation_id, messageId: message.message_id } : null}
            />
          )}
          {(row.pending || receipt) && (
            <div className="flex items-center gap-2 px-1">
              <PendingState row={row} />
              {receipt && (
                <span className="text-xs text-slate-500 dark:text-slate-400" data-testid="read-receipt">
                  {receipt}
                </span>
              )}
            </div>
          )}
          {error && (
            <p role="alert" className="px-1 text-xs text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

export const MessageRow = memo(MessageRowView);
