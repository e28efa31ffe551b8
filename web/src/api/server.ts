// What the server tells every client before it sends (no token needed).
import { request } from "./http";

export interface ServerInfo {
  version: string;
  limits: { max_message_bytes: number; sends_per_user_per_minute: number };
  /** Absent from daemons older than link previews. */
  features?: { link_previews?: boolean };
}

export const fetchServerInfo = () => request<ServerInfo>("GET", "/api/server");
