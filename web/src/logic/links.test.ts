import { describe, expect, it } from "vitest";
import { parseLinks } from "./links";

const links = (text: string) => parseLinks(text).filter((s) => s.kind === "link");

describe("link parsing", () => {
  it("finds http(s) links and keeps the rest as text, losing nothing", () => {
    const text = "see https://example.org/a?b=1#c and http://x.test/ too";
    const segments = parseLinks(text);
    expect(segments.map((s) => s.text).join("")).toBe(text);
    expect(links(text).map((s) => s.kind === "link" && s.href)).toEqual(["https://example.org/a?b=1#c", "http://x.test/"]);
  });

  it("makes bare www. hosts https links", () => {
    expect(links("go to www.example.org now")).toEqual([{ kind: "link", text: "www.example.org", href: "https://www.example.org/" }]);
  });

  it("leaves sentence punctuation and unopened brackets outside the link", () => {
    expect(links("Look: https://example.org/page.").map((s) => s.text)).toEqual(["https://example.org/page"]);
    expect(links("(see https://example.org/x)").map((s) => s.text)).toEqual(["https://example.org/x"]);
    expect(links("wiki https://en.wikipedia.org/wiki/Rust_(language)!").map((s) => s.text)).toEqual([
      "https://en.wikipedia.org/wiki/Rust_(language)",
    ]);
  });

  it("never links other schemes", () => {
    expect(links("javascript:alert(1) data:text/html,x ftp://x.org")).toEqual([]);
  });

  it("keeps markup as text", () => {
    const text = '<img src=x onerror=alert(1)> https://a.test/"><script>';
    expect(parseLinks(text).map((s) => s.text).join("")).toBe(text);
    expect(links(text).map((s) => s.text)).toEqual(["https://a.test/"]);
  });

  it("handles text without links and empty text", () => {
    expect(parseLinks("plain")).toEqual([{ kind: "text", text: "plain" }]);
    expect(parseLinks("")).toEqual([]);
    expect(links("just https:// alone")).toEqual([]);
  });
});
