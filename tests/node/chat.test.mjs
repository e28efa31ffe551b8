// Drives omegachatd with the stock npm socket.io-client, as browsers and Node apps do.
// Run by tests/api/node_client.rs, which starts a daemon and passes its address in OMEGACHAT_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

const base = process.env.OMEGACHAT_URL;
assert.ok(base, "OMEGACHAT_URL must name a running omegachatd (tests/api/node_client.rs sets it)");

async function api(method, path, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

let counter = 0;
async function signUp(prefix) {
  const username = `${prefix}${process.pid % 10000}${counter++}`;
  const password = "correct horse battery";
  const registered = await api("POST", "/api/auth/register", null, { username, email: `${username}@example.org`, password });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const login = await api("POST", "/api/auth/login", null, { login: username, password });
  assert.equal(login.status, 200);
  return { id: login.body.user.id, token: login.body.access_token };
}

function connect(user, options = {}) {
  const socket = io(base, { auth: { token: user.token }, reconnection: false, ...options });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

function next(socket, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

async function directConversation(a, b) {
  const opened = await api("POST", "/api/conversations/direct", a.token, { user_id: b.id });
  assert.equal(opened.status, 200);
  return opened.body.conversation_id;
}

test("two friends chat live, with acks after storage and edits seen by the other", async () => {
  const [ann, ben] = [await signUp("ann"), await signUp("ben")];
  const request = await api("POST", "/api/friends/requests", ann.token, { user_id: ben.id });
  assert.equal(request.status, 201);
  assert.equal((await api("POST", `/api/friends/requests/${ann.id}/accept`, ben.token)).status, 200);
  const conversation_id = await directConversation(ann, ben);
  // ann over WebSocket only, ben with the default polling-then-upgrade transports.
  const annSocket = await connect(ann, { transports: ["websocket"] });
  const benSocket = await connect(ben);
  try {
    const received = next(benSocket, "receive_message");
    const ack = await annSocket.emitWithAck("send_message", { conversation_id, client_msg_id: "n-1", content: "hello from node" });
    assert.equal(ack.ok, true);
    assert.equal(ack.duplicate, false);
    assert.equal((await received).message_id, ack.message.message_id);

    const again = await annSocket.emitWithAck("send_message", { conversation_id, client_msg_id: "n-1", content: "hello from node" });
    assert.equal(again.duplicate, true);
    assert.equal(again.message.message_id, ack.message.message_id);

    const edited = next(benSocket, "message_edited");
    const editAck = await annSocket.emitWithAck("edit_message", { conversation_id, message_id: ack.message.message_id, content: "hello, edited" });
    assert.equal(editAck.ok, true);
    assert.equal((await edited).content, "hello, edited");

    const receipt = next(annSocket, "messages_read");
    const readAck = await benSocket.emitWithAck("mark_read", { conversation_id, message_id: ack.message.message_id });
    assert.equal(readAck.conversation.unread_count, 0);
    assert.equal((await receipt).user_id, ben.id);

    const typing = next(benSocket, "typing");
    await annSocket.emitWithAck("typing", { conversation_id, typing: true });
    // expires_in_ms: the server's typing timeout (realtime.typing_timeout_ms, 5 s by default).
    assert.deepEqual({ ...(await typing) }, { conversation_id, user_id: ann.id, typing: true, expires_in_ms: 5000 });
  } finally {
    annSocket.disconnect();
    benSocket.disconnect();
  }
});

test("a bad token is refused with a connect_error saying why", async () => {
  const socket = io(base, { auth: { token: "not.a.token" }, reconnection: false });
  const error = await next(socket, "connect_error");
  assert.match(error.message, /malformed|invalid/);
  socket.disconnect();
  const anonymous = io(base, { reconnection: false });
  const missing = await next(anonymous, "connect_error");
  assert.match(missing.message, /authentication required/);
  anonymous.disconnect();
});

test("bad payloads and unknown events get error acks and the socket stays usable", async () => {
  const [ann, ben] = [await signUp("ann"), await signUp("ben")];
  const conversation_id = await directConversation(ann, ben);
  const socket = await connect(ann);
  try {
    const malformed = await socket.emitWithAck("send_message", { content: "where to?" });
    assert.equal(malformed.ok, false);
    assert.equal(malformed.error.code, "invalid_payload");
    const unknown = await socket.emitWithAck("teleport", {});
    assert.equal(unknown.error.code, "unknown_event");
    const outsider = await signUp("eve");
    const eve = await connect(outsider);
    const refused = await eve.emitWithAck("join_room", { conversation_id });
    assert.equal(refused.error.code, "not_found");
    eve.disconnect();
    const ok = await socket.emitWithAck("send_message", { conversation_id, client_msg_id: "still-ok", content: "still here" });
    assert.equal(ok.ok, true, JSON.stringify(ok));
  } finally {
    socket.disconnect();
  }
});

test("a client that reconnects catches up through history after its last message", async () => {
  const [ann, ben] = [await signUp("ann"), await signUp("ben")];
  const conversation_id = await directConversation(ann, ben);
  const annSocket = await connect(ann);
  let benSocket = await connect(ben);
  try {
    const first = next(benSocket, "receive_message");
    await annSocket.emitWithAck("send_message", { conversation_id, client_msg_id: "c-0", content: "seen live" });
    const lastSeen = (await first).message_id;
    benSocket.disconnect();
    for (const i of [1, 2, 3]) {
      await annSocket.emitWithAck("send_message", { conversation_id, client_msg_id: `c-${i}`, content: `missed ${i}` });
    }
    benSocket = await connect(ben);
    const missed = await api("GET", `/api/conversations/${conversation_id}/messages?after=${lastSeen}`, ben.token);
    assert.deepEqual(missed.body.map((m) => m.content), ["missed 1", "missed 2", "missed 3"]);
  } finally {
    annSocket.disconnect();
    benSocket.disconnect();
  }
});
