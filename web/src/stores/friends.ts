// Friend requests and friendships (GET /api/friends), reloaded after each change and on
// friendship_updated events. Rows carry ids only; names come from the users store.
import { create } from "zustand";
import * as api from "../api/friends";
import type { FriendLists } from "../api/types";
import { myId } from "./session";
import { useUsers } from "./users";

const emptyLists: FriendLists = { friends: [], incoming: [], outgoing: [], blocked: [] };

export type FriendAction = "request" | "accept" | "decline" | "withdraw" | "unfriend" | "block" | "unblock";

const calls: Record<FriendAction, (userId: number) => Promise<unknown>> = {
  request: api.sendFriendRequest,
  accept: api.acceptFriendRequest,
  decline: api.declineFriendRequest,
  withdraw: api.withdrawFriendRequest,
  unfriend: api.unfriend,
  block: api.blockUser,
  unblock: api.unblockUser,
};

interface FriendsState {
  lists: FriendLists;
  loaded: boolean;
  load: () => Promise<void>;
  /** Runs one action against a user, then reloads the lists; rejects with the server's error. */
  act: (action: FriendAction, userId: number) => Promise<void>;
  reset: () => void;
}

/** The other side of a relationship row. */
export function otherParty(row: { requester_id: number; addressee_id: number }): number {
  return row.requester_id === myId() ? row.addressee_id : row.requester_id;
}

export const useFriends = create<FriendsState>()((set, get) => ({
  lists: emptyLists,
  loaded: false,
  load: async () => {
    const lists = await api.fetchFriendLists();
    set({ lists, loaded: true });
    const rows = [...lists.friends, ...lists.incoming, ...lists.outgoing, ...lists.blocked];
    useUsers.getState().ensure(rows.map(otherParty));
  },
  act: async (action, userId) => {
    try {
      await calls[action](userId);
    } finally {
      await get().load().catch(() => {});
    }
  },
  reset: () => set({ lists: emptyLists, loaded: false }),
}));
