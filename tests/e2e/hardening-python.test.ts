// The Python servers' limits on real servers and the real model: the token budget (MAX_BATCH_TOKENS)
// answered before the model call, memory given back after large calls, and a body that never
// arrives timed out (BODY_TIMEOUT_S) without a traceback in the log. The four Python servers share
// the request code (servers/pycommon); it runs here on the two graph engines. Memory depends on the
// runtime, so its check runs on all four.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { getModel, loadSuiteConfig, type DiscoveredServer } from "../../orchestrator/plan/config.ts";
import { startHealthyServer, type LaunchedServer } from "../../orchestrator/launch/launcher.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { call, serverNamed } from "./servers.ts";
import { tempDir } from "./helpers.ts";
import { DEFAULT_MAX_BATCH_TOKENS, longTexts, MAX_SEQ, MAXIMAL_TEXTS, rssAfterMaximalRequests } from "./memory.ts";

const MODEL = "all-MiniLM-L6-v2";
const PYTHON_SERVERS = ["onnx-python", "openvino"] as const;
const BODY_TIMEOUT_S = 2;

const config = loadSuiteConfig(ROOT);
const server = (name: string): DiscoveredServer => serverNamed(config, name);

let model: PreparedModel;
before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
});

async function start(name: string, env: Record<string, string>): Promise<{ proc: LaunchedServer; logFile: string }> {
  const logFile = path.join(tempDir(`harden-${name}`), "server.log");
  const proc = await startHealthyServer({ server: server(name), modelDir: model.dir, logFile, env }, { timeoutS: 180 });
  return { proc, logFile };
}

/**
 * Sends the headers of a POST /embed whose Content-Length promises more than the few bytes that
 * follow, then waits for the server's answer or its close. Resolves with what came back and when.
 */
function partialBody(base: string, waitMs: number): Promise<{ reply: string; closed: boolean; ms: number }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(Number(port), hostname);
    let reply = "";
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("connect", () => {
      socket.write(`POST /embed HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"texts": ["a`);
    });
    socket.on("data", (chunk: Buffer) => (reply += chunk.toString()));
    socket.on("close", () => finish(true));
    socket.on("error", reject);
  });
}

for (const name of PYTHON_SERVERS) {
  describe(`${name}: limits`, { timeout: 600_000 }, () => {
    let proc: LaunchedServer | undefined;
    let logFile = "";
    before(async () => {
      ({ proc, logFile } = await start(name, { MAX_BATCH_TOKENS: "512", BODY_TIMEOUT_S: String(BODY_TIMEOUT_S) }));
    });
    after(async () => proc?.stop(5));

    test("a request over MAX_BATCH_TOKENS is 413 with the token count, and /info says the budget", async () => {
      // 8 texts of 98 words + [CLS] and [SEP]: 800 tokens against a budget of 512.
      const text = Array.from({ length: 98 }, () => "word").join(" ");
      const over = await call(`${proc!.url}/embed`, { method: "POST", body: JSON.stringify({ texts: Array(8).fill(text) }) });
      assert.equal(over.status, 413, over.text.slice(0, 300));
      assert.deepEqual(over.json, { error: "too many tokens: 800 > 512 (MAX_BATCH_TOKENS)" });
      const within = await call(`${proc!.url}/embed`, { method: "POST", body: JSON.stringify({ texts: Array(5).fill(text) }) });
      assert.equal(within.status, 200, within.text);
      const info = await call(`${proc!.url}/info`);
      assert.equal((info.json as { max_batch_tokens: number }).max_batch_tokens, 512);
    });

    test("a body shorter than its Content-Length is answered 408 within BODY_TIMEOUT_S", async () => {
      const got = await partialBody(proc!.url, (BODY_TIMEOUT_S + 5) * 1000);
      assert.ok(got.reply !== "" || got.closed, `no answer and no close within ${BODY_TIMEOUT_S + 5} s`);
      assert.ok(got.ms < (BODY_TIMEOUT_S + 3) * 1000, `answered after ${got.ms.toFixed(0)} ms`);
      assert.match(got.reply, /^HTTP\/1\.1 408 /);
      assert.ok(got.reply.endsWith(`{"error":"request body not received within ${BODY_TIMEOUT_S} s"}`), got.reply);
      const health = await call(`${proc!.url}/health`);
      assert.equal(health.status, 200);
    });

    test("a client that hangs up mid-body leaves one line in the log, no traceback", async () => {
      await partialBody(proc!.url, 300);
      // The server notices the hang-up at its next read; give it that moment before reading the log.
      await new Promise((r) => setTimeout(r, 1000));
      const log = readFileSync(logFile, "utf8");
      assert.doesNotMatch(log, /Traceback|ClientDisconnect/, log);
      assert.match(log, /client disconnected before its body was complete/);
      assert.equal((await call(`${proc!.url}/health`)).status, 200);
    });
  });
}

// RSS after 8 of the largest requests the default budget allows (64 texts of 256 tokens), two at
// a time, on each server's default layout, with a bound per server: its measured figure with room
// for the machine (README, "Limits under hostile input"). The torch servers start in about 20 s;
// the requests take most of the time (a single-threaded torch call on 16384 tokens: ~4 s).
const RSS_BOUND_MB: Record<string, number> = { "onnx-python": 600, openvino: 800, pytorch: 1400, "pytorch-batching": 1400 };
for (const [name, bound] of Object.entries(RSS_BOUND_MB)) {
  test(`${name}: RSS stays under ${bound} MB after 8 of the largest allowed requests, and one text more is 413`, { timeout: 900_000 }, async (t) => {
    const { proc } = await start(name, {});
    try {
      const rss = await rssAfterMaximalRequests(proc.url);
      t.diagnostic(JSON.stringify(rss));
      assert.ok(rss.after_mb < bound, `RSS ${rss.idle_mb} MB idle, ${rss.after_mb} MB after 8 maximal requests (peak ${rss.peak_mb} MB)`);
      const r = await call(`${proc.url}/embed`, { method: "POST", body: JSON.stringify({ texts: longTexts(MAXIMAL_TEXTS + 1) }) });
      assert.equal(r.status, 413, r.text);
      assert.deepEqual(r.json, { error: `too many tokens: ${(MAXIMAL_TEXTS + 1) * MAX_SEQ} > ${DEFAULT_MAX_BATCH_TOKENS} (MAX_BATCH_TOKENS)` });
    } finally {
      await proc.stop(5);
    }
  });
}
