// Loaded with `mocha --require ../harness/browser-event-order.cjs` (see ../README.md, "Changes
// from upstream"): gives the suites' Node.js WebSocket the event order of the browser they were
// written for. Not part of the upstream suites.
//
// A browser dispatches each WebSocket `message` (and the final `close`) as a task of its own, so
// the suites' `await waitFor(socket, "message")` calls, which listen `{ once: true }` one after
// another, see every message. The `ws` 8.5.0 their lock file pins emits all the frames of one
// TCP read synchronously (websockets/ws#2159; 8.14 to 8.16 did not, 8.17 does again by default):
// when a server writes two frames at once (Engine.IO servers batch queued packets into one write,
// as socketioxide does with a namespace CONNECT reply and the `auth` event that follows it), the
// second is emitted before the test has listened again, and is lost.
//
// Here `message` and `close` events are queued per socket and dispatched one per macrotask, in
// order (promise continuations run in between, as in a browser). Nothing else changes.
"use strict";

const { WebSocket } = require(require.resolve("ws", { paths: [process.cwd()] }));

const emit = WebSocket.prototype.emit;
const queued = Symbol("queued browser events");

function dispatchNext(socket) {
  const queue = socket[queued];
  const [event, args] = queue[0];
  try {
    emit.call(socket, event, ...args);
  } finally {
    queue.shift();
    if (queue.length > 0) {
      setImmediate(dispatchNext, socket);
    }
  }
}

WebSocket.prototype.emit = function (event, ...args) {
  if (event !== "message" && event !== "close") {
    return emit.call(this, event, ...args);
  }
  const queue = (this[queued] ??= []);
  queue.push([event, args]);
  if (queue.length === 1) {
    setImmediate(dispatchNext, this);
  }
  return this.listenerCount(event) > 0;
};
