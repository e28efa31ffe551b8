// Stock socket.io-client clients behind the load balancer while the node holding them dies
// (tests/api/load_balancer.rs drives this script and kills the node).
//
// Every message carries a client_msg_id and stays pending until its ack arrives; after every
// reconnection (which the stock client does by itself, through the load balancer, to whichever
// node is left) each client sends again every message still pending, under the same
// client_msg_id. The node stores a client_msg_id once, so a message that was stored but whose ack
// was lost is answered with the stored copy instead of being stored twice.
//
// Talks to the test over lines: it prints JSON events on stdout and reads commands on stdin.
//   env OMEGACHAT_URL           the load balancer
//   env OMEGACHAT_CLIENTS       JSON [{ name, token, transports }]
//   env OMEGACHAT_CONVERSATION  the conversation every client writes to
//   -> {"event":"acked"}        every client connected, and its first messages acknowledged
//   <- frozen                   the node holding the clients is stopped (SIGSTOP)
//   -> {"event":"sent"}         each client sent messages that the stopped node cannot answer
//   <- killed                   that node was killed (SIGKILL)
//   -> {"event":"done", ...}    every message acknowledged, with what each client saw
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const base = process.env.OMEGACHAT_URL;
const specs = JSON.parse(process.env.OMEGACHAT_CLIENTS ?? "[]");
const conversation_id = process.env.OMEGACHAT_CONVERSATION;
// Only a guard against a test that would otherwise hang: the test has its own deadline.
const GIVE_UP_MS = 90_000;
const ACK_TIMEOUT_MS = 10_000;

function say(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

function fail(message) {
  say({ event: "failed", message });
  process.exit(1);
}
setTimeout(() => fail(`gave up after ${GIVE_UP_MS} ms: ${JSON.stringify(report())}`), GIVE_UP_MS).unref();

const commands = createInterface({ input: process.stdin });
const waiting = [];
commands.on("line", (line) => waiting.shift()?.(line.trim()));
function command(expected) {
  return new Promise((resolve) => {
    waiting.push((line) => (line === expected ? resolve() : fail(`expected ${expected}, got ${line}`)));
  });
}

class Client {
  constructor({ name, token, transports }) {
    this.name = name;
    this.sent = [];
    this.pending = new Map();
    this.acks = {};
    this.emits = {};
    this.refused = [];
    this.reconnects = 0;
    this.unackedAtDisconnect = [];
    this.socket = io(base, {
      auth: { token },
      transports,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
    });
    this.settled = [];
    this.socket.on("connect", () => {
      if (this.connectedBefore) {
        this.reconnects += 1;
        for (const [id, payload] of this.pending) this.emit(id, payload);
      }
      this.connectedBefore = true;
    });
    this.socket.on("disconnect", () => {
      this.unackedAtDisconnect.push(...this.pending.keys());
    });
    this.connected = new Promise((resolve) => this.socket.once("connect", resolve));
  }

  send(id) {
    const payload = { conversation_id, client_msg_id: id, content: `${this.name}: ${id}` };
    this.sent.push(id);
    this.pending.set(id, payload);
    if (this.socket.connected) this.emit(id, payload);
  }

  emit(id, payload) {
    this.emits[id] = (this.emits[id] ?? 0) + 1;
    this.socket.timeout(ACK_TIMEOUT_MS).emit("send_message", payload, (err, ack) => {
      if (!this.pending.has(id)) return;
      if (err) {
        // Lost with its connection (sent again at the next connect) or unanswered: again now.
        if (this.socket.connected) this.emit(id, payload);
        return;
      }
      if (!ack.ok) {
        this.refused.push({ id, error: ack.error });
        this.pending.delete(id);
      } else {
        this.acks[id] = ack.message.message_id;
        this.pending.delete(id);
      }
      if (this.pending.size === 0) this.settled.splice(0).forEach((resolve) => resolve());
    });
  }

  /** Resolves once no message is waiting for its ack. */
  allAcked() {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settled.push(resolve));
  }

  summary() {
    return {
      sent: this.sent,
      acks: this.acks,
      emits: this.emits,
      refused: this.refused,
      pending: [...this.pending.keys()],
      reconnects: this.reconnects,
      unacked_at_disconnect: [...new Set(this.unackedAtDisconnect)],
      transport: this.socket.io.engine?.transport?.name ?? null,
    };
  }
}

const clients = specs.map((spec) => new Client(spec));
const report = () => Object.fromEntries(clients.map((c) => [c.name, c.summary()]));
const everyClient = (f) => Promise.all(clients.map(f));

await everyClient((c) => c.connected);
for (const c of clients) for (let i = 0; i < 5; i++) c.send(`${c.name}-before-${i}`);
await everyClient((c) => c.allAcked());
say({ event: "acked" });

await command("frozen");
// The node holding every client is stopped: these are delivered to it, or to its socket
// buffers, and stay unanswered until it is killed and the clients reconnect elsewhere.
for (const c of clients) for (let i = 0; i < 3; i++) c.send(`${c.name}-in-flight-${i}`);
say({ event: "sent" });

await command("killed");
for (const c of clients) for (let i = 0; i < 3; i++) c.send(`${c.name}-after-${i}`);
await everyClient((c) => c.allAcked());
say({ event: "done", clients: report() });
for (const c of clients) c.socket.disconnect();
commands.close();
