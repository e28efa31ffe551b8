// Resilience in headless Chromium against a daemon of its own (see harness.mjs):
//  1. the network between browser and daemon is cut: the banner shows, sends stay pending, and
//     another user posts 150 messages meanwhile; when the network is back each pending send is
//     confirmed once and the missed messages are caught up (after= pages) in order, no duplicates;
//  2. the daemon is restarted: the app reconnects on its own and resends.
// Run: node e2e/reconnect.mjs   (OMEGACHAT_DAEMON_BIN defaults to ../target/debug/omegachatd)
import { assert, startStack } from "./harness.mjs";

const stack = await startStack(18411);
try {
  const { api } = stack;
  const [ann, ben] = [await stack.user("ann"), await stack.user("ben")];
  const { conversation_id } = await api("POST", "/api/conversations/direct", { user_id: ben.id }, ann.token);
  await api("POST", `/api/conversations/${conversation_id}/messages`, { content: "b-0" }, ben.token);

  const page = await stack.pageFor(ann);
  await page.getByTestId("conversation-item").first().locator("a").click();
  await page.locator("[data-testid=message-row]", { hasText: "b-0" }).waitFor();
  const rows = page.getByTestId("message-row");

  console.log("- network cut: banner, pending sends, 150 messages missed");
  stack.cutNetwork();
  await page.getByTestId("connection-banner").waitFor();
  for (const text of ["offline-1", "offline-2"]) {
    await page.getByTestId("composer-input").fill(text);
    await page.getByTestId("composer-input").press("Enter");
  }
  assert((await page.locator("[data-testid=message-row][data-status=pending]").count()) === 2, "two pending rows");
  for (let i = 1; i <= 150; i++) {
    await api("POST", `/api/conversations/${conversation_id}/messages`, { content: `b-${i}` }, ben.token);
  }

  console.log("- network back: sends confirmed once, missed messages caught up in order");
  stack.restoreNetwork();
  await page.getByTestId("connection-banner").waitFor({ state: "detached", timeout: 15_000 });
  await page.locator("[data-testid=message-row][data-status=pending]").first().waitFor({ state: "detached" });
  const history = await api("GET", `/api/conversations/${conversation_id}/messages?limit=100`, null, ann.token);
  const stored = history.filter((m) => m.content.startsWith("offline-"));
  assert(stored.length === 2, `server stored each offline send once (got ${stored.length})`);
  await page.locator("[data-testid=message-row]", { hasText: "offline-2" }).waitFor();
  const shown = await rows.evaluateAll((els) =>
    els.map((e) => [e.dataset.messageId, e.querySelector("[data-testid=message-text]")?.textContent ?? ""]),
  );
  const ids = shown.map(([id]) => id);
  assert(new Set(ids).size === ids.length, "no duplicate rows");
  const numbers = shown.map(([, t]) => /^b-(\d+)$/.exec(t)?.[1]).filter(Boolean).map(Number);
  assert(numbers.every((n, i) => i === 0 || n === numbers[i - 1] + 1), `consecutive b-N rows: ${numbers.join(",")}`);
  assert(numbers.at(-1) === 150, "caught up to b-150");
  console.log(`  rendered rows: ${shown.length} (of 153 loaded), last b-${numbers.at(-1)}`);

  console.log("- daemon restart: reconnects by itself and resends");
  await stack.restartDaemon(async () => {
    await page.getByTestId("connection-banner").waitFor();
    await page.getByTestId("composer-input").fill("during-restart");
    await page.getByTestId("composer-input").press("Enter");
  });
  await page.getByTestId("connection-banner").waitFor({ state: "detached", timeout: 15_000 });
  await page.locator("[data-testid=message-row][data-status=sent]", { hasText: "during-restart" }).waitFor();
  assert((await page.locator("[data-testid=message-row]", { hasText: "during-restart" }).count()) === 1, "one row");
  console.log("reconnect: ok");
} finally {
  await stack.stop();
}
