// Other users: profiles by id and prefix search.
import { request } from "./http";
import type { UserSearchPage } from "./types";

/** The server's batch lookup takes at most this many ids. */
export const MAX_IDS_PER_LOOKUP = 100;

/** Several profiles in one request; unknown and disabled users are left out of the answer. */
export const fetchUsers = (ids: number[]) =>
  request<UserSearchPage>("GET", `/api/users?ids=${ids.join(",")}`).then((page) => page.users);

export function searchUsers(query: string, limit = 20, signal?: AbortSignal) {
  const params = new URLSearchParams({ query, limit: String(limit) });
  return request<UserSearchPage>("GET", `/api/users?${params}`, undefined, { signal });
}
