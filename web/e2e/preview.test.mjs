// A link in a message gets a preview card: the daemon fetches the page (a small site on
// 127.0.0.2, which this daemon admits through preview.allow_networks; the default admits no
// loopback address) and the card's image comes from the daemon, so the strict CSP
// (img-src 'self') holds and the browser never contacts the linked site. The row keeps its height
// while the card loads, and the sender's dismissal removes the card for the reader too.
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { assert, loginViaUI, openConversation, screenshot, startBrowser, startDaemon, storySteps, waitUntil } from "./harness.mjs";

// A 1×1 PNG.
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082",
  "hex",
);

function startSite() {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    if (req.url === "/article") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><head><title>Plain</title>
        <meta property="og:title" content="Preview cards arrive">
        <meta property="og:description" content="Fetched by the daemon, not by the browser.">
        <meta property="og:site_name" content="Loopback News">
        <meta property="og:image" content="/card.png"></head><body>article</body></html>`);
    } else if (req.url === "/card.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(PNG);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.2", () => resolve({ server, requests, port: server.address().port })));
}

describe("a link in a message gets a preview card", { timeout: 120_000 }, () => {
  let daemon, web, site, ann, ben, conversationId, message;
  before(async () => {
    site = await startSite();
    daemon = await startDaemon({
      env: { OMEGACHAT_PREVIEW__ENABLED: "true", OMEGACHAT_PREVIEW__ALLOW_NETWORKS: '["127.0.0.2/32"]' },
    });
    web = await startBrowser(daemon.url);
  });
  after(async () => {
    await web?.close();
    await daemon?.close();
    site?.server.close();
  });
  const step = storySteps(it, () => ({ web, daemon }));

  step("ann posts a link to ben", async () => {
    const [annUser, benUser] = [await daemon.user("ann"), await daemon.user("ben")];
    ({ conversation_id: conversationId } = await daemon.api("POST", "/api/conversations/direct", { user_id: benUser.id }, annUser.token));
    const link = `http://127.0.0.2:${site.port}/article`;
    message = await daemon.api("POST", `/api/conversations/${conversationId}/messages`, { content: `read this: ${link} !` }, annUser.token);
  });

  step("ben sees the card under the message, its image served by the daemon", async () => {
    ben = await web.newPage("ben", { viewport: { width: 1100, height: 760 } });
    await loginViaUI(ben, "ben");
    await openConversation(ben, conversationId);
    const row = ben.locator(`[data-testid=message-row][data-message-id="${message.message_id}"]`);
    await row.getByTestId("link-preview").waitFor();
    const before = (await row.boundingBox()).height;
    await row.locator("[data-testid=link-preview][data-status=ready]").waitFor();
    assert((await row.getByTestId("link-preview-title").textContent()) === "Preview cards arrive", "the OpenGraph title");
    assert((await row.getByTestId("link-preview-site").textContent()) === "Loopback News", "the site name");
    assert((await row.getByTestId("link-preview-description").textContent()).includes("not by the browser"), "the description");
    const image = row.getByTestId("link-preview-image");
    const src = await image.getAttribute("src");
    assert(src.startsWith("/api/preview/image?"), `the image comes from the daemon (${src})`);
    await waitUntil(() => image.evaluate((img) => img.complete && img.naturalWidth === 1), { what: "the card's image to load" });
    const after = (await row.boundingBox()).height;
    assert(Math.abs(after - before) < 1, `the row kept its height while the card loaded (${before} → ${after} px)`);
    await screenshot(ben, "link-preview");
  });

  step("ann dismisses the card on her message, and it goes for ben too", async () => {
    ann = await web.newPage("ann", { viewport: { width: 1100, height: 760 } });
    await loginViaUI(ann, "ann");
    await openConversation(ann, conversationId);
    const mine = ann.locator(`[data-testid=message-row][data-message-id="${message.message_id}"]`);
    await mine.locator("[data-testid=link-preview][data-status=ready]").waitFor();
    await mine.getByTestId("dismiss-preview").click();
    await mine.getByTestId("link-preview").waitFor({ state: "detached" });
    const theirs = ben.locator(`[data-testid=message-row][data-message-id="${message.message_id}"]`);
    await theirs.getByTestId("link-preview").waitFor({ state: "detached" });
    // Ben cannot dismiss a card on someone else's message: he had no button.
    const reloaded = await web.newPage("ben again", { viewport: { width: 1100, height: 760 } });
    await loginViaUI(reloaded, "ben");
    await openConversation(reloaded, conversationId);
    await reloaded.locator(`[data-testid=message-row][data-message-id="${message.message_id}"]`).waitFor();
    assert((await reloaded.getByTestId("link-preview").count()) === 0, "still dismissed after a reload");
  });
});
