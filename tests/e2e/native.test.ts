// The native servers (onnx-rust, candle, onnx-cpp) end to end: built by the suite's own prepare
// step, started as real processes on the real model, checked against the reference embeddings and
// the HTTP contract; the in-process ceiling mode; and one tiny real bench:k6 run of all three. Their
// token ids against Python `tokenizers`: token-ids.test.ts.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { generateTexts } from "../../scenario/texts.ts";
import { parseCeilingOutput } from "../../orchestrator/sweep/ceiling.ts";
import { getModel, loadSuiteConfig, type DiscoveredServer } from "../../orchestrator/plan/config.ts";
import { launchServer, runCeilingCommand, type LaunchedServer } from "../../orchestrator/launch/launcher.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { cosine } from "../../orchestrator/sweep/verify.ts";
import { parseExposition, total } from "../../servers/contract/prometheus.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";
import { serverNamed } from "./servers.ts";

const MODEL = "all-MiniLM-L6-v2";
const NATIVE = ["onnx-rust", "candle", "onnx-cpp"] as const;
// First builds compile many crates on a small machine.
const BUILD_TIMEOUT_MS = 3_600_000;

const config = loadSuiteConfig(ROOT);
const server = (name: string): DiscoveredServer => serverNamed(config, name);

let model: PreparedModel;

/** Launched without waiting for /health: some tests expect a server that never gets healthy. */
function start(name: string, env: Record<string, string> = {}): Promise<LaunchedServer> {
  return launchServer({ server: server(name), modelDir: model.dir, logFile: path.join(tempDir(`native-${name}`), "server.log"), threads: 2, workers: 1, env });
}

async function waitHealth(url: string, proc: LaunchedServer, want: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    assert.ok(!proc.hasExited(), `server exited:\n${proc.logTail()}`);
    try {
      const r = await fetch(`${url}/health`);
      const body = (await r.json()) as Record<string, unknown>;
      if (r.status === want && body["status"] !== "loading") return { status: r.status, body };
      last = `${r.status} ${JSON.stringify(body)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/health never answered ${want} (last: ${last})\n${proc.logTail()}`);
}

const post = (url: string, body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${url}/embed`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

before(async () => {
  model = await ensureModel(MODEL, getModel(config, MODEL));
});

for (const name of NATIVE) {
  describe(`${name} server`, { timeout: BUILD_TIMEOUT_MS }, () => {
    let url = "";
    let proc: LaunchedServer | undefined;
    before(async () => {
      proc = await start(name);
      url = proc.url;
      await waitHealth(url, proc, 200);
    });
    after(async () => proc?.stop(5));

    test("embeds the probe set like the fp32 reference (cosine >= 0.999)", async () => {
      const ref = JSON.parse(readFileSync(path.join(model.dir, "reference", "probes.json"), "utf8")) as { texts: string[]; embeddings: number[][] };
      const r = await post(url, { texts: ref.texts });
      assert.equal(r.status, 200);
      const t = Number(r.headers.get("x-inference-time"));
      assert.ok(t > 0, `x-inference-time ${r.headers.get("x-inference-time")}`);
      const body = (await r.json()) as { embeddings: number[][]; dim: number; num_embeddings: number; model: string; inference_time_ms: number };
      assert.equal(body.num_embeddings, ref.texts.length);
      assert.equal(body.dim, 384);
      assert.equal(body.model, MODEL);
      assert.ok(body.inference_time_ms > 0);
      body.embeddings.forEach((e, i) => {
        const c = cosine(e, ref.embeddings[i]!);
        assert.ok(c >= 0.999, `probe ${i} ${JSON.stringify(ref.texts[i]!.slice(0, 40))}: cosine ${c}`);
      });
      const norm = Math.hypot(...body.embeddings[0]!);
      assert.ok(Math.abs(norm - 1) < 1e-4, `normalised by default, norm ${norm}`);
      const raw = (await (await post(url, { texts: [ref.texts[0]], normalize: false })).json()) as { embeddings: number[][] };
      assert.ok(Math.abs(Math.hypot(...raw.embeddings[0]!) - 1) > 1e-3, "normalize:false returns the raw pooled vector");
      assert.ok(cosine(raw.embeddings[0]!, body.embeddings[0]!) > 0.99999);
    });

    test("WORKERS=1: concurrent requests take turns at the model, and the wait is queue time", async (t) => {
      const texts = Array.from({ length: 8 }, (_, i) => `request text ${i} ${"vectors are compared by cosine similarity ".repeat(20)}`);
      const started = performance.now();
      const replies = await Promise.all(Array.from({ length: 4 }, () => post(url, { texts })));
      const wallMs = performance.now() - started;
      for (const r of replies) assert.equal(r.status, 200);
      const inference = replies.map((r) => Number(r.headers.get("x-inference-time")));
      const queued = replies.map((r) => Number(r.headers.get("x-queue-time")));
      const modelMs = inference.reduce((a, b) => a + b, 0);
      t.diagnostic(`model ${modelMs.toFixed(0)} ms over wall ${wallMs.toFixed(0)} ms; queue ${queued.map((q) => q.toFixed(0)).join(", ")} ms`);
      // One model call at a time: their times add up to about the wall time (x-inference-time also
      // counts tokenising and pooling, which do overlap; calls at once would add up to several
      // times the wall time), and the last in line waited at least one call's time.
      assert.ok(modelMs <= wallMs * 1.15, `model ${modelMs.toFixed(0)} ms over wall ${wallMs.toFixed(0)} ms: calls overlapped`);
      assert.ok(Math.max(...queued) >= Math.min(...inference), `queue times ${queued.join(", ")} ms`);
    });

    test("answers bad requests with the contract's JSON errors", async () => {
      const cases: [string | object, number, RegExp][] = [
        ["{not json", 400, /not valid JSON/],
        [[1, 2], 400, /JSON object/],
        [{ texts: [] }, 400, /non-empty list/],
        [{ texts: "a" }, 400, /non-empty list/],
        [{ texts: ["a", 3] }, 400, /must be a string/],
        [{ texts: ["a"], normalize: "yes" }, 400, /'normalize' must be a boolean/],
        [{ texts: Array.from({ length: 257 }, () => "a") }, 413, /too many texts: 257 > 256/],
      ];
      for (const [body, status, message] of cases) {
        const r = await post(url, body);
        assert.equal(r.status, status, JSON.stringify(body).slice(0, 60));
        assert.match(r.headers.get("content-type") ?? "", /application\/json/);
        assert.match(((await r.json()) as { error: string }).error, message);
      }
      const big = await post(url, { texts: ["x".repeat(4 * 1024 * 1024)] });
      assert.equal(big.status, 413);
      assert.match(((await big.json()) as { error: string }).error, /body larger than 4194304 bytes/);
      const missing = await fetch(`${url}/nope`);
      assert.equal(missing.status, 404);
      assert.ok(((await missing.json()) as { error?: string }).error);
      const wrongMethod = await fetch(`${url}/embed`);
      assert.equal(wrongMethod.status, 405);
      assert.ok(((await wrongMethod.json()) as { error?: string }).error);
      assert.equal((await post(url, { texts: ["still alive"] })).status, 200);
    });

    test("/info and /metrics describe the server and count requests", async () => {
      const info = (await (await fetch(`${url}/info`)).json()) as Record<string, unknown>;
      assert.equal(info["framework"], name);
      assert.equal(info["language"], server(name).manifest.language);
      assert.equal(info["model_name"], MODEL);
      assert.equal(info["embedding_dim"], 384);
      assert.equal(info["max_seq_length"], 256);
      assert.equal(info["pooling"], "mean");
      assert.equal(info["synthetic_weights"], false);
      assert.equal(info["threads"], 2);
      assert.equal(info["workers"], 1);
      assert.equal(info["pid"], proc!.pid);
      assert.match(String(info["framework_version"]), /^\d+\.\d+\.\d+/);
      for (const key of ["model_load_time_ms", "cpu_count", "memory_rss_mb"]) assert.ok((info[key] as number) > 0, key);
      const scrape = async () => parseExposition(await (await fetch(`${url}/metrics`)).text());
      const before = await scrape();
      await post(url, { texts: ["one", "two"] });
      await post(url, { texts: [] });
      const metrics = await scrape();
      const grew = (family: string, sample = family) => total(metrics, family, sample) - total(before, family, sample);
      assert.equal(grew("embed_requests_total"), 2);
      assert.equal(grew("embed_errors_total"), 1);
      assert.equal(grew("embed_embeddings_total"), 2);
      for (const histogram of ["embed_inference_ms", "embed_queue_ms", "embed_batch_texts"]) {
        assert.equal(metrics.get(histogram)?.type, "histogram", histogram);
        assert.equal(grew(histogram, `${histogram}_count`), 1, `${histogram}: one model call`);
      }
      assert.equal(grew("embed_batch_texts", "embed_batch_texts_sum"), 2, "two texts in that call");
      const labels = metrics.get("embed_requests_total")!.samples[0]!.labels;
      assert.deepEqual(labels, { framework: name }, "one label, as in the Python servers (which sum their processes)");
    });

    test("serves concurrent requests, each with its own texts", async () => {
      const texts = generateTexts(16, 12, 99);
      const replies = await Promise.all(texts.map((t) => post(url, { texts: [t] }).then((r) => r.json() as Promise<{ embeddings: number[][] }>)));
      const alone = (await (await post(url, { texts })).json()) as { embeddings: number[][] };
      replies.forEach((r, i) => assert.ok(cosine(r.embeddings[0]!, alone.embeddings[i]!) > 0.9999, `text ${i}`));
    });

    test("a model folder that cannot be loaded is reported by /health while the process stays up", async () => {
      const broken = await start(name, { MODEL_DIR: tempDir("empty-model") });
      try {
        const h = await waitHealth(broken.url, broken, 503);
        assert.equal(h.body["status"], "failed");
        assert.match(String(h.body["error"]), /serving\.json/);
        assert.equal((await post(broken.url, { texts: ["a"] })).status, 503);
      } finally {
        await broken.stop(5);
      }
    });

    test("--ceiling measures the same engine in process and prints one JSON report", async () => {
      const textsFile = path.join(tempDir("ceiling"), "texts.json");
      writeFileSync(textsFile, JSON.stringify({ texts: generateTexts(50, 24) }));
      const out = await runCeilingCommand({ server: server(name), modelDir: model.dir, textsFile, concurrency: 2, durationS: 1, threads: 2 });
      const report = parseCeilingOutput(out, name);
      assert.equal(report.framework, name);
      assert.equal(report.concurrency, 2);
      assert.equal(report.threads, 2);
      assert.ok(report.calls > 0 && report.embeddings_per_sec > 0 && report.p50_ms > 0, JSON.stringify(report));
      assert.ok(Math.abs(report.embeddings_per_sec - report.calls / report.duration_s) < 1e-6);
    });
  });
}

test("bench:k6 builds, verifies and benchmarks the three native servers", { timeout: BUILD_TIMEOUT_MS }, async () => {
  const dir = tempDir("native-bench");
  const run = await runCli(["--frameworks", ...NATIVE, "--concurrency-levels", "2", "--duration-s", "2", "--warmup-requests", "5", "--results-dir", dir], {
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  for (const name of NATIVE) {
    const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8")));
    assert.equal(result.status, "completed", `${name}: ${result.failure}`);
    assert.equal(result.server_info?.["framework"], name);
    const s = result.scenarios[pointKey(closedPoint(2))]!;
    assert.equal(s.errors, 0);
    assert.ok(s.num_requests > 0 && s.throughput_qps > 0, `${name}: ${s.num_requests} requests`);
  }
});
