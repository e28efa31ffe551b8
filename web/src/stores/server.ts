// The server's limits, read once at start-up so the composer refuses what the server would, and
// its features, so the app asks only for what the server does (no preview requests, and so no
// failed requests, where previews are switched off).
import { create } from "zustand";
import { fetchServerInfo } from "../api/server";

/** The server's default `chat.max_message_bytes`, used until (or if never) it answers. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024;

interface ServerState {
  maxMessageBytes: number;
  /** Whether messages' links get preview cards; off until the server says otherwise. */
  linkPreviews: boolean;
  load: () => Promise<void>;
}

export const useServer = create<ServerState>()((set) => ({
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  linkPreviews: false,
  load: async () => {
    try {
      const info = await fetchServerInfo();
      set({ maxMessageBytes: info.limits.max_message_bytes, linkPreviews: info.features?.link_previews === true });
    } catch {
      // The default stands; the server still refuses anything too long, with its own message.
    }
  },
}));
