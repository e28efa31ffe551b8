// Telling others that this user is typing. A start lasts the server's typing timeout (5 s by
// default) unless renewed, so while keys keep coming a start is re-sent every RENEW_MS; after
// IDLE_MS without a key, or on send, blur or switching conversation, a stop is sent.
import { emitVolatile } from "./socket";

const RENEW_MS = 3_000;
const IDLE_MS = 3_000;

let active: { conversationId: string; sentAt: number; idle: ReturnType<typeof setTimeout> } | null = null;

/** Called on each edit of the composer. */
export function userTyped(conversationId: string, now = Date.now()): void {
  if (active && active.conversationId !== conversationId) stopTyping();
  if (!active || now - active.sentAt >= RENEW_MS) {
    emitVolatile("typing", { conversation_id: conversationId, typing: true });
    if (active) clearTimeout(active.idle);
    active = { conversationId, sentAt: now, idle: setTimeout(stopTyping, IDLE_MS) };
    return;
  }
  clearTimeout(active.idle);
  active.idle = setTimeout(stopTyping, IDLE_MS);
}

/** Sends a stop if a start is outstanding. */
export function stopTyping(): void {
  if (!active) return;
  clearTimeout(active.idle);
  emitVolatile("typing", { conversation_id: active.conversationId, typing: false });
  active = null;
}
