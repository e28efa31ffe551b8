// Other participants typing, per conversation; entries expire on their own (see logic/typing.ts).
import { create } from "zustand";
import { applyTyping, expireTyping, type TypingUsers } from "../logic/typing";

interface TypingState {
  byConversation: Record<string, TypingUsers>;
  apply: (conversationId: string, userId: number, typing: boolean, lastsMs?: number, now?: number) => void;
  /** Drops expired indicators everywhere; run on a timer. */
  expire: (now?: number) => void;
  reset: () => void;
}

export const useTyping = create<TypingState>()((set) => ({
  byConversation: {},
  apply: (conversationId, userId, typing, lastsMs, now = Date.now()) =>
    set((s) => {
      const current = s.byConversation[conversationId] ?? {};
      const next = applyTyping(current, userId, typing, now, lastsMs);
      return next === current ? s : { byConversation: { ...s.byConversation, [conversationId]: next } };
    }),
  expire: (now = Date.now()) =>
    set((s) => {
      let changed = false;
      const byConversation: Record<string, TypingUsers> = {};
      for (const [id, users] of Object.entries(s.byConversation)) {
        const next = expireTyping(users, now);
        if (next !== users) changed = true;
        if (Object.keys(next).length > 0) byConversation[id] = next;
        else changed = true;
      }
      return changed ? { byConversation } : s;
    }),
  reset: () => set({ byConversation: {} }),
}));
