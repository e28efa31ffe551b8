// The one Socket.IO connection, same-origin at /socket.io/ (the CSP allows only 'self' and ws:).
// socket.io-client's own reconnection (unbounded, backing off to 5 s) brings it back after a daemon
// restart or a network drop; what to do once back is sync.ts's job.
import { io, type Socket } from "socket.io-client";
import type { Ack } from "../api/types";

let socket: Socket | null = null;

/** Whether events can be emitted now; emits while offline are not buffered (see outbox.ts). */
export function isConnected(): boolean {
  return socket?.connected ?? false;
}

/** Opens the connection; `token` is read on every (re)connect attempt so a new login is picked up. */
export function openSocket(token: () => string | null, bind: (socket: Socket) => void): Socket {
  closeSocket();
  const s = io({
    path: "/socket.io/",
    // WebSocket first; long-polling when a proxy blocks upgrades.
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    auth: (cb) => cb({ token: token() }),
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  socket = s;
  bind(s);
  return s;
}

export function closeSocket(): void {
  if (!socket) return;
  socket.removeAllListeners();
  socket.disconnect();
  socket = null;
}

/** Raised when an event is attempted while disconnected. */
export class NotConnectedError extends Error {
  constructor() {
    super("not connected");
    this.name = "NotConnectedError";
  }
}

/**
 * Emits an event and waits for its ack. Rejects when offline, when the ack does not come within
 * `timeoutMs`, or when the connection drops first (socket.io-client fails pending timed acks on
 * disconnect), so callers can tell "no answer" from an answer of `{ok: false}`.
 */
export async function emitAck<T>(event: string, payload: unknown, timeoutMs = 15_000): Promise<Ack<T>> {
  const s = socket;
  if (!s?.connected) throw new NotConnectedError();
  return (await s.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
}

/** Fire-and-forget for events whose loss does not matter (typing); dropped while offline. */
export function emitVolatile(event: string, payload: unknown): void {
  if (socket?.connected) socket.volatile.emit(event, payload);
}
