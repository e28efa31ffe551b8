// Hash routing: the daemon serves index.html for unknown paths, but hash routes need no server help
// at all, so the app works however it is mounted.
import { useSyncExternalStore } from "react";

export type Route =
  | { page: "home" }
  | { page: "chat"; conversationId: string }
  | { page: "group"; conversationId: string }
  | { page: "people" }
  | { page: "new-group" }
  | { page: "register" };

export const paths = {
  home: "#/",
  chat: (id: string) => `#/c/${encodeURIComponent(id)}`,
  group: (id: string) => `#/c/${encodeURIComponent(id)}/info`,
  people: "#/people",
  newGroup: "#/new-group",
  register: "#/register",
  login: "#/",
};

/** The route a location hash names; anything unknown is home. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "");
  const chat = /^\/c\/([^/]+)(\/info)?$/.exec(path);
  if (chat) {
    const conversationId = decodeURIComponent(chat[1]!);
    return chat[2] ? { page: "group", conversationId } : { page: "chat", conversationId };
  }
  if (path === "/people") return { page: "people" };
  if (path === "/new-group") return { page: "new-group" };
  if (path === "/register") return { page: "register" };
  return { page: "home" };
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The current route, re-rendering on every hash change. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}

export function navigate(path: string): void {
  window.location.hash = path;
}
