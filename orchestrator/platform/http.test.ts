import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import net from "node:net";
import { test } from "node:test";
import { requestJson } from "./http.ts";
import { sleep } from "./sleep.ts";

test("Ctrl-C ends a request to a server that never answers at once, not after its timeout", async () => {
  // A socket that accepts and never answers: the request can only end by its signal or its timeout.
  const server = net.createServer(() => {}).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as net.AddressInfo).port;
  const ctrlC = new AbortController();
  const started = performance.now();
  setTimeout(() => ctrlC.abort(new Error("interrupted")), 100);
  await assert.rejects(requestJson(`http://127.0.0.1:${port}/info`, { timeoutMs: 60_000, signal: ctrlC.signal }));
  assert.ok(performance.now() - started < 10_000, "well before the 60 s timeout");
  server.close();
});

test("waits leave no abort listener behind (a run's pauses never pile them up)", async () => {
  const signal = new AbortController().signal;
  for (let i = 0; i < 20; i++) await sleep(1, signal);
  assert.equal(getEventListeners(signal, "abort").length, 0);
  const ctrlC = new AbortController();
  const pending = sleep(60_000, ctrlC.signal);
  ctrlC.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
});
