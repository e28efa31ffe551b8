// A quick end-to-end smoke run of the web app in headless Chromium against a running daemon:
// two users sign up, find each other, chat, see typing, receipts and unread badges, and edit.
// Not the full end-to-end suite; a sanity check a developer can run by hand:
//   OMEGACHAT_WEB=http://127.0.0.1:5173 node e2e/smoke.mjs   (dev server proxying to a daemon)
// Screenshots land in e2e/out/ (ignored by git).
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.OMEGACHAT_WEB ?? "http://127.0.0.1:5173";
const out = new URL("./out/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });

const suffix = `${process.pid % 100000}`;
const ann = { username: `ann${suffix}`, password: "correct horse battery", display_name: "Ann" };
const ben = { username: `ben${suffix}`, password: "correct horse battery", display_name: "Ben" };

async function api(method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function step(name) {
  console.log(`- ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const errors = [];
async function page(viewport) {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  p.on("pageerror", (e) => errors.push(String(e)));
  return p;
}

try {
  for (const u of [ann, ben]) await api("POST", "/api/auth/register", { ...u, email: `${u.username}@example.org` });

  const a = await page({ width: 1200, height: 800 });
  const b = await page({ width: 390, height: 800 });

  step("ann logs in");
  await a.goto(base);
  await a.getByTestId("login-username").fill(ann.username);
  await a.getByTestId("login-password").fill(ann.password);
  await a.getByTestId("login-submit").click();
  await a.getByTestId("conversation-list").waitFor();

  step("ben sees a clear error for a wrong password, then logs in");
  await b.goto(base);
  await b.getByTestId("login-username").fill(ben.username);
  await b.getByTestId("login-password").fill("wrong password!");
  await b.getByTestId("login-submit").click();
  await b.getByTestId("form-error").waitFor();
  console.log(`  error shown: ${await b.getByTestId("form-error").textContent()}`);
  await b.getByTestId("login-password").fill(ben.password);
  await b.getByTestId("login-submit").click();
  await b.getByTestId("conversation-list").waitFor();

  step("ann finds ben and opens a direct conversation");
  await a.getByTestId("nav-people").click();
  await a.getByTestId("user-search-input").fill(ben.username);
  await a.getByTestId("user-search-result").first().getByTestId("start-dm").click();
  await a.getByTestId("chat-view").waitFor();

  step("ann sees ben online");
  await a.locator('[data-testid=conversation-item] [data-testid=presence-dot][data-online=true]').first().waitFor();

  step("ann sends; the row goes pending → sent");
  await a.getByTestId("composer-input").fill("hello ben, see https://example.org/docs");
  await a.getByTestId("composer-input").press("Enter");
  await a.locator('[data-testid=message-row][data-status=sent]').first().waitFor();

  step("ben gets it live with an unread badge");
  const item = b.getByTestId("conversation-item").first();
  await item.getByTestId("unread-badge").waitFor();
  console.log(`  badge: ${await item.getByTestId("unread-badge").textContent()}`);
  await b.screenshot({ path: `${out}phone-list.png` });
  await item.locator("a").click();
  await b.getByTestId("message-row").first().waitFor();
  const link = b.getByTestId("message-row").first().locator("a");
  console.log(`  link rel: ${await link.getAttribute("rel")}`);

  step("ann sees ben's read receipt");
  await a.getByTestId("read-receipt").waitFor();

  step("ben types; ann sees the indicator");
  await b.getByTestId("composer-input").pressSequentially("hi ann", { delay: 30 });
  await a.getByTestId("typing-indicator").waitFor();
  console.log(`  ${await a.getByTestId("typing-indicator").textContent()}`);
  await b.getByTestId("composer-input").press("Shift+Enter");
  await b.getByTestId("composer-input").pressSequentially("second line");
  await b.getByTestId("send-button").click();
  await a.locator("[data-testid=message-row]", { hasText: "second line" }).waitFor();
  await a.getByTestId("typing-indicator").waitFor({ state: "detached" });

  step("ann edits her message; ben sees the edit");
  const mine = a.locator("[data-testid=message-row][data-mine=true]").first();
  await mine.hover();
  await mine.getByTestId("edit-message").click();
  await a.getByTestId("edit-input").fill("hello ben (edited)");
  await a.getByTestId("edit-input").press("Enter");
  await b.locator("[data-testid=message-row]", { hasText: "(edited)" }).waitFor();

  await a.screenshot({ path: `${out}desktop-chat.png` });
  await a.emulateMedia({ colorScheme: "dark" });
  await a.screenshot({ path: `${out}desktop-chat-dark.png` });
  await b.screenshot({ path: `${out}phone-chat.png` });

  step("ben goes back to the list on the phone");
  await b.getByTestId("back-button").click();
  await b.getByTestId("conversation-list").waitFor();

  if (errors.length) console.log(`console errors:\n  ${errors.join("\n  ")}`);
  console.log("smoke: ok");
} finally {
  await browser.close();
}
