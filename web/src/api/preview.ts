// Link previews: fetched by the daemon (never by this browser), images served by the daemon too.
import { request } from "./http";
import type { Message } from "./types";

export interface LinkPreview {
  url: string;
  final_url: string;
  title: string | null;
  description: string | null;
  site_name: string | null;
  /** `url` is a path on this server (the image proxy), so `img-src 'self'` covers it. */
  image: { url: string; width: number | null; height: number | null } | null;
  fetched_at: string;
}

export { PREVIEW_DISMISSED, PREVIEW_KEY } from "./types";

export const fetchPreview = (url: string) => request<LinkPreview>("POST", "/api/preview", { url });

/** Hides the card of one of the caller's messages for everyone (sent as message_edited). */
export const dismissPreview = (conversationId: string, messageId: string) =>
  request<Message>(
    "DELETE",
    `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/preview`,
  );
