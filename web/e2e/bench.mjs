// Measurements of the web app the daemon serves (not a test: nothing here passes or fails on a
// number). Prints one JSON object:
//  (a) first render of the conversation list: from navigation start until the list shows all 50
//      conversations, a signed-in session already in localStorage; median of 5 cold loads (a new
//      browser context each, so nothing cached);
//  (b) a conversation of 10,000 messages: time from the click until its newest message is in view,
//      the most message rows in the DOM while scrolling up through 10 older pages, the longest task;
//  (c) the JS and CSS in web-dist/: raw, gzip and brotli bytes (the precompressed .gz/.br files).
// Run: OMEGACHAT_DAEMON_BIN=…/omegachatd node e2e/bench.mjs   (seeding 10,000 messages takes a while)
import { readdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import {
  assert, daemonBin, rowInView, scrollUpThroughPages, seedMessages, startBrowser, startDaemon, waitUntil, WEB_DIST,
} from "./harness.mjs";

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 50);
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const OLDER_PAGES = 10;
const VIEWPORT = { width: 1280, height: 800 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;
const log = (line) => process.stderr.write(`bench: ${line}\n`);

/** Raw, gzip and brotli sizes of web-dist's JS and CSS. */
function bundleSizes() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(js|css)$/.test(name)) {
        const size = (p) => {
          try {
            return statSync(p).size;
          } catch {
            return null;
          }
        };
        files.push({ file: path.slice(WEB_DIST.length + 1), raw: size(path), gzip: size(`${path}.gz`), br: size(`${path}.br`) });
      }
    }
  };
  walk(WEB_DIST);
  const total = (kind) => files.reduce((n, f) => n + (f[kind] ?? 0), 0);
  return { files, total: { raw: total("raw"), gzip: total("gzip"), br: total("br") } };
}

// Records, from the start of the document, when the conversation list first shows `n` items, and
// every long task.
function instrument(n) {
  return (page) =>
    page.addInitScript((n) => {
      window.__bench = { listReady: null, longTasks: [] };
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__bench.longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: "longtask", buffered: true });
      const check = () => {
        const list = document.querySelector("[data-testid=conversation-list]");
        if (list && list.checkVisibility() && list.querySelectorAll("[data-testid=conversation-item]").length >= n) {
          window.__bench.listReady = performance.now();
          observer.disconnect();
        }
      };
      const observer = new MutationObserver(check);
      observer.observe(document, { childList: true, subtree: true, attributes: true });
      // Frame gaps (rAF to rAF), for the longest frame while the conversation opens and scrolls.
      window.__bench.frames = [];
      let last = null;
      const frame = (t) => {
        if (last !== null) window.__bench.frames.push({ start: last, duration: t - last });
        last = t;
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    }, n);
}

const daemon = await startDaemon({ env: { OMEGACHAT_CHAT__SENDS_PER_USER_PER_MINUTE: "1000000" } });
const web = await startBrowser(daemon.url);
try {
  const started = Date.now();
  const me = await daemon.user("bench");
  const peers = [];
  for (let i = 0; i < CONVERSATIONS; i++) peers.push(await daemon.user(`peer${String(i).padStart(3, "0")}`));
  const conversations = [];
  for (const peer of peers) {
    const { conversation_id } = await daemon.api("POST", "/api/conversations/direct", { user_id: peer.id }, me.token);
    await daemon.api("POST", `/api/conversations/${conversation_id}/messages`, { content: `hello from ${peer.name}` }, peer.token);
    conversations.push(conversation_id);
  }
  log(`${CONVERSATIONS} conversations in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const seedStarted = Date.now();
  const big = conversations[0];
  await seedMessages(daemon, big, [me, peers[0]], MESSAGES);
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  const [newest] = await daemon.api("GET", `/api/conversations/${big}/messages?limit=1`, undefined, me.token);
  log(`${MESSAGES} messages seeded in ${seedSeconds.toFixed(1)} s`);

  const session = {
    cookies: [],
    origins: [{
      origin: daemon.url,
      localStorage: [
        { name: "omegachat.token", value: me.token },
        { name: "omegachat.me", value: JSON.stringify(me.me) },
      ],
    }],
  };

  // (a) cold loads of the conversation list.
  const loads = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await web.newPage(`load-${i}`, { viewport: VIEWPORT, storageState: session }, instrument(CONVERSATIONS));
    const ready = await waitUntil(() => page.evaluate(() => window.__bench.listReady), { timeout: 30_000, every: 50, what: "the list" });
    const nav = await page.evaluate(() => {
      const [n] = performance.getEntriesByType("navigation");
      return { responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
    });
    loads.push({ list_ms: round(ready), response_end_ms: round(nav.responseEnd), dom_content_loaded_ms: round(nav.domContentLoaded) });
    await page.context().close();
  }
  log(`list first render: ${loads.map((l) => l.list_ms).join(", ")} ms`);

  // (b) the 10,000-message conversation.
  const page = await web.newPage("big", { viewport: VIEWPORT, storageState: session }, instrument(CONVERSATIONS));
  await waitUntil(() => page.evaluate(() => window.__bench.listReady), { timeout: 30_000, what: "the list" });
  // From the click event (a real one, from Playwright's mouse) to the first frame in which the
  // newest message is inside the list's viewport.
  await page.evaluate((newest) => {
    document.addEventListener("click", (e) => (window.__bench.click = e.timeStamp), { capture: true, once: true });
    const frame = () => {
      const scroller = document.querySelector("[data-testid=message-list] [data-virtuoso-scroller]");
      const row = scroller?.querySelector(`[data-testid=message-row][data-message-id="${newest}"]`);
      if (row) {
        const [r, v] = [row.getBoundingClientRect(), scroller.getBoundingClientRect()];
        if (r.bottom > v.top && r.top < v.bottom) return (window.__bench.newestVisible = performance.now());
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }, newest.message_id);
  await page.locator(`[data-testid=conversation-item][data-conversation-id="${big}"] a`).click();
  const opened = await waitUntil(
    () => page.evaluate(() => window.__bench.newestVisible && { t0: window.__bench.click, ms: window.__bench.newestVisible - window.__bench.click }),
    { timeout: 30_000, every: 50, what: "the newest message in view" },
  );
  assert(await rowInView(page, newest.message_id), "the newest message is in view");
  const scrollStarted = await page.evaluate(() => performance.now());
  let olderMessages = 0;
  const countOlder = (r) => {
    if (/\/messages\?(.*&)?before=/.test(r.url()) && r.ok()) r.json().then((page) => (olderMessages += page.length), () => {});
  };
  page.on("response", countOlder);
  const { maxRows, pages } = await scrollUpThroughPages(page, OLDER_PAGES, { timeout: 120_000 });
  const scrollEnded = await page.evaluate(() => performance.now());
  page.off("response", countOlder);
  const { longTasks: tasks, frames } = await page.evaluate(() => window.__bench);
  const longestOf = (entries, from, to) =>
    round(Math.max(0, ...entries.filter((t) => t.start >= from && t.start < to).map((t) => t.duration)));
  const longest = (from, to = Infinity) => longestOf(tasks, from, to);
  web.assertCleanConsole();

  const result = {
    setup: {
      daemon: daemonBin(),
      store: "embedded SQLite (scratch data dir)",
      chromium: web.browser.version(),
      cpus: cpus().length,
      viewport: VIEWPORT,
      seeding: { messages: MESSAGES, seconds: round(seedSeconds), messages_per_second: Math.round(MESSAGES / seedSeconds) },
    },
    conversation_list_first_render: {
      conversations: CONVERSATIONS,
      cold_loads: loads,
      median_ms: round(median(loads.map((l) => l.list_ms))),
    },
    open_big_conversation: {
      messages: MESSAGES,
      newest_visible_ms: round(opened.ms),
      older_pages_scrolled: pages,
      older_messages_loaded: olderMessages,
      max_dom_message_rows: maxRows,
      longest_task_ms: longest(opened.t0),
      longest_task_while_opening_ms: longest(opened.t0, scrollStarted),
      longest_task_while_scrolling_ms: longest(scrollStarted),
      // Long Tasks API: only tasks of 50 ms or more are reported; 0 means there was none.
      long_task_threshold_ms: 50,
      long_tasks: tasks.filter((t) => t.start >= opened.t0).length,
      longest_frame_while_opening_ms: longestOf(frames, opened.t0, scrollStarted),
      longest_frame_while_scrolling_ms: longestOf(frames, scrollStarted, scrollEnded),
    },
    web_dist: bundleSizes(),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await web.close();
  await daemon.close();
}
