// The dynamic batcher of pytorch-batching against the real model: concurrent requests share model
// calls and each still gets its own vectors; WORKERS batches run at once; a full queue is refused
// with 503 + Retry-After and the server stays healthy.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { cosine } from "../../orchestrator/sweep/verify.ts";
import { call, startServer, type RunningServer } from "./servers.ts";

const config = loadSuiteConfig(ROOT);
const server = config.servers.find((s) => s.manifest.name === "pytorch-batching")!;
const MAX_BATCH = 8;
const MAX_QUEUE = 6;
const WORKERS = 2;
let running: RunningServer;

before(async () => {
  const model = await ensureModel(config.benchmark.default_model, getModel(config, config.benchmark.default_model));
  // A long wait makes batches form deterministically even on a slow, busy machine.
  running = await startServer(server, model, config.benchmark.health_timeout_s * 1000, {
    MAX_BATCH_SIZE: String(MAX_BATCH),
    MAX_WAIT_MS: "200",
    MAX_QUEUE: String(MAX_QUEUE),
    THREADS: "1",
    WORKERS: String(WORKERS),
  });
});

after(async () => {
  await running?.proc.stop(config.benchmark.stop_timeout_s);
});

const post = (texts: string[]) => call(`${running.base}/embed`, { method: "POST", body: JSON.stringify({ texts }) });
const vectors = (r: { json: unknown }) => (r.json as { embeddings: number[][] }).embeddings;

test("/info reports the batching settings from the environment", async () => {
  const info = (await call(`${running.base}/info`)).json as Record<string, unknown>;
  assert.deepEqual(info["batching"], { max_batch_size: MAX_BATCH, max_wait_ms: 200, max_queue: MAX_QUEUE });
  assert.deepEqual([info["threads"], info["workers"]], [1, WORKERS]);
});

test("concurrent requests are batched together and each gets its own vectors", async () => {
  const texts = Array.from({ length: MAX_QUEUE }, (_, i) => `request ${i}: ${"word ".repeat(2 + i * 3)}`);
  const alone = [];
  for (const t of texts) alone.push(vectors(await post([t]))[0]!);
  const replies = await Promise.all(texts.map((t) => post([t])));
  for (const [i, r] of replies.entries()) {
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.ok(cosine(vectors(r)[0]!, alone[i]!) > 0.9999, `request ${i} got another request's vector`);
    assert.ok(Number(r.headers.get("x-queue-time")) >= 0, "x-queue-time");
  }
  const sizes = replies.map((r) => Number(r.headers.get("x-batch-size")));
  assert.ok(Math.max(...sizes) > 1, `no batch formed: x-batch-size ${sizes.join(",")}`);
  assert.ok(Math.max(...sizes) <= MAX_BATCH, `a batch exceeded MAX_BATCH_SIZE: ${sizes.join(",")}`);
  const metrics = (await call(`${running.base}/metrics`)).text;
  assert.match(metrics, /^# TYPE embed_batch_texts histogram$/m);
});

test("a request larger than MAX_BATCH_SIZE runs alone and is not split", async () => {
  const texts = Array.from({ length: MAX_BATCH + 3 }, (_, i) => `text ${i}`);
  const r = await post(texts);
  assert.equal(r.status, 200);
  assert.equal(vectors(r).length, texts.length);
  assert.equal(Number(r.headers.get("x-batch-size")), texts.length);
});

test("beyond MAX_QUEUE waiting requests: 503 JSON with Retry-After, the rest answered, still healthy", async () => {
  const long = "a sentence that keeps the model busy for a while ".repeat(20);
  const replies = await Promise.all(Array.from({ length: 40 }, () => post([long])));
  const refused = replies.filter((r) => r.status === 503);
  const ok = replies.filter((r) => r.status === 200);
  assert.equal(refused.length + ok.length, replies.length, replies.map((r) => r.status).join(","));
  assert.ok(refused.length > 0, "the queue bound was never hit");
  assert.ok(ok.length >= MAX_QUEUE, `only ${ok.length} answered`);
  for (const r of refused) {
    assert.match((r.json as { error: string }).error, /queue full/);
    assert.equal(r.headers.get("retry-after"), "1");
  }
  const health = await call(`${running.base}/health`);
  assert.equal(health.status, 200);
});

test("WORKERS batches run at once: two requests that each fill a batch overlap", async (t) => {
  // More texts than MAX_BATCH_SIZE: each request is a batch of its own, so two can only overlap by
  // running on two workers. Long texts keep a single-threaded call busy for a while.
  const texts = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `text ${i}: ${"vectors are compared by cosine similarity ".repeat(20)}`);
  let modelMs = 0;
  const started = performance.now();
  for (let round = 0; round < 3; round++) {
    const replies = await Promise.all([post(texts), post(texts)]);
    for (const r of replies) {
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.equal(Number(r.headers.get("x-batch-size")), texts.length);
      modelMs += Number(r.headers.get("x-inference-time"));
    }
  }
  const wallMs = performance.now() - started;
  // Model time over wall time is how many calls ran at once on average: at most 1 with one worker.
  const overlap = modelMs / wallMs;
  t.diagnostic(`model ${modelMs.toFixed(0)} ms over wall ${wallMs.toFixed(0)} ms: overlap ${overlap.toFixed(2)}`);
  assert.ok(overlap >= 1.3, `overlap ${overlap.toFixed(2)}: ${WORKERS} workers did not run batches at once`);
});
