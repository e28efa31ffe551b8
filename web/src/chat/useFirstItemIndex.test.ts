import { renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { MessageRow } from "../logic/rows";
import { useFirstItemIndex } from "./useFirstItemIndex";

const rows = (...keys: string[]) => keys.map((key) => ({ key }) as MessageRow);

describe("keeping the scroll position when older pages are prepended", () => {
  it("lowers firstItemIndex by the number of rows added in front, not for rows added at the end", () => {
    const { result, rerender } = renderHook(({ r }) => useFirstItemIndex(r), { initialProps: { r: rows("c", "d") } });
    const start = result.current.firstItemIndex;
    rerender({ r: rows("c", "d", "e") });
    expect(result.current.firstItemIndex).toBe(start);
    rerender({ r: rows("a", "b", "c", "d", "e") });
    expect(result.current).toEqual({ firstItemIndex: start - 2, generation: 0 });
  });

  it("starts over (remount at the bottom) when the old first row is gone or the list was empty", () => {
    const { result, rerender } = renderHook(({ r }) => useFirstItemIndex(r), { initialProps: { r: rows() } });
    rerender({ r: rows("x") });
    expect(result.current.generation).toBe(1);
    rerender({ r: rows("p", "q") });
    expect(result.current.generation).toBe(2);
  });
});
