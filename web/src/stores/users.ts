// Profiles of other users by id, fetched on demand: conversation summaries, friend rows and group
// members carry only ids. Unknown ids are looked up together (`/api/users?ids=`, 100 at a time).
import { create } from "zustand";
import { ApiError } from "../api/http";
import { MAX_IDS_PER_LOOKUP, fetchUsers } from "../api/users";
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
    const wanted = [...new Set(ids)].filter((id) => !requested.has(id) && !get().byId[id]);
    for (let i = 0; i < wanted.length; i += MAX_IDS_PER_LOOKUP) {
      const batch = wanted.slice(i, i + MAX_IDS_PER_LOOKUP);
      for (const id of batch) requested.add(id);
      fetchUsers(batch).then(
        // Ids missing from the answer are unknown or disabled: they stay "User #id", not re-asked.
        (users) => get().remember(users),
        (e: unknown) => {
          // The UI falls back to "User #id"; an unreachable server may be asked again later.
          if (!(e instanceof ApiError && e.status < 500)) for (const id of batch) requested.delete(id);
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
