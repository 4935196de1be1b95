// `npm run bench:closed-vs-open`: the p99 a closed-loop level reports against the p99 an open-loop
// level reports, on one server at one rate near its capacity. A benchmark script, not a test: it
// asserts nothing, it prints figures.
//
// Method: each repeat is two runs of the real CLI (orchestrator/main/bench.ts, results read back through the
// run history), one after the other, on a fresh server each:
//   closed   --concurrency-levels V (constant VUs), --window-s 0 so the level runs its whole --duration-s;
//   open     --mode open --rates-rps R, the same duration, once per --arrivals kind: constant (k6
//            constant-arrival-rate, a start every 1/R s) and poisson (exponential gaps, mean 1/R).
// R is --rate, or --fraction (default 0.9) of the throughput the repeat's closed-loop level just
// measured, rounded: a rate the server can just sustain at that moment. Recalibrating every repeat
// keeps R near capacity on a shared machine, where the server's throughput moves with the load the
// other processes put on its CPU (a single calibration there can put later repeats above capacity). Everything else is the suite's defaults (server and load engine on
// separate CPUs, the profile's warm-up, expected latency and VU sizing).
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runMain, UserError } from "../orchestrator/platform/errors.ts";
import { log } from "../orchestrator/platform/log.ts";
import type { FrameworkResult, ScenarioResult } from "../orchestrator/results/schema.ts";
import { estimate } from "../orchestrator/results/stats.ts";
import { latestRunIn, readResult, runBench, scriptArgs } from "./benchrun.ts";
import { flagWords } from "../orchestrator/results/validity.ts";
import { closedPoint, openPoint, pointKey } from "../orchestrator/plan/level-key.ts";

interface Measured {
  repeat: number;
  mode: "closed" | "constant" | "poisson";
  level: ScenarioResult;
  result: FrameworkResult;
}

const label = (mode: Measured["mode"]) => (mode === "closed" ? "closed loop" : `open loop, ${mode} arrivals`);
const fmt = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? "–" : x.toFixed(digits));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

runMain(async (argv, { signal }) => {
  const values = scriptArgs({
    args: argv,
    options: {
      framework: { type: "string", default: "onnx-python" },
      model: { type: "string", default: "all-MiniLM-L6-v2" },
      vus: { type: "string", default: "4" },
      rate: { type: "string" },
      fraction: { type: "string", default: "0.9" },
      repeats: { type: "string", default: "3" },
      "duration-s": { type: "string", default: "20" },
      arrivals: { type: "string", multiple: true, default: ["constant", "poisson"] },
    },
  });
  const { framework, model } = values;
  const vus = Number(values.vus);
  const repeats = Number(values.repeats);
  const fraction = Number(values.fraction);
  if (!Number.isInteger(vus) || vus < 1) throw new UserError(`--vus: a whole number ≥ 1, got ${values.vus}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UserError(`--repeats: a whole number ≥ 1, got ${values.repeats}`);
  if (!(fraction > 0 && fraction <= 2)) throw new UserError(`--fraction: a number in (0, 2], got ${values.fraction}`);
  const kinds = values.arrivals as ("constant" | "poisson")[];
  if (kinds.length === 0 || kinds.some((k) => k !== "constant" && k !== "poisson"))
    throw new UserError(`--arrivals: constant and/or poisson, got ${kinds.join(" ")}`);
  const fixedRate = values.rate === undefined ? null : Number(values.rate);
  if (fixedRate !== null && !(Number.isInteger(fixedRate) && fixedRate > 0)) throw new UserError(`--rate: a whole number of req/s, got ${values.rate}`);
  let rate = fixedRate ?? 0;

  const dir = mkdtempSync(path.join(os.tmpdir(), "eb-closed-vs-open-"));
  const common = ["--model", model, "--frameworks", framework, "--duration-s", values["duration-s"]];
  const measured: Measured[] = [];
  const measure = async (repeat: number, mode: Measured["mode"]) => {
    const args =
      mode === "closed"
        ? [...common, "--concurrency-levels", String(vus), "--window-s", "0"]
        : [...common, "--mode", "open", "--rates-rps", String(rate), "--arrivals", mode];
    log.step(`repeat ${repeat}/${repeats}, ${label(mode)}: bench:k6 ${args.join(" ")}`);
    const code = await runBench(args, dir, signal);
    if (code !== 0) throw new UserError(`bench:k6 exited ${code} (${label(mode)}, repeat ${repeat}); results in ${dir}`);
    const run = latestRunIn(dir);
    const result = readResult(run.resultFile(model, framework));
    const level = result.scenarios[pointKey(mode === "closed" ? closedPoint(vus) : openPoint(rate))];
    if (!level) throw new UserError(`${run.resultFile(model, framework)} has no ${label(mode)} level`);
    measured.push({ repeat, mode, level, result });
    return level;
  };

  for (let repeat = 1; repeat <= repeats; repeat++) {
    const closed = await measure(repeat, "closed");
    if (fixedRate === null) {
      rate = Math.max(1, Math.round(closed.throughput_qps * fraction));
      log.step(`open-loop rate: ${fraction} × ${closed.throughput_qps.toFixed(1)} req/s (closed loop, ${vus} VUs) = ${rate} req/s`);
    }
    for (const kind of kinds) await measure(repeat, kind);
  }

  const env = measured[0]!.result.environment;
  const layout = env.cpu_sets
    ? env.cpu_sets.mode === "split"
      ? `server on CPU ${env.cpu_sets.server}, load engine on CPU ${env.cpu_sets.client}`
      : "server and load engine share every CPU"
    : "CPU layout not recorded";
  console.log(`\nClosed loop vs open loop: ${framework}, ${model}, ${measured[0]!.level.batch_size} text(s) per request`);
  console.log(`Machine: ${os.cpus().length} CPUs (${env.cpu_count} seen by the run), ${env.cpu_model}, ${env.os}; ${layout}`);
  console.log(
    `Method: ${repeats} repeat(s), each a closed-loop run (${vus} VUs) then open-loop runs (${kinds.join(", ")} arrivals) at ${fixedRate === null ? `${fraction} × that repeat's closed-loop throughput` : `${fixedRate} req/s`}, ${values["duration-s"]} s per level, fresh server per run; results in ${dir}\n`,
  );
  console.log(
    "| repeat | mode | level | req/s achieved | requests | dropped / late | p50 ms | p95 ms | p99 ms | server CPU % | other processes' CPU % | flags |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const m of measured) {
    const l = m.level;
    const what = m.mode === "closed" ? `${vus} VUs` : `${l.target_rps} req/s`;
    const achieved = m.mode === "closed" ? l.throughput_qps : l.achieved_rps!;
    const missed = m.mode === "closed" ? "–" : m.mode === "poisson" ? `${l.late_starts ?? 0} late` : String(l.dropped_iterations ?? 0);
    const flags = (l.validity ? flagWords(l.validity) : []).join(", ") || "–";
    console.log(
      `| ${m.repeat} | ${label(m.mode)} | ${what} | ${fmt(achieved)} | ${l.num_requests} | ${missed} | ${fmt(l.latency_ms.median)} | ${fmt(l.latency_ms.p95)} | ${fmt(l.latency_ms.p99)} | ${fmt(l.server_cpu_percent, 0)} | ${fmt(l.validity?.other_cpu_percent, 0)} | ${flags} |`,
    );
  }
  // A saturated open-loop level did not run at its rate: its p99 is no reading of latency at that rate.
  const saturated = measured.filter((m) => m.mode !== "closed" && m.level.validity?.saturated);
  if (saturated.length > 0)
    console.log(
      `\nLeft out of the figures below, saturated (achieved rate short of the target): ${saturated.map((m) => `${label(m.mode)} in repeat ${m.repeat}`).join("; ")}.`,
    );
  const p99 = (mode: Measured["mode"]) => measured.filter((m) => m.mode === mode && !saturated.includes(m)).map((m) => m.level.latency_ms.p99);
  const ci = (xs: number[]) => (xs.length < 2 ? "" : ` ± ${fmt(estimate(xs).ci95)} (95 % CI of the mean)`);
  const closedP99 = p99("closed");
  console.log("");
  const line = (what: string, xs: number[]) =>
    console.log(`p99 ${what}, n=${xs.length}: median ${fmt(median(xs))} ms, mean ${fmt(estimate(xs).mean)} ms${ci(xs)}`);
  line(`closed loop (${vus} VUs)`, closedP99);
  for (const kind of kinds) {
    const xs = p99(kind);
    if (xs.length === 0) {
      console.log(`p99 ${label(kind)}: every level saturated; try a lower --rate or --fraction`);
      continue;
    }
    line(`${label(kind)}`, xs);
    const gap = median(closedP99) - median(xs);
    console.log(`  gap closed − ${label(kind)} (medians): ${fmt(gap)} ms; closed / open = ${fmt(median(closedP99) / median(xs), 2)}×`);
  }
  return 0;
});
