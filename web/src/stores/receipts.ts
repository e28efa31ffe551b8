// How far other participants have read, per conversation: loaded from the read-markers endpoint
// when a conversation is loaded or caught up, then moved forward by live messages_read events.
import { create } from "zustand";
import { fetchReadMarkers } from "../api/conversations";
import { isNewerId } from "../logic/messageOrder";
import { myId } from "./session";

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

/** Seeds "seen" receipts from the server's markers; live messages_read events move them on. */
export async function loadReceipts(id: string): Promise<void> {
  try {
    const { markers } = await fetchReadMarkers(id);
    const me = myId();
    for (const marker of markers) {
      if (marker.user_id !== me && marker.last_read_message_id)
        useReceipts.getState().apply(id, marker.user_id, marker.last_read_message_id);
    }
  } catch {
    // Receipts are a nicety: the conversation works without them and live events still arrive.
  }
}
