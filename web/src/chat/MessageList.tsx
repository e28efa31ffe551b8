// The virtualized history. react-virtuoso renders only the rows near the viewport, so a
// conversation with thousands of loaded messages keeps a bounded DOM; scrolling to the top loads
// the page before the oldest held message, and new messages follow when the view is at the bottom.
import { useCallback, useMemo, useRef } from "react";
import { Virtuoso, type Components, type VirtuosoHandle } from "react-virtuoso";
import type { Conversation } from "../api/types";
import { placeReceipt } from "../logic/receipts";
import { buildRows, type MessageRow as Row } from "../logic/rows";
import type { Timeline } from "../logic/timeline";
import { useMessages } from "../stores/messages";
import { useReceipts } from "../stores/receipts";
import { useSession } from "../stores/session";
import { nameOf, useUsers } from "../stores/users";
import { useView } from "../stores/view";
import { MessageRow } from "./MessageRow";
import { useFirstItemIndex } from "./useFirstItemIndex";

interface Props {
  conversation: Conversation | undefined;
  conversationId: string;
  timeline: Timeline;
  /** The caller may delete other people's messages (group owner or admin). */
  moderator: boolean;
}

const noReaders: Record<number, string> = {};

interface ListContext {
  loadingOlder: boolean;
  hasOlder: boolean;
  /** Why the last older page failed, with a way to try again. */
  olderError: string | undefined;
  retryOlder: () => void;
}

// Module-level so Virtuoso does not remount them on every render; live values come via `context`.
const listParts: Components<Row, ListContext> = {
  Header: ({ context }) => (
    <div className="py-3 text-center text-xs text-slate-500 dark:text-slate-400" data-testid="history-start">
      {context?.loadingOlder ? (
        "Loading older messages…"
      ) : context?.olderError && context.hasOlder ? (
        <span role="alert">
          {context.olderError}{" "}
          <button type="button" className="underline" onClick={context.retryOlder}>
            Try again
          </button>
        </span>
      ) : context?.hasOlder ? (
        ""
      ) : (
        "This is the beginning of the conversation."
      )}
    </div>
  ),
  Footer: () => <div className="h-2" />,
  EmptyPlaceholder: () => (
    <div className="p-8 text-center text-sm text-slate-500 dark:text-slate-400">No messages yet. Say hello!</div>
  ),
};

export function MessageList({ conversation, conversationId, timeline, moderator }: Props) {
  const meId = useSession((s) => s.me?.id ?? -1);
  const users = useUsers((s) => s.byId);
  const readers = useReceipts((s) => s.byConversation[conversationId] ?? noReaders);
  const loadingOlder = useMessages((s) => s.loading[conversationId] === "older");
  const olderError = useMessages((s) => s.errors[conversationId]);
  const atBottom = useView((s) => s.atBottom);
  const virtuoso = useRef<VirtuosoHandle>(null);
  const rows = useMemo(() => buildRows(timeline, meId), [timeline, meId]);
  const { firstItemIndex, generation } = useFirstItemIndex(rows);
  const receipt = useMemo(() => placeReceipt(rows, readers), [rows, readers]);
  const group = conversation?.conversation_type === "group";

  // followOutput reads the newest rows without re-creating the callback on every message.
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const followOutput = useCallback((atBottom: boolean) => {
    const last = rowsRef.current[rowsRef.current.length - 1];
    // Always bring the caller's own new message into view; others' only when already at the bottom.
    if (last?.mine && last.status === "pending") return "auto" as const;
    return atBottom ? ("smooth" as const) : false;
  }, []);

  const receiptText = (messageId: string) => {
    if (!receipt || receipt.messageId !== messageId) return null;
    if (!group) return "Seen";
    return `Seen by ${receipt.readerIds.map((id) => nameOf(users[id], id)).join(", ")}`;
  };

  const loadOlder = useCallback(() => void useMessages.getState().loadOlder(conversationId), [conversationId]);
  const context = useMemo(
    () => ({ loadingOlder, hasOlder: timeline.hasOlder, olderError, retryOlder: loadOlder }),
    [loadingOlder, timeline.hasOlder, olderError, loadOlder],
  );

  const renderRow = (_index: number, row: Row) => (
    <MessageRow
      row={row}
      senderName={group && !row.mine && row.startsRun ? nameOf(users[row.senderId], row.senderId) : null}
      receipt={row.message ? receiptText(row.message.message_id) : null}
      canDelete={row.mine || (moderator && !!row.message)}
    />
  );

  return (
    <div className="relative min-h-0 flex-1" role="region" aria-label="Messages" data-testid="message-list">
      <Virtuoso
        key={generation}
        ref={virtuoso}
        className="h-full"
        style={{ height: "100%" }}
        data={rows}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={Math.max(0, rows.length - 1)}
        computeItemKey={(_index, row) => row.key}
        itemContent={renderRow}
        startReached={loadOlder}
        followOutput={followOutput}
        atBottomStateChange={(atBottom) => useView.getState().setAtBottom(atBottom)}
        atBottomThreshold={48}
        increaseViewportBy={{ top: 400, bottom: 200 }}
        context={context}
        components={listParts}
      />
      {!atBottom && rows.length > 0 && (
        <button
          type="button"
          onClick={() => virtuoso.current?.scrollToIndex({ index: "LAST", behavior: "smooth" })}
          className="absolute bottom-3 right-4 rounded-full bg-indigo-600 px-3 py-1.5 text-sm text-white shadow-lg hover:bg-indigo-500"
          data-testid="jump-to-latest"
        >
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}
