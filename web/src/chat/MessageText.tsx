// Message text with clickable links, built from React elements only (never innerHTML), and links
// opened in a new tab without giving it a handle on this one.
import { useMemo } from "react";
import { parseLinks } from "../logic/links";

export function MessageText({ text }: { text: string }) {
  const segments = useMemo(() => parseLinks(text), [text]);
  return (
    <span className="whitespace-pre-wrap break-words [overflow-wrap:anywhere]" data-testid="message-text">
      {segments.map((s, i) =>
        s.kind === "link" ? (
          <a
            key={i}
            href={s.href}
            target="_blank"
            rel="noopener noreferrer nofollow"
            className="underline decoration-1 underline-offset-2 hover:opacity-80"
          >
            {s.text}
          </a>
        ) : (
          <span key={i}>{s.text}</span>
        ),
      )}
    </span>
  );
}
