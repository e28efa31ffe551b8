// The conversation list: summaries from GET /api/conversations kept current by live events.
// Archived ones are fetched only while the archived toggle is on, as the API serves them apart.
import { create } from "zustand";
import {
  fetchConversation,
  fetchConversations,
  openDirect,
  setConversationFlags,
} from "../api/conversations";
import { ApiError } from "../api/http";
import type { Conversation, ConversationFlags, Message } from "../api/types";
import { applyDeletedMessage, applyIncomingMessage, applyReadMarker, mergeListed } from "../logic/unread";

interface ConversationsState {
  byId: Record<string, Conversation>;
  loaded: boolean;
  showArchived: boolean;
  error: string | null;
  /** Replaces the list from the server (and the archived list while it is shown). */
  load: () => Promise<void>;
  /** Re-reads one conversation (after conversation_updated); drops it when it is gone. */
  refresh: (id: string) => Promise<void>;
  setShowArchived: (show: boolean) => Promise<void>;
  upsert: (conversation: Conversation) => void;
  remove: (id: string) => void;
  /** Conversations the server said I left (removed, group deleted): not worth asking for again. */
  gone: Record<string, true>;
  /** Applies mute/pin/archive optimistically, then takes the server's answer (or rolls back). */
  setFlags: (id: string, flags: ConversationFlags) => Promise<void>;
  /** Opens (creating on first use) the direct conversation with a user; returns its id. */
  openDirectWith: (userId: number) => Promise<string>;
  /** A live or just-confirmed message; returns false when the conversation is not known yet. */
  applyMessage: (message: Message, meId: number, viewing: boolean) => boolean;
  applyDeleted: (message: Message, meId: number) => void;
  /** My read marker moved (my mark_read, or another of my tabs). */
  applyRead: (id: string, messageId: string) => void;
  reset: () => void;
}

const initial = { byId: {}, gone: {}, loaded: false, showArchived: false, error: null };

export const useConversations = create<ConversationsState>()((set, get) => ({
  ...initial,

  load: async () => {
    try {
      const lists = await Promise.all([
        fetchConversations(false),
        get().showArchived ? fetchConversations(true) : Promise.resolve([]),
      ]);
      set((s) => {
        const byId: Record<string, Conversation> = {};
        for (const c of lists.flat()) byId[c.conversation_id] = mergeListed(c, s.byId[c.conversation_id]);
        return { byId, loaded: true, error: null };
      });
    } catch (e) {
      if (e instanceof ApiError) set({ error: e.message });
      else throw e;
    }
  },

  refresh: async (id) => {
    try {
      get().upsert(await fetchConversation(id));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) get().remove(id);
      else if (!(e instanceof ApiError)) throw e;
    }
  },

  setShowArchived: async (show) => {
    set({ showArchived: show });
    if (show) {
      const archived = await fetchConversations(true);
      set((s) => {
        const byId = { ...s.byId };
        for (const c of archived) byId[c.conversation_id] = c;
        return { byId };
      });
    }
  },

  upsert: (conversation) =>
    set((s) => {
      const gone = { ...s.gone };
      delete gone[conversation.conversation_id];
      return { byId: { ...s.byId, [conversation.conversation_id]: conversation }, gone };
    }),

  remove: (id) =>
    set((s) => {
      const byId = { ...s.byId };
      delete byId[id];
      return { byId, gone: { ...s.gone, [id]: true } };
    }),

  setFlags: async (id, flags) => {
    const before = get().byId[id];
    if (!before) return;
    get().upsert({ ...before, ...flags });
    try {
      get().upsert(await setConversationFlags(id, flags));
    } catch (e) {
      get().upsert(before);
      throw e;
    }
  },

  openDirectWith: async (userId) => {
    const conversation = await openDirect(userId);
    // A conversation archived earlier comes back into the main list when reopened on purpose.
    get().upsert(conversation);
    return conversation.conversation_id;
  },

  applyMessage: (message, meId, viewing) => {
    const current = get().byId[message.conversation_id];
    if (!current) return false;
    const next = applyIncomingMessage(current, message, meId, viewing);
    if (next !== current) get().upsert(next);
    return true;
  },

  applyDeleted: (message, meId) => {
    const current = get().byId[message.conversation_id];
    if (!current) return;
    const next = applyDeletedMessage(current, message, meId);
    if (next !== current) get().upsert(next);
  },

  applyRead: (id, messageId) => {
    const current = get().byId[id];
    if (!current) return;
    const next = applyReadMarker(current, messageId);
    if (next !== current) get().upsert(next);
  },

  reset: () => set(initial),
}));
