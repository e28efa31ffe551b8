// Profiles of other users by id, fetched on demand: conversation summaries, friend rows and group
// members carry only ids, and the API has no batch lookup, so each unknown id costs one request.
import { create } from "zustand";
import { ApiError } from "../api/http";
import { fetchUser } from "../api/users";
import type { User } from "../api/types";

interface UsersState {
  byId: Record<number, User>;
  remember: (users: User[]) => void;
  /** Fetches the profiles not known yet (each id at most once per session). */
  ensure: (ids: Iterable<number>) => void;
  reset: () => void;
}

// Ids asked for already (in flight, fetched, or unknown to the server): not asked again.
const requested = new Set<number>();

export const useUsers = create<UsersState>()((set, get) => ({
  byId: {},
  remember: (users) =>
    set((s) => {
      const byId = { ...s.byId };
      for (const u of users) byId[u.id] = u;
      return { byId };
    }),
  ensure: (ids) => {
    for (const id of ids) {
      if (requested.has(id) || get().byId[id]) continue;
      requested.add(id);
      fetchUser(id).then(
        (user) => get().remember([user]),
        (e: unknown) => {
          // The UI falls back to "User #id"; an unreachable server may be asked again later.
          if (!(e instanceof ApiError && e.status === 404)) requested.delete(id);
        },
      );
    }
  },
  reset: () => {
    requested.clear();
    set({ byId: {} });
  },
}));

/** The name to show for a user: display name, else username, else a placeholder with the id. */
export function nameOf(user: User | undefined, id: number): string {
  return user?.display_name?.trim() || user?.username || `User #${id}`;
}
