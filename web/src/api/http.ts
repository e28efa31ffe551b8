// The one place REST requests are made: same-origin /api, bearer token, JSON both ways, and every
// failure turned into an ApiError carrying the server's own {code, message, field}.
import type { ErrorBody } from "./types";

/** A failed request; `message` is the server's wording, fit to show to the user. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  /** Seconds to wait before retrying, from a 429's Retry-After. */
  readonly retryAfterSecs: number | undefined;

  constructor(status: number, body: ErrorBody, retryAfterSecs?: number) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.field = body.field;
    this.retryAfterSecs = retryAfterSecs;
  }
}

interface HttpHooks {
  token: () => string | null;
  /** Called when an authenticated request gets 401: the token expired or was revoked. */
  unauthorized: () => void;
}

// Injected by the session store at start-up; http.ts must not import stores (stores import it).
let hooks: HttpHooks = { token: () => null, unauthorized: () => {} };

/** Wires the token source and the 401 handler. */
export function configureHttp(next: HttpHooks): void {
  hooks = next;
}

// Used when a body is not the JSON error shape (a proxy's HTML page, an empty 502…).
const fallbackByStatus: Record<number, string> = {
  400: "The request was not valid.",
  401: "Please log in again.",
  403: "You are not allowed to do that.",
  404: "Not found.",
  409: "That conflicts with something that already exists.",
  413: "That is too large.",
  429: "Too many attempts; wait a moment and try again.",
  503: "The server's database is unavailable; try again shortly.",
};

function fallbackBody(status: number): ErrorBody {
  return { code: `http_${status}`, message: fallbackByStatus[status] ?? `The server answered ${status}.` };
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: ErrorBody = fallbackBody(response.status);
  try {
    const parsed = (await response.json()) as { error?: ErrorBody };
    if (parsed.error && typeof parsed.error.message === "string") body = parsed.error;
  } catch {
    // Not JSON: keep the fallback wording.
  }
  const retry = Number(response.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  if (response.status === 429 && retryAfter) {
    body = { ...body, message: `${body.message} (try again in ${retryAfter} s)` };
  }
  return new ApiError(response.status, body, retryAfter);
}

export interface RequestOptions {
  /** Send without the bearer token and never treat 401 as a lost session (login, register). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

/** Makes one API call; resolves with the parsed JSON body (undefined for an empty body). */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const token = options.anonymous ? null : hooks.token();
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, { code: "network", message: "Cannot reach the server. Check your connection." });
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.anonymous) hooks.unauthorized();
    throw error;
  }
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The message to show for any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return "Something went wrong.";
}
