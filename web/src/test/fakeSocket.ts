// A stand-in for realtime/socket.ts: records emits and lets a test answer, drop or time out acks
// the way socket.io-client does (a disconnect fails every ack still awaited).
import type { Ack } from "../api/types";

export interface Emitted {
  event: string;
  payload: Record<string, unknown>;
  answer: (ack: Ack<Record<string, unknown>>) => void;
}

export const fake = {
  connected: true,
  emitted: [] as Emitted[],
  waiting: new Set<{ reject: (e: Error) => void }>(),
  reset() {
    this.connected = true;
    this.emitted = [];
    this.waiting.clear();
  },
  /** The connection drops: acks still awaited fail. */
  drop() {
    this.connected = false;
    for (const w of this.waiting) w.reject(new Error("socket has been disconnected"));
    this.waiting.clear();
  },
  sends() {
    return this.emitted.filter((e) => e.event === "send_message");
  },
};

export const socketModule = {
  isConnected: () => fake.connected,
  emitVolatile: () => {},
  emitAck: (event: string, payload: Record<string, unknown>) => {
    if (!fake.connected) return Promise.reject(new Error("not connected"));
    return new Promise((resolve, reject) => {
      const waiter = { reject };
      fake.waiting.add(waiter);
      fake.emitted.push({
        event,
        payload,
        answer: (ack) => {
          fake.waiting.delete(waiter);
          resolve(ack);
        },
      });
    });
  },
};
