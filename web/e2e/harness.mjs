// Shared set-up for the end-to-end tests (*.test.mjs, run by `npm run e2e`) and the benchmark
// (bench.mjs): a real omegachatd of their own (embedded SQLite in a scratch data directory, a free
// port) serving the web app it embeds, an optional pausable TCP proxy in front of it (to cut the
// browser's network), and Debian's headless Chromium driven by playwright-core.
//
// Every page opened through `newPage` records console errors, uncaught page errors and CSP
// violations; `assertCleanConsole()` fails the test on any of them, except network errors logged
// while an outage is deliberately in progress (`beginOutage()` … `endOutage()`).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const REPO = new URL("../../", import.meta.url).pathname;
export const WEB_DIST = join(REPO, "web-dist");
/** Screenshots land here (git-ignored); never commit them. */
export const ARTIFACTS = process.env.OMEGACHAT_ARTIFACTS || join(REPO, "test-artifacts");
export const PASSWORD = "correct horse battery";
/** How long one UI expectation may take: generous for a loaded 2-core machine, but bounded. */
export const UI_TIMEOUT = 15_000;
/**
 * How long a send queued while offline may take to be confirmed once the page is back online.
 * Normally well under a second; but the daemon can drop events that arrive on a new socket before
 * its connect handler has registered the event handlers (a known bug, see README.md), and then the
 * app waits for its 15 s ack timeout and retries 3 s later.
 */
export const RESEND_TIMEOUT = 30_000;

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Playwright adds --user-data-dir itself: every `launch()` gets a fresh temporary profile, removed
// again by `browser.close()` (it refuses a --user-data-dir in `args`).
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** The daemon binary: $OMEGACHAT_DAEMON_BIN, required. */
export function daemonBin() {
  const bin = process.env.OMEGACHAT_DAEMON_BIN;
  if (!bin) {
    throw new Error(
      "OMEGACHAT_DAEMON_BIN is not set: point it at an omegachatd binary, e.g.\n" +
        "  cargo build --bin omegachatd && OMEGACHAT_DAEMON_BIN=$PWD/target/debug/omegachatd npm --prefix web run e2e",
    );
  }
  if (!existsSync(bin)) throw new Error(`OMEGACHAT_DAEMON_BIN=${bin}: no such file`);
  return bin;
}

/** A TCP port the OS says is free right now (listen on port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` (sync or async, truthy = done) every `every` ms for at most `timeout` ms. */
export async function waitUntil(check, { timeout = UI_TIMEOUT, every = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(every);
  }
}

/**
 * One omegachatd on a fixed free port and a scratch data directory that survive `restart()`.
 * `env` adds OMEGACHAT_* settings (e.g. a higher send rate); `allowedOrigins` are extra browser
 * origins for the Socket.IO endpoint (the daemon's own address is always allowed).
 */
export async function startDaemon({ env = {}, allowedOrigins = [] } = {}) {
  const bin = daemonBin();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "omegachat-e2e-"));
  // Only our settings: an OMEGACHAT_CONFIG or stray OMEGACHAT_* from the caller must not leak in,
  // nor a runtime directory (the daemon would record its admin socket there, in place of the
  // record of a daemon the developer runs).
  const inherited = (k) =>
    !k.startsWith("OMEGACHAT_") && !["RUST_LOG", "XDG_RUNTIME_DIR", "RUNTIME_DIRECTORY"].includes(k);
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => inherited(k)));
  const daemonEnv = {
    ...baseEnv,
    OMEGACHAT_SERVER__LISTEN: `127.0.0.1:${port}`,
    OMEGACHAT_DATABASE__DATA_DIR: join(dataDir, "data"),
    OMEGACHAT_DATABASE__URL: "",
    OMEGACHAT_REALTIME__ALLOWED_ORIGINS: JSON.stringify(allowedOrigins),
    OMEGACHAT_LOG__LEVEL: "warn",
    OMEGACHAT_LOG__FORMAT: "text",
    // Off unless a test turns them on: a link in a story's message must not make the daemon
    // fetch anything from outside the machine (preview.test.mjs admits a loopback site).
    OMEGACHAT_PREVIEW__ENABLED: "false",
    ...env,
  };
  let child = null;
  let log = "";

  function spawnDaemon() {
    // cwd is the scratch directory, so no ./omegachat.toml is picked up.
    const proc = spawn(bin, [], { cwd: dataDir, env: daemonEnv, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk) => {
      log = (log + chunk).slice(-20_000);
    };
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    proc.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    return proc;
  }

  async function waitReady(proc) {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`omegachatd exited during start-up (${proc.exitCode ?? proc.signalCode}):\n${log}`);
      }
      try {
        if ((await fetch(`${url}/readyz`)).ok) return;
      } catch {}
      await sleep(100);
    }
    throw new Error(`omegachatd did not become ready on ${url} within 20 s:\n${log}`);
  }

  async function start() {
    child = spawnDaemon();
    await waitReady(child);
  }

  /** SIGTERM and wait for the exit (SIGKILL after 20 s, which fails the caller). */
  async function stop() {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const { code, signal } = await proc.exited;
    clearTimeout(timer);
    if (signal === "SIGKILL") throw new Error(`omegachatd ignored SIGTERM for 20 s:\n${log}`);
    if (code !== 0) throw new Error(`omegachatd exited with ${code ?? signal} after SIGTERM:\n${log}`);
  }

  async function api(method, path, body, token) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async function login(name) {
    const answer = await api("POST", "/api/auth/login", { login: name, password: PASSWORD });
    return { id: answer.user.id, name, token: answer.access_token, password: PASSWORD, me: answer.user };
  }

  // A test killed by the runner's timeout must not leave its daemon behind.
  process.once("exit", () => child?.kill("SIGKILL"));
  await start();
  await warnIfStale(url);
  return {
    port,
    url,
    dataDir,
    api,
    /** The daemon's output so far (last 20 kB). */
    log: () => log,
    stop,
    /** Stops (SIGTERM) and starts again on the same port and data directory. */
    async restart() {
      await stop();
      await start();
    },
    start,
    /** Stops the daemon and removes its data directory. */
    async close() {
      try {
        await stop();
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    /** Registers ("ann" is shown as "Ann") and logs in a user through the API: `{id, name, token, password}`. */
    async user(name) {
      const display_name = name[0].toUpperCase() + name.slice(1);
      await api("POST", "/api/auth/register", { username: name, email: `${name}@example.org`, password: PASSWORD, display_name });
      return login(name);
    },
    login,
    /** The whole stored history of a conversation, oldest first (pages of 100 with before=). */
    async history(conversationId, token) {
      const all = [];
      let before = "";
      for (;;) {
        const page = await api("GET", `/api/conversations/${conversationId}/messages?limit=100${before}`, undefined, token);
        all.push(...page);
        if (page.length < 100) break;
        before = `&before=${page.at(-1).message_id}`;
      }
      return all.reverse();
    },
  };
}

let staleChecked = false;
/** The daemon embeds web-dist/ when it is built: say so when it serves another build than the tree's. */
async function warnIfStale(url) {
  if (staleChecked) return;
  staleChecked = true;
  try {
    const served = await (await fetch(`${url}/`)).text();
    if (served !== readFileSync(join(WEB_DIST, "index.html"), "utf8")) {
      console.warn(`warning: ${daemonBin()} serves another build of the web app than web-dist/ (rebuild the daemon)`);
    }
  } catch {}
}

/**
 * A TCP proxy on a free port in front of `targetPort` (a number, or a function giving it, so the
 * proxy can exist before the daemon it fronts). `cut()` drops every proxied connection and refuses
 * new ones (accept, then reset) until `restore()`.
 */
export async function startProxy(targetPort) {
  let open = true;
  const live = new Set();
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(typeof targetPort === "function" ? targetPort() : targetPort, "127.0.0.1");
    live.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.pipe(upstream).pipe(client);
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  const port = await new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const s of live) s.destroy();
    },
    restore() {
      open = true;
    },
    close() {
      for (const s of live) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

// What Chromium logs for a request or socket that fails because the server is gone or the
// connection was cut: only these are forgiven, and only during a deliberate outage.
const GONE = "net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE|SOCKET_NOT_CONNECTED)";
const NETWORK_ERROR = [
  new RegExp(`^Failed to load resource: ${GONE}$`),
  new RegExp(
    String.raw`^WebSocket connection to 'ws://127\.0\.0\.1:\d+/socket\.io/\?EIO=4&transport=websocket(&sid=[^']*)?' ` +
      `failed: (Error in connection establishment|Error during WebSocket handshake): ${GONE}$`,
  ),
];
/** Whether a console error is a network failure of the app's own API or socket (`url`: its location). */
export const isNetworkError = (text, url = "") =>
  NETWORK_ERROR.some((re) => re.test(text)) && /^http:\/\/127\.0\.0\.1:\d+\/(api\/|socket\.io\/|assets\/)/.test(url);

/**
 * A browser (fresh profile) whose pages report problems. `baseUrl` is what pages open.
 */
export async function startBrowser(baseUrl) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const problems = [];
  const forgiven = [];
  const pages = new Map(); // label → page
  let outage = false;

  let expected = () => false;

  function note(label, kind, text, where = "") {
    // For "Failed to load resource" the location is the resource: worth knowing which one.
    const line = `${label} ${kind}: ${text}${where ? ` (at ${where})` : ""}`;
    if (outage && kind === "console" && isNetworkError(text, where)) forgiven.push(line);
    else if (expected(line)) forgiven.push(line);
    else problems.push(line);
  }

  return {
    browser,
    baseUrl,
    /** Console errors forgiven (outages, allowed errors), as "<page label> console: <message> (at <url>)". */
    forgiven,
    /** The pages opened so far, by label. */
    pages,
    /**
     * A page in a context of its own (own storage, so its own session), already at `baseUrl`.
     * `options` go to `browser.newContext` (viewport, colorScheme, storageState…); `setup(page)`
     * runs before the page is opened (e.g. to add init scripts).
     */
    async newPage(label, options = {}, setup = async () => {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
      const page = await context.newPage();
      page.setDefaultTimeout(UI_TIMEOUT);
      // Chromium logs CSP violations as console errors too; this makes sure none goes unseen.
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) =>
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "(inline)"} in ${e.sourceFile}:${e.lineNumber}`),
        );
      });
      page.on("console", (m) => {
        if (m.type() !== "error") return;
        const where = m.location()?.url ?? "";
        note(label, "console", m.text(), where);
      });
      page.on("pageerror", (e) => note(label, "pageerror", String(e?.stack ?? e)));
      page.on("crash", () => note(label, "crash", "the page crashed"));
      pages.set(label, page);
      await setup(page);
      await page.goto(baseUrl);
      return page;
    },
    /**
     * Runs `fn` while problems matching one of `patterns` are allowed. Patterns are matched against
     * the whole report line, `<page label> console: <text>[ (at <url>)]`, so they can name the page
     * and the resource. Returns the lines that were allowed.
     */
    async allowingConsoleErrors(patterns, fn) {
      const allowed = [];
      expected = (line) => patterns.some((re) => re.test(line)) && allowed.push(line) > 0;
      try {
        await fn();
      } finally {
        expected = () => false;
      }
      return allowed;
    },
    /** Like `allowingConsoleErrors`, but fails unless each pattern was seen at least once. */
    async expectingConsoleErrors(patterns, fn) {
      const allowed = await this.allowingConsoleErrors(patterns, fn);
      for (const re of patterns) assert(allowed.some((line) => re.test(line)), `the expected console error ${re} was logged`);
      return allowed;
    },
    /** From now on network errors are expected (the daemon is stopped or the network cut). */
    beginOutage() {
      outage = true;
    },
    /**
     * Call once the pages are back online (e.g. the connection banner is gone): every failed
     * attempt was logged before the reconnect, so nothing after this is forgiven.
     */
    endOutage() {
      outage = false;
    },
    /** Fails with every console error, page error and CSP violation seen since the last call. */
    assertCleanConsole() {
      const seen = problems.splice(0);
      assert(seen.length === 0, `no console errors, page errors or CSP violations, got:\n  ${seen.join("\n  ")}`);
    },
    close: () => browser.close(),
  };
}

/**
 * `it()` for the steps of one story, which build on each other: once a step fails the later ones
 * are skipped instead of failing with confusing follow-up errors, and the failure leaves a
 * screenshot of every open page and the daemon's log under ARTIFACTS/failures/. After each step
 * that passed the console is checked. `env()` gives `{ web, daemon }` (set up in `before`).
 */
export function storySteps(it, env) {
  let failed = null;
  return (name, fn, options = {}) =>
    it(name, options, async (t) => {
      if (failed) return t.skip(`skipped: "${failed}" failed`);
      try {
        await fn(t);
        env().web.assertCleanConsole();
      } catch (e) {
        failed = name;
        const saved = await saveFailure(name, env()).catch((err) => `(could not save the failure: ${err.message})`);
        t.diagnostic(`failure artifacts: ${saved}`);
        throw e;
      }
    });
}

async function saveFailure(step, { web, daemon }) {
  const dir = join(ARTIFACTS, "failures");
  mkdirSync(dir, { recursive: true });
  const stem = `${new Date().toISOString().replace(/[:.]/g, "-")}-${step.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`;
  for (const [label, page] of web?.pages ?? []) {
    if (!page.isClosed()) await page.screenshot({ path: join(dir, `${stem}-${label.replace(/[^a-z0-9]+/gi, "-")}.png`), timeout: 5_000 });
  }
  if (daemon) writeFileSync(join(dir, `${stem}-daemon.log`), daemon.log());
  return join(dir, `${stem}-*`);
}

/** Saves a screenshot of the viewport under ARTIFACTS as `<name>.png`. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

// ---- UI steps shared by the tests -------------------------------------------------------------

/** The message row whose text is exactly `text`. */
export const rowWithText = (page, text) =>
  page.locator("[data-testid=message-row]").filter({ has: page.getByTestId("message-text").getByText(text, { exact: true }) });

/** Signs up through the register form (from the login screen) and waits until signed in. */
export async function registerViaUI(page, name, displayName = name[0].toUpperCase() + name.slice(1)) {
  await page.getByTestId("go-register").click();
  await page.getByTestId("register-form").waitFor();
  await page.getByTestId("register-username").fill(name);
  await page.getByTestId("register-email").fill(`${name}@example.org`);
  await page.getByTestId("register-display-name").fill(displayName);
  await page.getByTestId("register-password").fill(PASSWORD);
  await page.getByTestId("register-submit").click();
  // Signed in once the form is gone. (Not "the conversation list is visible": on a phone-sized
  // window the app stays on #/register after signing up, where the list is hidden; see the todo
  // test in chat.test.mjs.)
  await page.getByTestId("register-form").waitFor({ state: "detached" });
  await page.getByTestId("conversation-list").waitFor({ state: "attached" });
}

/** Logs in through the login form and waits for the conversation list. */
export async function loginViaUI(page, name) {
  await page.getByTestId("login-username").fill(name);
  await page.getByTestId("login-password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("conversation-list").waitFor();
}

/** Opens a conversation from the list. */
export async function openConversation(page, conversationId) {
  await page.locator(`[data-testid=conversation-item][data-conversation-id="${conversationId}"] a`).click();
  await page.locator(`[data-testid=chat-view][data-conversation-id="${conversationId}"]`).waitFor();
}

/** Types `text` in the composer and sends it with Enter. */
export async function send(page, text) {
  const input = page.getByTestId("composer-input");
  await input.fill(text);
  await input.press("Enter");
}

/** Every message row in the DOM: id, client id, status, text. */
export function domRows(page) {
  return page.getByTestId("message-row").evaluateAll((els) =>
    els.map((e) => ({
      id: e.dataset.messageId,
      clientId: e.dataset.clientMsgId,
      status: e.dataset.status,
      text: e.querySelector("[data-testid=message-text]")?.textContent ?? "",
    })),
  );
}

/** Fails when the DOM holds a message id or (non-system) text twice. */
export async function assertNoDuplicateRows(page, label) {
  const rows = await domRows(page);
  const ids = rows.map((r) => r.id).filter(Boolean);
  const dupIds = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert(dupIds.length === 0, `${label}: duplicate data-message-id in the DOM: ${dupIds.join(", ")}`);
  const texts = rows.map((r) => r.text).filter(Boolean);
  const dupTexts = texts.filter((t, i) => texts.indexOf(t) !== i);
  assert(dupTexts.length === 0, `${label}: duplicate text rows in the DOM: ${dupTexts.join(", ")}`);
  return rows;
}

/** Sends `count` messages over REST, `concurrency` at a time, alternating between `senders`. */
export async function seedMessages(daemon, conversationId, senders, count, { concurrency = 8, prefix = "m-" } = {}) {
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const i = next++;
      const sender = senders[i % senders.length];
      await daemon.api("POST", `/api/conversations/${conversationId}/messages`, { content: `${prefix}${i}` }, sender.token);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// ---- the virtualized message list ----------------------------------------------------------------

const OLDER_PAGE = /\/api\/conversations\/[^/]+\/messages\?(.*&)?before=/;
const scrollerOf = (page) => page.locator("[data-testid=message-list] [data-virtuoso-scroller]");

/** Whether the message row `id` is (at least partly) inside the message list's viewport. */
export function rowInView(page, id) {
  return scrollerOf(page).evaluate((el, id) => {
    const row = el.querySelector(`[data-testid=message-row][data-message-id="${id}"]`);
    if (!row) return false;
    const [r, v] = [row.getBoundingClientRect(), el.getBoundingClientRect()];
    return r.bottom > v.top && r.top < v.bottom;
  }, id);
}

/**
 * Scrolls the open conversation up with the mouse wheel until `pages` older pages (before=) have
 * been loaded, sampling the DOM after every step. Fails on a failed page, on a message id shown
 * twice, or after `timeout` ms. Returns the largest number of message rows seen in the DOM.
 */
export async function scrollUpThroughPages(page, pages, { timeout = 60_000, step = -1200 } = {}) {
  let loaded = 0;
  const failed = [];
  const onResponse = (r) => {
    if (!OLDER_PAGE.test(r.url())) return;
    if (r.ok()) loaded++;
    else failed.push(`${r.status()} ${r.url()}`);
  };
  page.on("response", onResponse);
  try {
    const box = await page.getByTestId("message-list").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    let maxRows = 0;
    const deadline = Date.now() + timeout;
    while (loaded < pages) {
      assert(failed.length === 0, `older pages load: ${failed.join(", ")}`);
      if (Date.now() > deadline) throw new Error(`only ${loaded} of ${pages} older pages loaded within ${timeout} ms`);
      await page.mouse.wheel(0, step);
      const sample = await scrollerOf(page).evaluate(async (el) => {
        // Two frames: the scroll lands, then Virtuoso renders the rows for it.
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const ids = [...el.querySelectorAll("[data-testid=message-row]")].map((r) => r.dataset.messageId).filter(Boolean);
        return { rows: el.querySelectorAll("[data-testid=message-row]").length, unique: new Set(ids).size === ids.length };
      });
      assert(sample.unique, "no message id twice in the DOM while scrolling");
      maxRows = Math.max(maxRows, sample.rows);
    }
    return { maxRows, pages: loaded };
  } finally {
    page.off("response", onResponse);
  }
}

/**
 * Scrolls to the top of what is loaded, holding the next older page back until the row at the top
 * is noted, then lets it in and follows that row frame by frame until it rests (10 frames without
 * moving). Returns `{ shift, worst, viewport }`: how far (px) it rests from where it was, its
 * largest displacement on the way, and the height of the list's viewport.
 */
export async function anchorShiftOnPrepend(page) {
  let release;
  const gate = new Promise((r) => (release = r));
  const handler = async (route) => {
    await gate;
    await route.continue();
  };
  await page.route(OLDER_PAGE, handler);
  try {
    const requested = page.waitForRequest(OLDER_PAGE);
    const anchor = await scrollerOf(page).evaluate(async (el) => {
      el.scrollTop = 0;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const top = el.getBoundingClientRect().top;
      const row = [...el.querySelectorAll("[data-testid=message-row]")].find((r) => r.dataset.messageId && r.getBoundingClientRect().bottom > top);
      const text = row.querySelector("[data-testid=message-text]")?.textContent;
      return { id: row.dataset.messageId, top: row.getBoundingClientRect().top, text, scrollTop: el.scrollTop };
    });
    await requested;
    const responded = page.waitForResponse(OLDER_PAGE);
    release();
    await responded;
    return await scrollerOf(page).evaluate(async (el, anchor) => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      const view = el.getBoundingClientRect();
      let worst = 0;
      let last = null;
      let still = 0;
      for (let i = 0; i < 300 && still < 10; i++) {
        await frame();
        const row = el.querySelector(`[data-testid=message-row][data-message-id="${anchor.id}"]`);
        const top = row ? row.getBoundingClientRect().top : null;
        if (top !== null) worst = Math.max(worst, Math.abs(top - anchor.top));
        still = top === last ? still + 1 : 0;
        last = top;
      }
      const row = el.querySelector(`[data-testid=message-row][data-message-id="${anchor.id}"]`);
      const r = row?.getBoundingClientRect();
      const first = [...el.querySelectorAll("[data-testid=message-row]")].find((x) => x.getBoundingClientRect().bottom > view.top);
      return {
        anchor: anchor.text,
        firstAfter: first?.querySelector("[data-testid=message-text]")?.textContent,
        rows: el.querySelectorAll("[data-testid=message-row]").length,
        shift: r ? Math.round(Math.abs(r.top - anchor.top)) : null,
        worst: Math.round(worst),
        viewport: Math.round(view.height),
      };
    }, anchor);
  } finally {
    release();
    await page.unroute(OLDER_PAGE, handler);
  }
}
