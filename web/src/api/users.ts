// Other users: profiles by id and prefix search.
import { request } from "./http";
import type { User, UserSearchPage } from "./types";

export const fetchUser = (id: number) => request<User>("GET", `/api/users/${id}`);

export function searchUsers(query: string, limit = 20, signal?: AbortSignal) {
  const params = new URLSearchParams({ query, limit: String(limit) });
  return request<UserSearchPage>("GET", `/api/users?${params}`, undefined, { signal });
}
