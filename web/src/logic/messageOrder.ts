// Message ids are TimeUUIDs (version 1) and the server orders history by the time inside them, then
// by the id itself. Comparing the hyphenated strings directly would be wrong: a v1 id starts with the
// *low* bits of its timestamp. So the time fields are reassembled high-to-low into a sortable key.

/**
 * A string that sorts like the server sorts: the 60-bit timestamp as 15 hex digits
 * (time_hi without the version nibble, time_mid, time_low), then the id to break ties.
 */
export function messageSortKey(messageId: string): string {
  const id = messageId.toLowerCase();
  // tttttttt-mmmm-Vhhh-…: time_low at 0..8, time_mid at 9..13, version+time_hi at 14..18.
  return id.slice(15, 18) + id.slice(9, 13) + id.slice(0, 8) + id;
}

/** Negative when `a` was written before `b`. */
export function compareMessageIds(a: string, b: string): number {
  const ka = messageSortKey(a);
  const kb = messageSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** True when message `a` is strictly newer than `b` (a missing `b` counts as older than anything). */
export function isNewerId(a: string, b: string | null | undefined): boolean {
  return b == null || compareMessageIds(a, b) > 0;
}
