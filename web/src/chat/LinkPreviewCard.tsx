// The card under a message with a link: title, description, site and image, all from the daemon.
//
// The card has one fixed height from its first render (loading, loaded or failed), so a row's
// height never changes after the virtualized list measured it, and the list never has to shift
// its scroll position when a preview arrives. A failed preview keeps its slot with a plain line:
// collapsing it would be exactly the shift the fixed height avoids.
import { useEffect, useState } from "react";
import { type LinkPreview, dismissPreview, fetchPreview } from "../api/preview";
import { describeError } from "../api/http";
import { useMessages } from "../stores/messages";

/** The card's height in pixels; the slot is reserved at this height before anything loads. */
export const CARD_HEIGHT = 88;

type State = { status: "loading" } | { status: "ready"; preview: LinkPreview } | { status: "failed" };

// One request per URL for the page's lifetime, shared by every row (and every re-mount of a row
// scrolled out and back in) that shows it: the daemon caches too, but this saves the round trip.
const previews = new Map<string, Promise<LinkPreview | null>>();

function load(url: string): Promise<LinkPreview | null> {
  let pending = previews.get(url);
  if (!pending) {
    pending = fetchPreview(url).catch(() => null);
    previews.set(url, pending);
  }
  return pending;
}

export interface LinkPreviewCardProps {
  url: string;
  /** Set when the caller sent the message: they may dismiss the card. */
  dismissible: { conversationId: string; messageId: string } | null;
}

export function LinkPreviewCard({ url, dismissible }: LinkPreviewCardProps) {
  const [state, setState] = useState<State>({ status: "loading" });
  const [imageFailed, setImageFailed] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setState({ status: "loading" });
    void load(url).then((preview) => {
      if (live) setState(preview ? { status: "ready", preview } : { status: "failed" });
    });
    return () => {
      live = false;
    };
  }, [url]);

  const dismiss = async () => {
    if (!dismissible) return;
    setError(null);
    try {
      const updated = await dismissPreview(dismissible.conversationId, dismissible.messageId);
      useMessages.getState().receive(dismissible.conversationId, [updated]);
    } catch (e) {
      setError(describeError(e));
    }
  };

  const preview = state.status === "ready" ? state.preview : null;
  const image = preview?.image && !imageFailed ? preview.image : null;
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // parseLinks only hands over valid http(s) URLs; keep the text if that ever changes.
  }
  return (
    <div
      data-testid="link-preview"
      data-status={state.status}
      style={{ height: CARD_HEIGHT }}
      className="relative mt-1 flex w-full max-w-[85%] overflow-hidden rounded-xl border border-slate-200 bg-white text-left md:max-w-[70%] dark:border-slate-700 dark:bg-slate-900"
    >
      {image && (
        <img
          src={image.url}
          alt=""
          loading="lazy"
          width={CARD_HEIGHT}
          height={CARD_HEIGHT}
          onError={() => setImageFailed(true)}
          className="h-full w-[88px] shrink-0 object-cover"
          data-testid="link-preview-image"
        />
      )}
      <a
        href={url}
        target="_blank"
        rel="noopener noreferrer nofollow"
        className="flex min-w-0 flex-1 flex-col justify-center gap-0.5 px-3 py-1.5 hover:bg-slate-50 dark:hover:bg-slate-800"
      >
        <span className="truncate text-xs text-slate-500 dark:text-slate-400" data-testid="link-preview-site">
          {preview?.site_name ?? host}
        </span>
        <span className="truncate text-sm font-medium text-slate-900 dark:text-slate-100" data-testid="link-preview-title">
          {state.status === "loading" ? "Loading preview…" : (preview?.title ?? (state.status === "failed" ? "No preview available" : url))}
        </span>
        {preview?.description && (
          <span className="line-clamp-2 text-xs text-slate-600 dark:text-slate-300" data-testid="link-preview-description">
            {preview.description}
          </span>
        )}
      </a>
      {dismissible && (
        <button
          type="button"
          aria-label="Remove preview"
          title={error ?? "Remove preview for everyone"}
          onClick={() => void dismiss()}
          className="absolute right-1 top-1 rounded px-1.5 text-sm text-slate-500 hover:bg-slate-200 dark:text-slate-400 dark:hover:bg-slate-700"
          data-testid="dismiss-preview"
        >
          ×
        </button>
      )}
    </div>
  );
}
