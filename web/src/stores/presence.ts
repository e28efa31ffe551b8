// Online state of other users (direct-conversation peers and friends), from get_presence answers
// and live presence events.
import { create } from "zustand";
import type { PresenceEvent } from "../api/types";

interface PresenceState {
  byUser: Record<number, PresenceEvent>;
  apply: (entries: PresenceEvent[]) => void;
  reset: () => void;
}

export const usePresence = create<PresenceState>()((set) => ({
  byUser: {},
  apply: (entries) =>
    set((s) => {
      if (entries.length === 0) return s;
      const byUser = { ...s.byUser };
      for (const e of entries) byUser[e.user_id] = e;
      return { byUser };
    }),
  reset: () => set({ byUser: {} }),
}));
