import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, configureHttp, request } from "./http";

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  vi.stubGlobal("fetch", vi.fn(async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers })));
}

afterEach(() => vi.unstubAllGlobals());

describe("REST calls", () => {
  it("sends the bearer token and JSON, and returns the parsed body", async () => {
    configureHttp({ token: () => "tok", unauthorized: () => {} });
    answer(200, { ok: 1 });
    await expect(request("POST", "/api/x", { a: 1 })).resolves.toEqual({ ok: 1 });
    const [path, init] = vi.mocked(fetch).mock.calls[0]!;
    expect(path).toBe("/api/x");
    expect((init!.headers as Record<string, string>).authorization).toBe("Bearer tok");
    expect(init!.body).toBe('{"a":1}');
  });

  it("turns the error body into an ApiError with the server's message and field", async () => {
    answer(409, { error: { code: "taken", message: "that username is taken", field: "username" } });
    const error = await request("POST", "/api/auth/register", {}, { anonymous: true }).catch((e: unknown) => e as ApiError);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "taken", message: "that username is taken", field: "username" });
  });

  it("says when to retry after a 429", async () => {
    answer(429, { error: { code: "rate_limited", message: "too many attempts" } }, { "retry-after": "30" });
    const error = await request<never>("GET", "/api/x").catch((e: unknown) => e as ApiError);
    expect(error.message).toBe("too many attempts (try again in 30 s)");
  });

  it("has a wording for errors without a JSON body", async () => {
    answer(502, "<html>bad gateway</html>");
    const error = await request<never>("GET", "/api/x").catch((e: unknown) => e as ApiError);
    expect(error.message).toBe("The server answered 502.");
  });

  it("reports a lost session on 401, except for the login itself", async () => {
    const unauthorized = vi.fn();
    configureHttp({ token: () => "tok", unauthorized });
    answer(401, { error: { code: "unauthorized", message: "token expired" } });
    await request("GET", "/api/users/me").catch(() => {});
    expect(unauthorized).toHaveBeenCalledTimes(1);
    await request("POST", "/api/auth/login", {}, { anonymous: true }).catch(() => {});
    expect(unauthorized).toHaveBeenCalledTimes(1);
  });

  it("explains an unreachable server", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const error = await request<never>("GET", "/api/x").catch((e: unknown) => e as ApiError);
    expect(error).toMatchObject({ code: "network" });
  });
});
