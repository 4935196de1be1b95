// `npm run bench:repeatability`: how much repeatability the method buys. A benchmark script, not a
// test: it asserts nothing, it prints figures.
//
// The same frameworks and levels are measured N times (interleaved trials) twice:
//   method   server and load engine on separate CPUs, levels in stability windows (the defaults);
//   naive    --cpus shared and one 10 s window per level (what the suite did before).
// For each framework, level and figure it prints the coefficient of variation (sd / mean) over the
// N repeats: the smaller, the more a single run can be trusted.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runMain } from "../orchestrator/platform/errors.ts";
import { log } from "../orchestrator/platform/log.ts";
import { estimate } from "../orchestrator/results/stats.ts";
import { latestRunIn, readResult, runBench, scriptArgs } from "./benchrun.ts";
import { closedPoint, pointKey } from "../orchestrator/plan/level-key.ts";

const MODES = {
  method: [],
  naive: ["--cpus", "shared", "--window-s", "0"],
} as const;

interface Row {
  framework: string;
  concurrency: number;
  mode: keyof typeof MODES;
  qps: number[];
  p50: number[];
  p95: number[];
}

const cv = (xs: number[]) => {
  const e = estimate(xs);
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - e.mean) ** 2, 0) / (xs.length - 1));
  return e.mean > 0 ? (100 * sd) / e.mean : 0;
};

runMain(async (argv, { signal }) => {
  const values = scriptArgs({
    args: argv,
    options: {
      frameworks: { type: "string", multiple: true, default: ["onnx-python", "onnx-rust"] },
      "concurrency-levels": { type: "string", multiple: true, default: ["1", "4"] },
      repeats: { type: "string", default: "5" },
      "duration-s": { type: "string", default: "10" },
    },
  });
  const model = "all-MiniLM-L6-v2";
  const rows: Row[] = [];
  for (const [mode, extra] of Object.entries(MODES) as [keyof typeof MODES, readonly string[]][]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `eb-repeatability-${mode}-`));
    log.step(
      `${mode}: ${values.repeats} interleaved repeats of ${values.frameworks.join(", ")} at ${values["concurrency-levels"].join(", ")} VUs (results in ${dir})`,
    );
    const args = [
      "--model",
      model,
      "--frameworks",
      ...values.frameworks,
      "--concurrency-levels",
      ...values["concurrency-levels"],
      "--duration-s",
      values["duration-s"],
      "--trials",
      values.repeats,
      ...extra,
    ];
    const code = await runBench(args, dir, signal);
    if (code !== 0) log.warn(`${mode}: bench:k6 exited ${code}; figures below cover what completed`);
    for (const framework of values.frameworks) {
      const run = latestRunIn(dir);
      const files = Array.from({ length: Number(values.repeats) }, (_, i) => run.trialFile(model, framework, i + 1));
      const results = files.map((f) => readResult(f));
      for (const c of values["concurrency-levels"].map(Number)) {
        const levels = results.map((r) => r.scenarios[pointKey(closedPoint(c))]).filter((s) => s !== undefined);
        rows.push({
          framework,
          concurrency: c,
          mode,
          qps: levels.map((s) => s.throughput_qps),
          p50: levels.map((s) => s.latency_ms.median),
          p95: levels.map((s) => s.latency_ms.p95),
        });
      }
    }
  }
  console.log("\nCoefficient of variation over repeats (sd / mean, %): smaller is more repeatable\n");
  console.log("| framework | VUs | mode | n | QPS mean | QPS CV % | p50 CV % | p95 CV % |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.framework} | ${r.concurrency} | ${r.mode} | ${r.qps.length} | ${estimate(r.qps).mean.toFixed(1)} | ${cv(r.qps).toFixed(1)} | ${cv(r.p50).toFixed(1)} | ${cv(r.p95).toFixed(1)} |`,
    );
  }
  return 0;
});
