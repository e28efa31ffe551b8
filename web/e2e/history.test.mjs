// A long conversation (2,000 messages; bench.mjs measures 10,000): opening it shows the newest
// message at once, scrolling up pages older history in with before= while the DOM keeps a bounded
// number of rows (≤ 60) and never a message twice, and a prepended page does not throw the view
// off.
import { after, before, describe, it } from "node:test";
import {
  anchorShiftOnPrepend, assert, loginViaUI, openConversation, rowInView, screenshot, scrollUpThroughPages, seedMessages,
  startBrowser, startDaemon, storySteps, waitUntil,
} from "./harness.mjs";

const TOTAL = 2_000;
const MAX_ROWS = 60;
const OLDER_PAGES = 15;

describe(`a conversation with ${TOTAL} messages`, { timeout: 150_000 }, () => {
  let daemon, web, page, conversationId, newest;
  before(async () => {
    // Seeding sends far more than the default 600 messages per user and minute.
    daemon = await startDaemon({ env: { OMEGACHAT_CHAT__SENDS_PER_USER_PER_MINUTE: "1000000" } });
    web = await startBrowser(daemon.url);
  });
  after(async () => {
    await web?.close();
    await daemon?.close();
  });
  const step = storySteps(it, () => ({ web, daemon }));

  step(`${TOTAL} messages are stored`, async () => {
    const [ann, ben] = [await daemon.user("ann"), await daemon.user("ben")];
    ({ conversation_id: conversationId } = await daemon.api("POST", "/api/conversations/direct", { user_id: ben.id }, ann.token));
    await seedMessages(daemon, conversationId, [ann, ben], TOTAL);
    [newest] = await daemon.api("GET", `/api/conversations/${conversationId}/messages?limit=1`, undefined, ann.token);
  });

  step("opening it shows the newest message", async () => {
    page = await web.newPage("ann", { viewport: { width: 1100, height: 760 } });
    await loginViaUI(page, "ann");
    await openConversation(page, conversationId);
    await page.locator(`[data-testid=message-row][data-message-id="${newest.message_id}"]`).waitFor();
    await waitUntil(() => rowInView(page, newest.message_id), { what: "the newest message in view" });
    const rows = await page.getByTestId("message-row").count();
    assert(rows <= MAX_ROWS, `at most ${MAX_ROWS} rows in the DOM after opening (got ${rows})`);
  });

  step(`scrolling up through ${OLDER_PAGES} older pages keeps at most ${MAX_ROWS} rows in the DOM`, async () => {
    const { maxRows } = await scrollUpThroughPages(page, OLDER_PAGES);
    assert(maxRows <= MAX_ROWS, `at most ${MAX_ROWS} rows in the DOM while scrolling (got ${maxRows})`);
    assert(maxRows >= 10, `the list shows rows while scrolling (got ${maxRows})`);
    await screenshot(page, "long-history");
  });

  step("a prepended older page does not throw the view off", async (t) => {
    const { shift, worst, viewport, anchor, firstAfter } = await anchorShiftOnPrepend(page);
    t.diagnostic(`the row at the top (${anchor}) came to rest ${shift} px from where it was (${worst} px at most on the way); ` +
      `the first row in view is now ${firstAfter}`);
    // Virtuoso corrects its estimates of the new rows' sizes as they render, so the row moves a
    // little: 30–110 px here, once 314 px on a starved CPU. A screenful would lose the reader.
    assert(shift !== null && shift < viewport, `the row at the top moved ${shift} px: less than the ${viewport} px list`);
  });
});
