// Where the time goes, on real servers: every level records the server's own metrics, scraped while
// it ran, and each request's time outside the model. pytorch-batching forms one-text batches when
// one request is in flight and larger ones when four are.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";

test("every level records the server's scraped metrics and the time outside the model; a batching server's formed batch follows the load", {
  timeout: 900_000,
}, async () => {
  const dir = tempDir("telemetry");
  const run = await runCli([
    "--frameworks",
    "onnx-python",
    "pytorch-batching",
    "--concurrency-levels",
    "1",
    "4",
    "--duration-s",
    "3",
    "--window-s",
    "0",
    "--warmup-requests",
    "5",
    "--csv",
    "--results-dir",
    dir,
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const folder = latestRun(dir);
  const read = (fw: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(folder, MODEL, `${fw}.json`), "utf8")));
  for (const fw of ["onnx-python", "pytorch-batching"]) {
    for (const s of Object.values(read(fw).scenarios)) {
      const m = s.server_metrics;
      assert.ok(m, `${fw} c=${s.concurrency}: server_metrics`);
      assert.ok(m.scrapes >= 3, `${fw}: a scrape at the start, one a second, one at the end: ${m.scrapes}`);
      assert.deepEqual(m.missing, [], `${fw}: our contract's families are all there`);
      assert.deepEqual(Object.keys(m.gauges).sort(), ["in_flight", "queue_depth"], `${fw}: both gauges read`);
      assert.equal(m.totals["requests"], s.num_requests, `${fw} c=${s.concurrency}: the server counted the engine's requests`);
      assert.equal(m.totals["embeddings"], s.num_requests, "batch 1");
      assert.ok(m.model_time_fraction! > 0 && m.mean_model_ms! > 0);
      assert.ok(s.server_inference_ms && s.outside_model_p50_ms !== null && s.outside_model_p95_ms !== null);
      assert.ok(s.outside_model_p50_ms < s.latency_ms.median, `${fw}: outside ${s.outside_model_p50_ms} < latency ${s.latency_ms.median} ms`);
      assert.ok(s.outside_model_p95_ms >= s.outside_model_p50_ms);
      assert.ok(s.energy && (s.energy.package_joules !== null) !== (s.energy.absent !== null), "package energy, or why there is none (no RAPL on a VM)");
    }
  }
  const levels = read("pytorch-batching").scenarios;
  const at = (c: number) => Object.values(levels).find((s) => s.concurrency === c)!.server_metrics!;
  assert.equal(at(1).mean_batch_size, 1, "one request in flight: one text per model call");
  assert.ok(at(4).mean_batch_size! > 1.5, `four in flight: batches formed of ${at(4).mean_batch_size} texts`);
  assert.equal(Object.values(read("onnx-python").scenarios).find((s) => s.concurrency === 4)!.server_metrics!.mean_batch_size, 1, "no batching");

  assert.match(run.stdout, /Where the time goes[\s\S]*outside p50[\s\S]*batch formed/);
  const csv = readFileSync(path.join(folder, readdirSync(folder).find((f) => f.endsWith(".csv"))!), "utf8").split("\n")[0]!;
  for (const c of ["outside_model_p50_ms", "outside_model_p95_ms", "model_time_fraction", "mean_batch_size_formed"]) assert.ok(csv.split(",").includes(c), c);
});
