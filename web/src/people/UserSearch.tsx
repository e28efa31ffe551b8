// Finds users by the start of their username or display name, and renders caller-chosen actions
// for each result.
import { useEffect, useState, type ReactNode } from "react";
import { describeError } from "../api/http";
import type { User } from "../api/types";
import { searchUsers } from "../api/users";
import { myId } from "../stores/session";
import { nameOf, useUsers } from "../stores/users";

const DEBOUNCE_MS = 250;

export function UserSearch({ label, actions }: { label: string; actions: (user: User) => ReactNode }) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      searchUsers(q, 20, abort.signal).then(
        (page) => {
          useUsers.getState().remember(page.users);
          setResults(page.users.filter((u) => u.id !== myId()));
          setError(null);
        },
        (e) => {
          if (!abort.signal.aborted) setError(describeError(e));
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query]);

  return (
    <div className="flex flex-col gap-2">
      <label htmlFor="user-search" className="text-sm font-medium">
        {label}
      </label>
      <input
        id="user-search"
        type="search"
        autoComplete="off"
        placeholder="Username or name"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="user-search-input"
        className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base dark:border-slate-600 dark:bg-slate-900"
      />
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <ul className="flex flex-col" aria-label="Search results">
        {results.map((u) => (
          <li key={u.id} data-testid="user-search-result" data-user-id={u.id} className="flex items-center gap-2 border-b border-slate-100 py-2 dark:border-slate-800">
            <span className="min-w-0 flex-1">
              <span className="block truncate font-medium">{nameOf(u, u.id)}</span>
              <span className="block truncate text-xs text-slate-500 dark:text-slate-400">@{u.username}</span>
            </span>
            {actions(u)}
          </li>
        ))}
        {query.trim() && results.length === 0 && !error && (
          <li className="py-2 text-sm text-slate-500 dark:text-slate-400">No one found.</li>
        )}
      </ul>
    </div>
  );
}
