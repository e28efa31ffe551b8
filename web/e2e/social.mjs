// Friends, groups and list actions in headless Chromium against a daemon of its own (harness.mjs):
// a friend request is sent and accepted, a group is created, renamed, gains and loses a member,
// and a conversation is pinned, muted, archived and found again behind the archived toggle.
// Run: node e2e/social.mjs
import { assert, startStack } from "./harness.mjs";

const stack = await startStack(18431);
try {
  const [ann, ben, cat] = [await stack.user("ann"), await stack.user("ben"), await stack.user("cat")];
  const a = await stack.pageFor(ann);
  const b = await stack.pageFor(ben, { width: 390, height: 800 });

  console.log("- ann asks ben to be friends; ben accepts");
  await a.getByTestId("nav-people").click();
  await a.getByTestId("user-search-input").fill("ben");
  await a.getByTestId("user-search-result").first().getByTestId("send-friend-request").click();
  await a.getByTestId("friend-requests-outgoing").getByTestId("friend-row").waitFor();
  await b.getByTestId("nav-people").click();
  await b.getByTestId("friend-requests-incoming").getByTestId("accept-request").click();
  await b.getByTestId("friends-list").getByTestId("friend-row").waitFor();
  await a.getByTestId("friends-list").getByTestId("friend-row").waitFor(); // via friendship_updated

  console.log("- ann creates a group with ben");
  await a.getByTestId("nav-new-group").click();
  await a.getByTestId("group-name-input").fill("Team");
  await a.getByTestId("user-search-input").fill("ben");
  await a.getByTestId("user-search-result").first().getByTestId("group-pick-member").click();
  await a.getByTestId("group-create-submit").click();
  await a.getByTestId("chat-view").waitFor();
  await a.getByTestId("system-message").first().waitFor();
  await a.getByTestId("composer-input").fill("welcome to the team");
  await a.getByTestId("composer-input").press("Enter");
  await b.getByTestId("back-button").click();
  const team = b.locator("[data-testid=conversation-item]", { hasText: "Team" });
  await team.getByTestId("unread-badge").waitFor();

  console.log("- ann renames it and adds cat; ben sees the new name");
  await a.getByTestId("group-info-button").click();
  await a.getByTestId("group-rename-input").fill("Team Two");
  await a.getByTestId("group-rename-submit").click();
  await b.locator("[data-testid=conversation-item]", { hasText: "Team Two" }).waitFor();
  await a.getByTestId("user-search-input").fill("cat");
  await a.getByTestId("user-search-result").first().getByTestId("group-add-member").click();
  await a.locator(`[data-testid=group-member][data-user-id="${cat.id}"]`).waitFor();

  console.log("- ann removes ben; the group leaves ben's list");
  a.once("dialog", (d) => d.accept());
  await a.locator(`[data-testid=group-member][data-user-id="${ben.id}"]`).getByTestId("group-remove-member").click();
  await b.locator("[data-testid=conversation-item]", { hasText: "Team Two" }).waitFor({ state: "detached" });

  console.log("- cat leaves; ann still sees the group with herself");
  const c = await stack.pageFor(cat);
  await c.locator("[data-testid=conversation-item]", { hasText: "Team Two" }).locator("a").click();
  await c.getByTestId("group-info-button").click();
  c.once("dialog", (d) => d.accept());
  await c.getByTestId("group-leave").click();
  await c.locator("[data-testid=conversation-item]", { hasText: "Team Two" }).waitFor({ state: "detached" });
  await a.locator(`[data-testid=group-member][data-user-id="${cat.id}"]`).waitFor({ state: "detached" });

  console.log("- pin, mute, archive");
  const { conversation_id } = await stack.api("POST", "/api/conversations/direct", { user_id: ben.id }, ann.token);
  await stack.api("POST", `/api/conversations/${conversation_id}/messages`, { content: "ping" }, ben.token);
  const dm = a.locator(`[data-testid=conversation-item][data-conversation-id="${conversation_id}"]`);
  await dm.waitFor();
  for (const action of ["conversation-pin", "conversation-mute"]) {
    await dm.getByTestId("conversation-menu-button").click();
    await dm.getByTestId(action).click();
  }
  await a.locator(`[data-testid=conversation-item][data-pinned=true][data-muted=true]`).waitFor();
  const first = await a.getByTestId("conversation-item").first().getAttribute("data-conversation-id");
  assert(first === conversation_id, "pinned conversation first");
  await dm.getByTestId("conversation-menu-button").click();
  await dm.getByTestId("conversation-archive").click();
  await dm.waitFor({ state: "detached" });
  await a.getByTestId("show-archived-toggle").click();
  await a.locator(`[data-testid=conversation-item][data-archived=true][data-conversation-id="${conversation_id}"]`).waitFor();
  await a.screenshot({ path: new URL("./out/archived.png", import.meta.url).pathname });
  console.log("social: ok");
} finally {
  await stack.stop();
}
