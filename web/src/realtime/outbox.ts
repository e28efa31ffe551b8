// Sending messages. A send is first a pending row (so the user sees it at once), then a
// send_message emit carrying its client_msg_id. The pending row goes away only when a stored copy
// with that client_msg_id is merged (the ack or the receive_message echo, whichever is first).
// Without an ack — offline, timeout, or a reconnect in between — the row stays pending and is
// emitted again with the SAME client_msg_id on the next connect; the server stores it at most once.
import type { Message } from "../api/types";
import { newClientMsgId } from "../logic/clientMsgId";
import type { PendingMessage } from "../logic/timeline";
import { useConversations } from "../stores/conversations";
import { useMessages } from "../stores/messages";
import { myId } from "../stores/session";
import { isWatching } from "../stores/view";
import { emitAck, isConnected } from "./socket";

const ACK_TIMEOUT_MS = 15_000;
const RETRY_DELAY_MS = 3_000;

// client_msg_ids with an emit awaiting its ack on the current connection: not emitted twice at once.
const inFlight = new Set<string>();

/** Stores a confirmed message wherever it belongs: the timeline and the conversation summary. */
export function acceptStored(message: Message): void {
  useMessages.getState().receive(message.conversation_id, [message]);
  useConversations.getState().applyMessage(message, myId(), isWatching(message.conversation_id));
}

/** Sends a new text message to a conversation; returns its client_msg_id. */
export function sendMessage(conversationId: string, content: string): string {
  const pending: PendingMessage = {
    client_msg_id: newClientMsgId(),
    conversation_id: conversationId,
    sender_id: myId(),
    content,
    created_at: new Date().toISOString(),
    status: "pending",
  };
  useMessages.getState().addPending(pending);
  void deliver(pending);
  return pending.client_msg_id;
}

/** Tries a failed send again, same client_msg_id. */
export function retrySend(pending: PendingMessage): void {
  useMessages.getState().updatePending(pending.conversation_id, pending.client_msg_id, { status: "pending", error: undefined });
  void deliver({ ...pending, status: "pending" });
}

/** Emits every pending (not failed) send; called on each (re)connect. */
export function flushOutbox(): void {
  for (const timeline of Object.values(useMessages.getState().timelines)) {
    void deliverInOrder(timeline.pending.filter((p) => p.status === "pending"));
  }
}

/**
 * One conversation's queued sends, one after another: emitted together, the server would handle
 * them concurrently and could store "second" before "first" for everyone.
 */
async function deliverInOrder(queue: PendingMessage[]): Promise<void> {
  for (const pending of queue) await deliver(pending);
}

/** Forgets in-flight bookkeeping (sign-out). */
export function resetOutbox(): void {
  inFlight.clear();
}

function stillPending(pending: PendingMessage): boolean {
  const timeline = useMessages.getState().timelines[pending.conversation_id];
  return timeline?.pending.some((p) => p.client_msg_id === pending.client_msg_id && p.status === "pending") ?? false;
}

async function deliver(pending: PendingMessage): Promise<void> {
  if (!isConnected() || inFlight.has(pending.client_msg_id)) return;
  inFlight.add(pending.client_msg_id);
  let retryLater = false;
  try {
    const ack = await emitAck<{ message: Message; duplicate: boolean }>(
      "send_message",
      { conversation_id: pending.conversation_id, client_msg_id: pending.client_msg_id, content: pending.content },
      ACK_TIMEOUT_MS,
    );
    if (ack.ok) {
      acceptStored(ack.message);
    } else if (ack.error.code === "rate_limited" || ack.error.code === "shutting_down") {
      // Not a verdict on the message: sent again shortly, or by the flush after reconnecting.
      retryLater = true;
    } else {
      useMessages
        .getState()
        .updatePending(pending.conversation_id, pending.client_msg_id, { status: "failed", error: ack.error.message });
    }
  } catch {
    // No answer: offline (the next connect flushes) or a lost ack on a live connection (retry soon).
    retryLater = isConnected();
  } finally {
    inFlight.delete(pending.client_msg_id);
  }
  if (retryLater) {
    setTimeout(() => {
      if (stillPending(pending)) void deliver(pending);
    }, RETRY_DELAY_MS);
  }
}
