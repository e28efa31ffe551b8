// Splits message text into plain and link segments so links render as real <a> elements without
// ever injecting HTML. Only http(s) URLs (and bare www. hosts, given https) become links: anything
// else — javascript:, data: — stays text.

export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const candidate = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;

// Punctuation that usually closes a sentence rather than belonging to the URL.
const trailing = /[.,;:!?'"*_~]+$/;

function trimUrl(raw: string): string {
  let url = raw.replace(trailing, "");
  // Drop a closing bracket the URL did not open: "(see https://x.org/a)".
  for (const [open, close] of [["(", ")"], ["[", "]"]] as const) {
    while (url.endsWith(close) && url.split(open).length < url.split(close).length) {
      url = url.slice(0, -1).replace(trailing, "");
    }
  }
  return url;
}

function safeHref(text: string): string | null {
  const href = /^www\./i.test(text) ? `https://${text}` : text;
  try {
    const url = new URL(href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The text as alternating text and link segments, in order; joined, they give back the input. */
export function parseLinks(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(candidate)) {
    const start = match.index;
    const url = trimUrl(match[0]);
    const href = url.length > 0 ? safeHref(url) : null;
    if (!href || /^(https?:\/\/|www\.)$/i.test(url)) continue;
    if (start > last) segments.push({ kind: "text", text: text.slice(last, start) });
    segments.push({ kind: "link", text: url, href });
    last = start + url.length;
  }
  if (last < text.length) segments.push({ kind: "text", text: text.slice(last) });
  return segments;
}
