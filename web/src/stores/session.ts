// Who is signed in. The token lives in localStorage so a reload keeps the session; the account is
// cached beside it so the app can start while the server is unreachable. This store knows nothing
// of sockets or other stores: bootstrap.ts reacts to sign-in and sign-out.
import { create } from "zustand";
import { fetchMe, logIn, registerAccount, type RegisterInput } from "../api/auth";
import { ApiError, configureHttp } from "../api/http";
import type { Me } from "../api/types";

const TOKEN_KEY = "omegachat.token";
const ME_KEY = "omegachat.me";

export type SessionStatus = "restoring" | "anonymous" | "signedIn";

interface SessionState {
  status: SessionStatus;
  token: string | null;
  me: Me | null;
  /** Why the user was sent back to the login screen (expired session…), shown there once. */
  notice: string | null;
  /** Reads the stored token and checks it with the server. */
  restore: () => Promise<void>;
  login: (login: string, password: string) => Promise<void>;
  /** Creates the account, then signs in with it. */
  register: (input: RegisterInput) => Promise<void>;
  logout: (notice?: string) => void;
  setMe: (me: Me) => void;
}

function readCachedMe(): Me | null {
  try {
    const raw = localStorage.getItem(ME_KEY);
    return raw ? (JSON.parse(raw) as Me) : null;
  } catch {
    return null;
  }
}

export const useSession = create<SessionState>()((set, get) => ({
  status: "restoring",
  token: null,
  me: null,
  notice: null,

  restore: async () => {
    const token = localStorage.getItem(TOKEN_KEY);
    if (!token) {
      set({ status: "anonymous" });
      return;
    }
    const cached = readCachedMe();
    set({ token, me: cached });
    try {
      get().setMe(await fetchMe());
      set({ status: "signedIn" });
    } catch (e) {
      // 401 already signed out through the http hook; offline with a cached account keeps going
      // and the socket's reconnection brings the app up to date later.
      if (e instanceof ApiError && e.status === 401) return;
      set(cached ? { status: "signedIn" } : { status: "anonymous", token: null });
    }
  },

  login: async (login, password) => {
    const answer = await logIn(login, password);
    localStorage.setItem(TOKEN_KEY, answer.access_token);
    localStorage.setItem(ME_KEY, JSON.stringify(answer.user));
    set({ status: "signedIn", token: answer.access_token, me: answer.user, notice: null });
  },

  register: async (input) => {
    await registerAccount(input);
    await get().login(input.username, input.password);
  },

  logout: (notice) => {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(ME_KEY);
    set({ status: "anonymous", token: null, me: null, notice: notice ?? null });
  },

  setMe: (me) => {
    localStorage.setItem(ME_KEY, JSON.stringify(me));
    set({ me });
  },
}));

/** The signed-in user's id; callers run only while signed in. */
export function myId(): number {
  return useSession.getState().me?.id ?? -1;
}

configureHttp({
  token: () => useSession.getState().token,
  unauthorized: () => {
    if (useSession.getState().token) useSession.getState().logout("Your session has ended. Please log in again.");
  },
});
