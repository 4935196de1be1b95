// The two engines measure the same thing: where a k6 is installed (K6_BIN or PATH; the suite never
// fetches one), the embedded engine and k6 run the same levels against one pinned onnx-python server,
// interleaved, and their throughput and median latency agree. Without a k6 the test is skipped with
// the reason: the k6 engine is then checked by unit tests over recorded k6 output
// (orchestrator/level/result.test.ts, orchestrator/level/k6/).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { driveLevel } from "../../orchestrator/level/drive.ts";
import { EmbeddedEngine } from "../../orchestrator/level/embedded/embedded-engine.ts";
import { K6Engine } from "../../orchestrator/level/k6/k6-engine.ts";
import { findK6 } from "../../orchestrator/level/k6/find.ts";
import type { LoadEngine } from "../../orchestrator/level/load-engine.ts";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import type { LevelSpec } from "../../orchestrator/plan/level-spec.ts";
import { allowedCpus } from "../../orchestrator/platform/affinity.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { DEFAULT_API_SETTINGS } from "../../scenario/apis/index.ts";
import { tempDir } from "./helpers.ts";
import { startServer } from "./servers.ts";

const k6 = findK6();
const SKIP = k6 ? false : "no k6 installed (K6_BIN unset, none on PATH): the k6 engine is checked by unit tests over recorded k6 output";
const REPEATS = 3;

/** Mean and range of a figure over the repeats. */
const spread = (xs: number[]) => ({ mean: xs.reduce((a, x) => a + x, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });

test("the embedded engine and k6 agree on throughput and median latency, interleaved on one server", { skip: SKIP, timeout: 1_800_000 }, async () => {
  const config = loadSuiteConfig(ROOT);
  const model = await ensureModel("all-MiniLM-L6-v2", getModel(config, "all-MiniLM-L6-v2"));
  const cpus = allowedCpus();
  const server = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  const { base: url, proc } = await startServer(server, model, config.benchmark.health_timeout_s * 1000, { THREADS: "1", WORKERS: "1" });
  const dir = tempDir("engines");
  const engines: LoadEngine[] = [new EmbeddedEngine(), new K6Engine(k6!)];
  const figures = new Map<string, { qps: number[]; p50: number[] }>(engines.map((e) => [e.name, { qps: [], p50: [] }]));
  try {
    for (let r = 0; r < REPEATS; r++) {
      for (const engine of engines) {
        const spec: LevelSpec = {
          url,
          api: "embed",
          apiSettings: DEFAULT_API_SETTINGS,
          batchSize: 1,
          seqLen: null,
          normalize: true,
          expectedDim: 384,
          load: { mode: "closed", vus: 2 },
          durationS: 8,
          windowS: 0,
          requestTimeoutS: 60,
          maxErrorRate: 0.01,
          tags: { framework: "onnx-python", model: "all-MiniLM-L6-v2", run_id: "engines-agree" },
          files: { log: `${dir}/${engine.name}-${r}.log`, summary: `${dir}/${engine.name}-${r}.summary.json` },
          cpus: cpus.length > 1 ? [cpus[cpus.length - 1]!] : null,
        };
        const { outcome } = await driveLevel(engine, spec, { signal: new AbortController().signal, onStart: () => {} });
        assert.equal(outcome.errors, 0, `${engine.name}: ${JSON.stringify(outcome.errorsByKind)}`);
        figures.get(engine.name)!.qps.push(outcome.ok / outcome.durationS);
        figures.get(engine.name)!.p50.push(outcome.latencyMs!.median);
      }
    }
  } finally {
    await proc.stop(10);
  }
  const [embedded, theirs] = [figures.get("embedded")!, figures.get("k6")!];
  for (const what of ["qps", "p50"] as const) {
    const [a, b] = [spread(embedded[what]), spread(theirs[what])];
    // Agreement: the repeats' ranges overlap, or the means are within 10 % of each other.
    const overlap = a.min <= b.max && b.min <= a.max;
    assert.ok(
      overlap || Math.abs(a.mean - b.mean) <= 0.1 * b.mean,
      `${what}: embedded ${a.mean.toFixed(2)} (${a.min.toFixed(2)}–${a.max.toFixed(2)}), k6 ${b.mean.toFixed(2)} (${b.min.toFixed(2)}–${b.max.toFixed(2)})`,
    );
  }
});
