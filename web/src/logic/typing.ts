// Who else is typing, per conversation. A typing start from the server lasts `expires_in_ms`
// unless renewed, and then expires on its own here too — a stop that never arrives (peer's tab
// closed) must not leave the indicator on forever.

/** How long a start is shown when the server does not say (older servers): above its 5 s default. */
export const TYPING_SHOWN_MS = 6000;

/** user id → time (ms since epoch) the indicator expires. */
export type TypingUsers = Record<number, number>;

/** Applies one typing event; a start lasts `lastsMs` (the server's `expires_in_ms`). */
export function applyTyping(
  users: TypingUsers,
  userId: number,
  typing: boolean,
  now: number,
  lastsMs: number = TYPING_SHOWN_MS,
): TypingUsers {
  if (typing) return { ...users, [userId]: now + (lastsMs > 0 ? lastsMs : TYPING_SHOWN_MS) };
  if (!(userId in users)) return users;
  const next = { ...users };
  delete next[userId];
  return next;
}

/** Drops expired entries; returns `users` itself when none expired. */
export function expireTyping(users: TypingUsers, now: number): TypingUsers {
  const live = Object.entries(users).filter(([, until]) => until > now);
  if (live.length === Object.keys(users).length) return users;
  return Object.fromEntries(live) as TypingUsers;
}

/** "Ann is typing…", "Ann and Ben are typing…", "3 people are typing…". */
export function typingLabel(names: string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
