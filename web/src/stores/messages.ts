// Loaded message history per conversation, with the caller's unconfirmed sends. Every path that
// brings stored messages in — first page, older pages, live events, acks, catch-up — goes through
// receive(), so the dedupe rules in logic/timeline.ts hold whatever the order of arrival.
import { create } from "zustand";
import { fetchHistory } from "../api/conversations";
import { describeError } from "../api/http";
import type { Message } from "../api/types";
import {
  addPending,
  discardPending,
  emptyTimeline,
  oldestMessageId,
  prependOlder,
  receiveMessages,
  updatePending,
  type PendingMessage,
  type Timeline,
} from "../logic/timeline";
import { loadReceipts } from "./receipts";
import { myId } from "./session";

/** Messages per history page when scrolling back. */
export const PAGE_SIZE = 50;

interface MessagesState {
  timelines: Record<string, Timeline>;
  /** Which conversations have a history request in flight. */
  loading: Record<string, "latest" | "older" | undefined>;
  errors: Record<string, string | undefined>;
  /** Loads the newest page unless the conversation is already loaded. */
  ensureLoaded: (id: string) => Promise<void>;
  /** Loads the page before the oldest held message. */
  loadOlder: (id: string) => Promise<void>;
  /** Merges stored messages into a loaded timeline; ignored for conversations not loaded yet. */
  receive: (id: string, messages: Message[]) => void;
  /** Swaps in a fresh newest page (after a long absence), keeping pending sends. */
  replaceWithLatest: (id: string, messages: Message[]) => void;
  addPending: (pending: PendingMessage) => void;
  updatePending: (id: string, clientMsgId: string, change: Partial<Pick<PendingMessage, "status" | "error">>) => void;
  discardPending: (id: string, clientMsgId: string) => void;
  drop: (id: string) => void;
  reset: () => void;
}

export const useMessages = create<MessagesState>()((set, get) => {
  const updateTimeline = (id: string, change: (t: Timeline) => Timeline) =>
    set((s) => {
      const current = s.timelines[id];
      if (!current) return s;
      const next = change(current);
      return next === current ? s : { timelines: { ...s.timelines, [id]: next } };
    });

  return {
    timelines: {},
    loading: {},
    errors: {},

    ensureLoaded: async (id) => {
      if (get().timelines[id]?.loaded || get().loading[id]) return;
      set((s) => ({ loading: { ...s.loading, [id]: "latest" }, errors: { ...s.errors, [id]: undefined } }));
      try {
        const page = await fetchHistory(id, { latest: true }, PAGE_SIZE);
        void loadReceipts(id);
        set((s) => {
          // Live messages or pending sends may have landed while the page was in flight.
          const base = s.timelines[id] ?? emptyTimeline;
          const merged = prependOlder(base, page, PAGE_SIZE, myId());
          return { timelines: { ...s.timelines, [id]: merged } };
        });
      } catch (e) {
        set((s) => ({ errors: { ...s.errors, [id]: describeError(e) } }));
      } finally {
        set((s) => ({ loading: { ...s.loading, [id]: undefined } }));
      }
    },

    loadOlder: async (id) => {
      const timeline = get().timelines[id];
      if (!timeline?.loaded || !timeline.hasOlder || get().loading[id]) return;
      const before = oldestMessageId(timeline);
      if (!before) return;
      set((s) => ({ loading: { ...s.loading, [id]: "older" }, errors: { ...s.errors, [id]: undefined } }));
      try {
        const page = await fetchHistory(id, { before }, PAGE_SIZE);
        updateTimeline(id, (t) => prependOlder(t, page, PAGE_SIZE, myId()));
      } catch (e) {
        set((s) => ({ errors: { ...s.errors, [id]: describeError(e) } }));
      } finally {
        set((s) => ({ loading: { ...s.loading, [id]: undefined } }));
      }
    },

    receive: (id, messages) => updateTimeline(id, (t) => receiveMessages(t, messages, myId())),

    replaceWithLatest: (id, messages) =>
      updateTimeline(id, (t) =>
        receiveMessages(
          { messages: [], pending: t.pending, hasOlder: messages.length >= PAGE_SIZE, loaded: true },
          messages,
          myId(),
        ),
      ),

    // Pending sends are added even before the history loads, so a send right after opening a
    // conversation is not lost: the first page then merges in around it.
    addPending: (pending) =>
      set((s) => {
        const current = s.timelines[pending.conversation_id] ?? emptyTimeline;
        return { timelines: { ...s.timelines, [pending.conversation_id]: addPending(current, pending) } };
      }),

    updatePending: (id, clientMsgId, change) => updateTimeline(id, (t) => updatePending(t, clientMsgId, change)),

    discardPending: (id, clientMsgId) => updateTimeline(id, (t) => discardPending(t, clientMsgId)),

    drop: (id) =>
      set((s) => {
        const timelines = { ...s.timelines };
        delete timelines[id];
        return { timelines };
      }),

    reset: () => set({ timelines: {}, loading: {}, errors: {} }),
  };
});
