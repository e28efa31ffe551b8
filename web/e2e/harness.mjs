// Shared set-up for the browser checks in this folder: a daemon of their own on a scratch data
// directory, a pausable TCP proxy in front of it (to cut the browser's network), the Vite dev
// server proxying /api and /socket.io through it, and headless Chromium.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createServer } from "vite";

const bin = process.env.OMEGACHAT_DAEMON_BIN ?? new URL("../../target/debug/omegachatd", import.meta.url).pathname;

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Starts everything on ports base, base+1, base+2; `stop()` tears it all down. */
export async function startStack(basePort) {
  const [daemonPort, proxyPort, webPort] = [basePort, basePort + 1, basePort + 2];
  const daemonUrl = `http://127.0.0.1:${daemonPort}`;
  const web = `http://127.0.0.1:${webPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), "omegachat-web-e2e-"));

  const startDaemon = () =>
    spawn(bin, [], {
      cwd: dataDir,
      env: {
        ...process.env,
        OMEGACHAT_SERVER__LISTEN: `127.0.0.1:${daemonPort}`,
        OMEGACHAT_REALTIME__ALLOWED_ORIGINS: JSON.stringify([web]),
        OMEGACHAT_CHAT__SENDS_PER_USER_PER_MINUTE: "100000",
        OMEGACHAT_LOG__LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
  let daemon = startDaemon();

  async function waitReady() {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${daemonUrl}/readyz`)).ok) return;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("daemon did not become ready");
  }
  async function stopDaemon() {
    if (daemon.exitCode !== null) return;
    const exited = new Promise((r) => daemon.once("exit", r));
    daemon.kill("SIGTERM");
    await exited;
  }

  // cut() drops every proxied connection and refuses new ones until restore().
  let open = true;
  const live = new Set();
  const proxy = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(daemonPort, "127.0.0.1");
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
  proxy.listen(proxyPort, "127.0.0.1");

  process.env.OMEGACHAT_DEV_DAEMON = `http://127.0.0.1:${proxyPort}`;
  const vite = await createServer({
    configFile: new URL("../vite.config.ts", import.meta.url).pathname,
    root: new URL("..", import.meta.url).pathname,
    server: { port: webPort, strictPort: true, host: "127.0.0.1" },
    // The proxy's "socket hang up" noise while the network is cut on purpose is expected.
    logLevel: "silent",
  });
  await vite.listen();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await waitReady();

  async function api(method, path, body, token) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(daemonUrl + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    web,
    api,
    browser,
    /** Registers and logs in a user through the API. */
    async user(name) {
      const password = "correct horse battery";
      await api("POST", "/api/auth/register", { username: name, email: `${name}@example.org`, password, display_name: name });
      const login = await api("POST", "/api/auth/login", { login: name, password });
      return { id: login.user.id, token: login.access_token, name, password };
    },
    /** A fresh browser page logged in as `u`. */
    async pageFor(u, viewport = { width: 1100, height: 700 }) {
      const page = await (await browser.newContext({ viewport })).newPage();
      page.on("pageerror", (e) => console.log(`page error: ${e}`));
      await page.goto(web);
      await page.getByTestId("login-username").fill(u.name);
      await page.getByTestId("login-password").fill(u.password);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("conversation-list").waitFor();
      return page;
    },
    cutNetwork() {
      open = false;
      for (const s of live) s.destroy();
    },
    restoreNetwork() {
      open = true;
    },
    async restartDaemon(between = async () => {}) {
      await stopDaemon();
      await between();
      daemon = startDaemon();
      await waitReady();
    },
    async stop() {
      await browser.close();
      await vite.close();
      proxy.close();
      await stopDaemon().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
