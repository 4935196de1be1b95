// The managed peer `triton` (servers/triton/) on the real model: started through the suite's launcher,
// it answers the KServe v2 adapter with the reference vectors, keeps each request's rows in order when
// its dynamic batcher merges requests, runs with the batcher settings it was given, and leaves no
// tritonserver or Python backend stub behind when it is stopped; its Prometheus metrics, on the second
// port the launcher gave it, count what the batcher did. The contract's conformance suite skips it: it
// does not speak the contract.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { manifestApi, embedVia } from "../../orchestrator/sweep/api-client.ts";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { cosine, loadProbes, verifyServer } from "../../orchestrator/sweep/verify.ts";
import { METRIC_NAMES, readingOf } from "../../orchestrator/level/scrape.ts";
import { isAlive } from "./helpers.ts";
import { call, startServer, type RunningServer } from "./servers.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const server = config.servers.find((s) => s.manifest.name === "triton")!;
const api = manifestApi(server.manifest.api);
const NAME = server.manifest.api.served_model;
// Above the 18 probes, which verify sends as one request.
const MAX_BATCH = 20;
// Long enough that requests sent together are batched even on a slow, busy machine.
const DELAY_US = 100_000;
const WORKERS = 2;
const TIMEOUT_MS = config.benchmark.request_timeout_s * 1000;

let model: PreparedModel;
let running: RunningServer;

/** Processes whose command line contains `needle` (the tritonserver and stubs of this server's port). */
function processesWith(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Processes in the server's process group (the launcher starts it as a group leader). */
function groupMembers(pgid: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      if (Number(fields[2]) === pgid) found.push({ pid: Number(entry), comm: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

before(async () => {
  assert.ok(server, "servers/triton/manifest.yaml is discovered");
  model = await ensureModel(MODEL, getModel(config, MODEL));
  running = await startServer(server, model, config.benchmark.health_timeout_s * 1000, {
    THREADS: "1",
    WORKERS: String(WORKERS),
    MAX_BATCH_SIZE: String(MAX_BATCH),
    MAX_QUEUE_DELAY_US: String(DELAY_US),
  });
});

after(async () => {
  if (running && !running.proc.hasExited()) await running.proc.stop(config.benchmark.stop_timeout_s);
});

test("the manifest makes it a kserve peer with the model's own readiness route", () => {
  assert.equal(server.manifest.api.name, "kserve");
  assert.equal(server.manifest.health_path, `/v2/models/${NAME}/ready`);
});

test("vectors through the kserve adapter match the reference, one at a time and in batches", { timeout: 120_000 }, async () => {
  const v = await verifyServer(running.base, loadProbes(model.dir), { minCosine: config.benchmark.verify_min_cosine.fp32, timeoutMs: TIMEOUT_MS, api });
  assert.equal(v.passed, true, v.reason ?? "");
  assert.ok(v.max_norm_error! < 1e-3, "unit vectors: the adapter cannot ask for normalize");
});

test("Triton runs with the batcher and instances it was given", async () => {
  const cfg = (await call(`${running.base}/v2/models/${NAME}/config`)).json as Record<string, unknown>;
  assert.equal(cfg["max_batch_size"], MAX_BATCH);
  assert.equal((cfg["dynamic_batching"] as { max_queue_delay_microseconds: number }).max_queue_delay_microseconds, DELAY_US);
  assert.equal((cfg["instance_group"] as { count: number }[])[0]!.count, WORKERS);
  assert.deepEqual(
    (cfg["output"] as { name: string; dims: number[] }[]).map((o) => [o.name, o.dims]),
    [["EMBEDDINGS", [getModel(config, MODEL).embedding_dim]]],
  );
});

test("requests merged by the batcher each get their own rows, in order", { timeout: 120_000 }, async () => {
  const { texts, embeddings } = loadProbes(model.dir);
  const statsBefore = await executions();
  const metricsBefore = await metrics();
  // Requests of one to three texts, sent at once: the batcher packs them into batches of up to MAX_BATCH rows.
  const groups = [[0], [1, 2], [3], [4, 5, 6], [7], [8, 9], [10], [11, 12, 13], [14], [15, 16, 17]];
  const answers = await Promise.all(
    groups.map((g) =>
      embedVia(
        api,
        running.base,
        g.map((i) => texts[i]!),
        TIMEOUT_MS,
      ),
    ),
  );
  answers.forEach((a, k) => {
    assert.equal(a.problem, null, `request ${k}: ${a.problem}`);
    groups[k]!.forEach((i, row) => assert.ok(cosine(a.vectors![row]!, embeddings[i]!) >= 0.9999, `request ${k} row ${row} is probe ${i}`));
  });
  const after = await executions();
  const metricsAfter = await metrics();
  const requests = after.inferences - statsBefore.inferences;
  const calls = after.executions - statsBefore.executions;
  assert.equal(requests, groups.flat().length, "inference count is in rows");
  assert.ok(calls < groups.length, `the batcher merged requests: ${groups.length} requests ran in ${calls} model calls`);

  // The same through Triton's Prometheus metrics, as a level reads them (the kserve names of level/scrape.ts).
  const grew = (q: keyof typeof metricsAfter.values) => metricsAfter.values[q]! - metricsBefore.values[q]!;
  assert.equal(grew("requests"), groups.length, "nv_inference_request_success + _failure: requests");
  assert.equal(grew("errors"), 0);
  assert.equal(grew("embeddings"), groups.flat().length, "nv_inference_count: rows");
  assert.equal(grew("model_calls"), calls, "nv_inference_exec_count: executions, as /stats counts them");
  assert.equal(grew("batch_texts"), requests);
  // Model time is summed per request (each request of an execution adds the execution's time), as
  // /stats's inference_stats; its batch_stats add each execution once, which is less when requests merged.
  const perRequestMs = (after.computeNs - statsBefore.computeNs) / 1e6;
  const perCallMs = (after.batchComputeNs - statsBefore.batchComputeNs) / 1e6;
  assert.ok(Math.abs(grew("model_ms") - perRequestMs) <= 1 + perRequestMs * 0.01, `metrics ${grew("model_ms")} ms ≈ /stats per request ${perRequestMs} ms`);
  assert.ok(perCallMs < perRequestMs, `per execution ${perCallMs} ms < per request ${perRequestMs} ms: merged requests count their execution once each`);
  assert.ok(grew("queue_ms") > 0, "the batcher held requests for company");
  assert.ok("queue_depth" in metricsAfter.gauges, "nv_inference_pending_request_count");
});

test("a request with more rows than MAX_BATCH_SIZE is refused, and the server goes on", async () => {
  const texts = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `text ${i}`);
  const tooMany = await embedVia(api, running.base, texts, TIMEOUT_MS);
  assert.equal(tooMany.reply.status, 400, JSON.stringify(tooMany.reply.body));
  const ok = await embedVia(api, running.base, texts.slice(0, MAX_BATCH), TIMEOUT_MS);
  assert.equal(ok.problem, null);
});

test("stopped with SIGTERM, it exits by itself and leaves no tritonserver or stub", { timeout: 60_000 }, async () => {
  const port = new URL(running.base).port;
  const triton = processesWith(`--http-port ${port}`);
  assert.equal(triton.length, 1, "one tritonserver serves this port");
  const members = groupMembers(running.proc.pid);
  assert.ok(
    members.some((m) => m.comm === "tritonserver"),
    JSON.stringify(members),
  );
  assert.ok(
    members.some((m) => m.comm.startsWith("triton_python")),
    `a Python backend stub per instance: ${JSON.stringify(members)}`,
  );
  const started = performance.now();
  await running.proc.stop(config.benchmark.stop_timeout_s);
  const { code, signal } = await running.proc.exited;
  assert.equal(signal, null, `exited by itself, not killed (${signal}) after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(code, 0, running.proc.logTail());
  const left = [...triton, ...members.map((m) => m.pid)].filter(isAlive);
  assert.deepEqual(left, [], "no process of the server is left");
  assert.deepEqual(processesWith(`--http-port ${port}`), []);
});

/** Triton's statistics for the model: requests (rows) inferred, model calls executed, and the model's time summed per request and per call. */
async function executions(): Promise<{ inferences: number; executions: number; computeNs: number; batchComputeNs: number }> {
  const r = await call(`${running.base}/v2/models/${NAME}/stats`);
  assert.equal(r.status, 200, r.text);
  const s = (
    r.json as {
      model_stats: {
        inference_count: number;
        execution_count: number;
        inference_stats: { compute_infer: { ns: number } };
        batch_stats: { compute_infer: { count: number; ns: number } }[];
      }[];
    }
  ).model_stats[0]!;
  return {
    inferences: s.inference_count,
    executions: s.execution_count,
    computeNs: Number(s.inference_stats.compute_infer.ns),
    batchComputeNs: s.batch_stats.reduce((n, b) => n + Number(b.compute_infer.ns), 0),
  };
}

/** One scrape of Triton's metrics port, read through the kserve names. */
async function metrics(): Promise<ReturnType<typeof readingOf>> {
  const url = running.proc.metricsUrl;
  assert.notEqual(new URL(url).port, new URL(running.base).port, "metrics on a port of their own");
  const r = await call(url);
  assert.equal(r.status, 200, r.text);
  return readingOf(r.text, METRIC_NAMES["kserve"]!, 0);
}
