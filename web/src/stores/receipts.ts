// How far other participants have read, per conversation: loaded from the read-markers endpoint
// when a conversation is loaded or caught up, then moved forward by live messages_read events.
import { create } from "zustand";
import { isNewerId } from "../logic/messageOrder";

interface ReceiptsState {
  /** conversation id → user id → newest message id that user has read. */
  byConversation: Record<string, Record<number, string>>;
  apply: (conversationId: string, userId: number, messageId: string) => void;
  reset: () => void;
}

export const useReceipts = create<ReceiptsState>()((set) => ({
  byConversation: {},
  apply: (conversationId, userId, messageId) =>
    set((s) => {
      const readers = s.byConversation[conversationId] ?? {};
      // Markers only move forward; a late or replayed event must not move one back.
      if (!isNewerId(messageId, readers[userId])) return s;
      return { byConversation: { ...s.byConversation, [conversationId]: { ...readers, [userId]: messageId } } };
    }),
  reset: () => set({ byConversation: {} }),
}));
