import { afterEach, describe, expect, it, vi } from "vitest";
import { request } from "../api/http";
import { useSession } from "./session";

const me = { id: 7, username: "ann", email: "ann@example.org" };

function answers(...responses: Array<[number, unknown]>) {
  const queue = [...responses];
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => {
      const [status, body] = queue.shift()!;
      return new Response(JSON.stringify(body), { status });
    }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  useSession.setState({ status: "anonymous", token: null, me: null, notice: null });
});

describe("the session", () => {
  it("keeps the token across a reload", async () => {
    answers([200, { access_token: "tok", token_type: "Bearer", expires_in: 60, user: me }]);
    await useSession.getState().login("ann", "pw");
    expect(localStorage.getItem("omegachat.token")).toBe("tok");

    useSession.setState({ status: "restoring", token: null, me: null });
    answers([200, me]);
    await useSession.getState().restore();
    expect(useSession.getState()).toMatchObject({ status: "signedIn", token: "tok", me: { id: 7 } });
  });

  it("goes back to the login screen with a notice when the server answers 401", async () => {
    useSession.setState({ status: "signedIn", token: "old", me: me as never });
    localStorage.setItem("omegachat.token", "old");
    answers([401, { error: { code: "unauthorized", message: "token revoked" } }]);
    await request("GET", "/api/conversations").catch(() => {});
    expect(useSession.getState()).toMatchObject({ status: "anonymous", token: null });
    expect(useSession.getState().notice).toMatch(/log in again/);
    expect(localStorage.getItem("omegachat.token")).toBeNull();
  });

  it("stays signed in with the cached account when the server cannot be reached at start-up", async () => {
    localStorage.setItem("omegachat.token", "tok");
    localStorage.setItem("omegachat.me", JSON.stringify(me));
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("offline"))));
    await useSession.getState().restore();
    expect(useSession.getState()).toMatchObject({ status: "signedIn", me: { id: 7 } });
  });
});
