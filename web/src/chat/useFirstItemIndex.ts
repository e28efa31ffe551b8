// react-virtuoso keeps the scroll position when items are prepended only if `firstItemIndex`
// drops by exactly the number of items added in front. Rows have stable keys, so the count is
// where the previous first row now sits. If that row is gone (history replaced after a long
// absence) or the list was empty, the list is remounted (`generation`) and starts at the bottom.
import { useRef } from "react";
import type { MessageRow } from "../logic/rows";

const START = 1_000_000_000;

export function useFirstItemIndex(rows: MessageRow[]): { firstItemIndex: number; generation: number } {
  const state = useRef<{ firstKey: string | undefined; first: number; generation: number } | null>(null);
  if (state.current === null) state.current = { firstKey: rows[0]?.key, first: START, generation: 0 };
  const s = state.current;
  const key = rows[0]?.key;
  if (key !== s.firstKey) {
    // Idempotent for a given `rows`, so React's double render in StrictMode does no harm.
    const moved = s.firstKey === undefined ? -1 : rows.findIndex((r) => r.key === s.firstKey);
    if (moved > 0) {
      s.first -= moved;
    } else {
      s.generation += 1;
      s.first = START;
    }
    s.firstKey = key;
  }
  return { firstItemIndex: s.first, generation: s.generation };
}
