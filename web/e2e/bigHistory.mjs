// A conversation with 10,000 messages in headless Chromium (see harness.mjs): opening it shows the
// newest at once, the DOM holds a bounded number of rows, and scrolling up pages older history in
// with before= while the message in view stays in view.
// Run: node e2e/bigHistory.mjs   (seeding takes a while on a debug daemon)
import { assert, startStack } from "./harness.mjs";

const TOTAL = Number(process.env.MESSAGES ?? 10_000);
const stack = await startStack(18421);
try {
  const { api } = stack;
  const [ann, ben] = [await stack.user("ann"), await stack.user("ben")];
  const { conversation_id } = await api("POST", "/api/conversations/direct", { user_id: ben.id }, ann.token);
  const started = Date.now();
  const send = (i) =>
    api("POST", `/api/conversations/${conversation_id}/messages`, { content: `m-${i}` }, i % 3 ? ben.token : ann.token);
  for (let i = 1; i <= TOTAL; i += 10) {
    // Ten at a time in sequence so ids keep their order relative to i.
    for (let j = i; j < i + 10 && j <= TOTAL; j++) await send(j);
  }
  console.log(`- seeded ${TOTAL} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const page = await stack.pageFor(ann);
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({
      type: "longtask",
      buffered: true,
    });
  });
  const opened = Date.now();
  await page.getByTestId("conversation-item").first().locator("a").click();
  await page.locator("[data-testid=message-text]", { hasText: new RegExp(`^m-${TOTAL}$`) }).waitFor();
  console.log(`- opened with m-${TOTAL} in view after ${Date.now() - opened} ms`);

  const list = page.getByTestId("message-list");
  const box = await list.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  let maxRows = 0;
  const firstShown = async () =>
    page.evaluate(() => {
      const top = document.querySelector("[data-testid=message-list]").getBoundingClientRect().top;
      const row = [...document.querySelectorAll("[data-testid=message-row]")].find((r) => r.getBoundingClientRect().bottom > top + 40);
      return row?.querySelector("[data-testid=message-text]")?.textContent;
    });
  for (let i = 0; i < 40; i++) {
    await page.mouse.wheel(0, -1500);
    await page.waitForTimeout(120);
    maxRows = Math.max(maxRows, await page.getByTestId("message-row").count());
  }
  const oldestLoaded = await firstShown();
  console.log(`- after scrolling up: showing ${oldestLoaded}, at most ${maxRows} rows in the DOM`);
  assert(maxRows < 120, "DOM rows bounded");
  const reached = Number(oldestLoaded.slice(2));
  assert(reached < TOTAL - 100, "older pages were loaded");

  // The row in view before an older page arrives is still in view after it.
  const before = await firstShown();
  await page.mouse.wheel(0, -200);
  await page.waitForTimeout(600);
  const after = await firstShown();
  const drift = Math.abs(Number(before.slice(2)) - Number(after.slice(2)));
  console.log(`- anchor: ${before} → ${after}`);
  assert(drift < 15, "no jump when a page is prepended");

  const longTasks = await page.evaluate(() => window.__longTasks);
  console.log(`- long tasks: ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms`);
  await page.screenshot({ path: new URL("./out/big-history.png", import.meta.url).pathname });
  console.log("big history: ok");
} finally {
  await stack.stop();
}
