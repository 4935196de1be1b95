import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../../tests/fixtures/results.ts";
import type { FrameworkResult, ScenarioResult } from "../../results/schema.ts";
import { buildReport, embeddingsPerCore, levelFlags, paretoFrontier, type LoadedRun } from "./data.ts";
import { levelKey, closedLevel, closedPoint, openLevel, pointKey } from "../../plan/level-key.ts";

const AT = new Date("2026-11-30T15:00:00.000Z");

function result(framework: string, edit: (s: ScenarioResult) => ScenarioResult = (s) => s, top: Partial<FrameworkResult> = {}): FrameworkResult {
  const r = sampleResult();
  return { ...r, framework, ...top, scenarios: Object.fromEntries(Object.entries(r.scenarios).map(([k, s]) => [k, edit(s)])) };
}

const run = (id: string, ...results: FrameworkResult[]): LoadedRun => ({ id, results, problems: [] });
const chart = (runs: LoadedRun[], id: string) => buildReport(runs, AT).charts.find((c) => c.id === id)!;
const table = (runs: LoadedRun[], id: string) => buildReport(runs, AT).tables.find((t) => t.id === id);
const validity = {
  p99_enough_samples: true,
  p999_enough_samples: false,
  client_bound: false,
  noisy: false,
  other_cpu_percent: 1,
  stalled: false,
  unstable: false,
  saturated: false,
};

test("a line per framework on every level chart, levels in numeric order, in one run labelled by framework alone", () => {
  const runs = [run("r1", result("onnx-python"), result("onnx-rust"))];
  const report = buildReport(runs, AT);
  assert.deepEqual(
    report.charts.map((c) => c.id),
    ["throughput", "latency-p50", "latency-p95", "latency-p99", "efficiency", "memory", "startup", "pareto-all-MiniLM-L6-v2-texts"],
    "no windows stored: no time-series chart",
  );
  for (const c of report.charts.filter((c) => c.kind !== "scatter"))
    assert.deepEqual(
      c.series.map((s) => s.label),
      ["onnx-python", "onnx-rust"],
      c.id,
    );
  const throughput = chart(runs, "throughput");
  assert.deepEqual(throughput.labels, ["1", "4"], "sorted by concurrency, not by key order");
  assert.deepEqual(throughput.series[0]!.values, [145, 163.8]);
  assert.deepEqual(chart(runs, "latency-p95").series[0]!.values, [6.1 + 2.6, 23.1 + 2.6]);
  assert.notEqual(throughput.series[0]!.style.color, throughput.series[1]!.style.color, "frameworks get their own colour");
  assert.equal(throughput.series[0]!.band, undefined, "no trials, no band");
});

test("several runs overlay: a series per framework and run, a missing level is a gap, and a run is told apart by its dash", () => {
  const second = result("onnx-python");
  delete second.scenarios[levelKey(closedLevel(4))];
  second.scenarios[levelKey(closedLevel(2))] = {
    ...second.scenarios[levelKey(closedLevel(1))]!,
    concurrency: 2,
    scenario_name: levelKey(closedLevel(2)),
    throughput_qps: 150,
  };
  const runs = [run("a", result("onnx-python"), result("onnx-rust")), run("b", second, result("onnx-rust"))];
  const c = chart(runs, "throughput");
  assert.deepEqual(c.labels, ["1", "2", "4"]);
  assert.deepEqual(
    c.series.map((s) => s.label),
    ["onnx-python · a", "onnx-rust · a", "onnx-python · b", "onnx-rust · b"],
  );
  assert.deepEqual(c.series[0]!.values, [145, null, 163.8]);
  assert.deepEqual(c.series[2]!.values, [145, 150, null]);
  assert.equal(c.series[0]!.style.color, c.series[2]!.style.color, "one colour per framework across runs");
  assert.notDeepEqual(c.series[0]!.style.dash, c.series[2]!.style.dash);
});

test("one framework in two runs: the colours go to the runs", () => {
  const c = chart([run("a", result("onnx-python")), run("b", result("onnx-python"))], "throughput");
  assert.deepEqual(
    c.series.map((s) => s.label),
    ["onnx-python · a", "onnx-python · b"],
  );
  assert.notEqual(c.series[0]!.style.color, c.series[1]!.style.color);
});

test("with trials, a throughput and latency band of mean ± the 95 % half-width", () => {
  const trials = (s: ScenarioResult): ScenarioResult => {
    const e = (mean: number) => ({ mean, ci95: 2, values: [mean - 1, mean + 1] });
    return {
      ...s,
      trials: { n: 2, throughput_qps: e(s.throughput_qps), p50_ms: e(s.latency_ms.median), p95_ms: e(s.latency_ms.p95), p99_ms: e(s.latency_ms.p99) },
    };
  };
  const runs = [run("r", result("onnx-python", trials))];
  assert.deepEqual(chart(runs, "throughput").series[0]!.band, { lo: [143, 161.8], hi: [147, 165.8] });
  assert.deepEqual(chart(runs, "latency-p50").series[0]!.band, { lo: [4.1, 21.1], hi: [8.1, 25.1] });
  assert.equal(chart(runs, "memory").series[0]!.band, undefined, "memory has no trials figure");
  assert.match(table(runs, "levels")!.rows[0]![4]!.text, /^145\.0 ± 2\.0$/);
});

test("every validity flag of a level is on its chart point and in the levels table", () => {
  const flagged = (s: ScenarioResult): ScenarioResult =>
    s.concurrency === 4
      ? {
          ...s,
          validity: { ...validity, p99_enough_samples: false, client_bound: true, noisy: true, stalled: true, unstable: true },
          ended_early: "every request failing",
        }
      : { ...s, validity };
  const runs = [run("r", result("onnx-python", flagged))];
  const expected = ["stalled", "unstable", "client-bound", "noisy", "too few samples", "ended early"];
  for (const id of ["throughput", "latency-p99", "efficiency", "memory"]) assert.deepEqual(chart(runs, id).series[0]!.flags, [[], expected], id);
  const rows = table(runs, "levels")!.rows;
  assert.deepEqual(rows[0]!.at(-1), { text: "ok", tone: "ok" });
  assert.deepEqual(rows[1]!.at(-1), { text: expected.join(", "), tone: "warn" });
  assert.deepEqual(levelFlags({ ...sampleResult().scenarios[levelKey(closedLevel(1))]!, validity: undefined }), [], "a schema 3 level has no flags to show");
});

test("efficiency is embeddings per second per core the server used", () => {
  const s = sampleResult().scenarios[levelKey(closedLevel(1))]!;
  assert.equal(embeddingsPerCore(s), 145 / (183.2 / 100));
  assert.equal(embeddingsPerCore({ ...s, server_cpu_percent: 0 }), null, "no CPU figure, no ratio");
  assert.equal(embeddingsPerCore({ ...s, server_cpu_percent: null }), null, "not measured (--url without --server-pid), no ratio");
  assert.deepEqual(chart([run("r", result("onnx-python"))], "efficiency").series[0]!.values, [145 / (183.2 / 100), 163.8 / (179.3 / 100)]);
});

test("start-up bars: cold start, model load and first inference per framework; a framework without any is left out", () => {
  const none = { cold_start_ms: null, model_load_time_ms: null, first_inference_ms: null };
  const c = chart(
    [
      run(
        "r",
        result("onnx-python"),
        result("never-started", (s) => s, none),
      ),
    ],
    "startup",
  );
  assert.equal(c.kind, "bar");
  assert.deepEqual(c.labels, ["cold start", "model load", "first inference"]);
  assert.deepEqual(
    c.series.map((s) => [s.label, s.values]),
    [["onnx-python", [1357.6, 812.4, 50.97]]],
  );
});

test("a time-series chart per level with stored windows, one series per framework and run, stable windows named", () => {
  const win = (index: number, qps: number) => ({ index, ok_requests: qps * 2, throughput_qps: qps, p50_ms: 6, p90_ms: 7, p95_ms: 8, p99_ms: 9, p999_ms: 10 });
  const windowed = (s: ScenarioResult): ScenarioResult =>
    s.concurrency === 1
      ? {
          ...s,
          windows: [win(0, 140), win(1, 146), win(2, 145)],
          stability: { window_s: 2, windows: 2, tolerance: 0.05, stable: true, stable_windows: [1, 2] },
        }
      : s;
  const runs = [run("a", result("onnx-python", windowed)), run("b", result("onnx-python", windowed), result("onnx-rust"))];
  const report = buildReport(runs, AT);
  assert.deepEqual(
    report.charts.filter((c) => c.id.startsWith("windows-")).map((c) => c.id),
    ["windows-c1-b1"],
    "level 4 has no windows",
  );
  const c = chart(runs, "windows-c1-b1");
  assert.deepEqual(c.labels, ["1", "2", "3"]);
  assert.equal(c.xTitle, "window (2 s each)");
  assert.deepEqual(
    c.series.map((s) => s.label),
    ["onnx-python · a", "onnx-python · b"],
  );
  assert.deepEqual(c.series[0]!.values, [140, 146, 145]);
  assert.deepEqual(c.series[0]!.notes[0], ["p95 8.00 ms", "280 requests"]);
  assert.match(c.series[0]!.notes[1]!.at(-1)!, /^stable/);
});

test("the verification table: pass, fail with its reason, and a server that never reached verification", () => {
  const failed = result("bad-server", (s) => s, {
    verification: { ...sampleResult().verification!, passed: false, min_cosine: 0.91, reason: "probe 3: cosine 0.91 < 0.9999" },
    status: "failed",
    failure: "verification failed",
  });
  const dead = result("dead-server", (s) => s, { verification: null, status: "failed", failure: "exited with code 1 before /health" });
  const runs = [run("r", result("onnx-python"), failed, dead)];
  const rows = table(runs, "verification")!.rows.map((r) => [r[0]!.text, r[1]!.text, r[2]!.text, r.at(-1)!.text]);
  assert.deepEqual(rows, [
    ["onnx-python", "pass", "0.999990", ""],
    ["bad-server", "fail", "0.910000", "probe 3: cosine 0.91 < 0.9999"],
    ["dead-server", "not reached", "-", "exited with code 1 before /health"],
  ]);
  assert.deepEqual(
    table(runs, "failures")!.rows.map((r) => r.map((c) => c.text)),
    [
      ["bad-server", "failed", "verification failed"],
      ["dead-server", "failed", "exited with code 1 before /health"],
    ],
  );
  assert.equal(table([run("r", result("onnx-python"))], "failures"), undefined, "no failures, no table");
});

test("a run whose frameworks all failed before any level has no charts, only its tables", () => {
  const dead = result("dead-server", (s) => s, {
    verification: null,
    cold_start_ms: null,
    model_load_time_ms: null,
    first_inference_ms: null,
    status: "failed",
    failure: "no /health",
  });
  const report = buildReport([run("r", { ...dead, scenarios: {} })], AT);
  assert.deepEqual(report.charts, []);
  assert.deepEqual(
    report.tables.map((t) => t.id),
    ["runs", "verification", "failures", "levels", "environment"],
  );
});

test("the environment stamp: a column per run, and frameworks of one run measured on different commits are noted", () => {
  const env = (commit: string) => ({ environment: { ...sampleResult().environment, git_commit: commit, git_dirty: false } });
  const runs = [
    run(
      "a",
      result("onnx-python", (s) => s, env("abc")),
      result("onnx-rust", (s) => s, env("def")),
    ),
    run(
      "b",
      result("onnx-python", (s) => s, env("abc")),
    ),
  ];
  const t = table(runs, "environment")!;
  assert.deepEqual(t.header, ["", "a", "b"]);
  assert.deepEqual(
    t.rows.find((r) => r[0]!.text === "commit")!.map((c) => c.text),
    ["commit", "abc", "abc"],
  );
  assert.equal(t.notes.length, 1);
  assert.match(t.notes[0]!, /^a: these results come from different commits/);
});

test("the report's title names the runs; synthetic weights and unreadable files are carried to the page", () => {
  const report = buildReport(
    [{ id: "a", results: [result("onnx-python", (s) => s, { synthetic_weights: true })], problems: ["x.json: not JSON"] }, run("b", result("onnx-python"))],
    AT,
  );
  assert.equal(report.title, "embedding-bench report: a vs b");
  assert.equal(report.generatedAt, "2026-11-30T15:00:00.000Z");
  assert.equal(report.synthetic, true);
  assert.deepEqual(report.problems, ["x.json: not JSON"]);
});

test("open-loop levels stay off the concurrency charts, are rows of the levels table, and --slo adds a capacity table", () => {
  const r = result("onnx-python");
  const c1 = r.scenarios[levelKey(closedLevel(1))]!;
  r.scenarios[levelKey(openLevel(40))] = {
    ...c1,
    scenario_name: levelKey(openLevel(40)),
    mode: "open",
    concurrency: 17,
    target_rps: 40,
    achieved_rps: 31.5,
    dropped_iterations: 85,
    vus_max: 17,
    validity: { ...validity, saturated: true },
  };
  const runs = [run("r1", r)];
  assert.equal(table(runs, "capacity"), undefined, "no --slo, no capacity table");
  assert.deepEqual(chart(runs, "throughput").labels, ["1", "4"], "the x axis is VUs");
  const row = table(runs, "levels")!.rows.find((cells) => cells[3]!.text.startsWith("40 req/s"))!;
  assert.equal(row[3]!.text, "40 req/s open loop (achieved 31.5, dropped 85)");
  assert.match(row.at(-1)!.text, /saturated/);
  r.capacity_at_slo = [
    {
      slo: "p99<50ms",
      batch_size: 1,
      seq_len: null,
      capacity_rps: 30,
      lowest_failing_rps: 40,
      start_rps: 40,
      start_from: "closed_loop_qps",
      max_steps: 3,
      tried: [
        { rate_rps: 40, passed: false, reason: "saturated (achieved 31.5 req/s)" },
        { rate_rps: 30, passed: true, reason: "p99 20.0 ms < 50 ms" },
      ],
    },
  ];
  const capacity = table(runs, "capacity")!;
  assert.deepEqual(
    capacity.rows[0]!.map((c) => c.text),
    ["onnx-python", "batch 1", "p99<50ms", "30 req/s", "40 req/s", "40 fail (saturated (achieved 31.5 req/s)); 30 pass (p99 20.0 ms < 50 ms)"],
  );
});

/** A sweep result: every (text length, batch size, VUs) of `points` at `eps` embeddings/s, 100 % server CPU. */
function sweepResult(framework: string, eps: (seq: number, batch: number, vus: number) => number): FrameworkResult {
  const r = sampleResult();
  const base = Object.values(r.scenarios)[0]!;
  const scenarios: Record<string, ScenarioResult> = {};
  for (const seq of [32, 128])
    for (const batch of [1, 8])
      for (const vus of [1, 4]) {
        const key = pointKey(closedPoint(vus, batch, seq));
        const e = eps(seq, batch, vus);
        scenarios[key] = {
          ...base,
          scenario_name: key,
          concurrency: vus,
          batch_size: batch,
          seq_len: seq,
          throughput_qps: e / batch,
          embeddings_per_sec: e,
          server_cpu_percent: 100,
          latency_ms: { ...base.latency_ms, p95: vus * batch },
        };
      }
  return { ...r, framework, scenarios };
}

test("a sweep: the verdict first, a heatmap of emb/s per core per text length, a Pareto chart per text length, a line per batch size", () => {
  const runs = [
    run(
      "s",
      sweepResult("openvino", (seq, batch, vus) => (batch * 100 * vus) / seq),
      sweepResult("onnx-python", (seq, batch, vus) => (batch * 60 * vus) / seq),
    ),
  ];
  const report = buildReport(runs, AT);
  assert.equal(report.tables[0]!.id, "verdict", "the verdict is the first section");
  const verdict = report.tables[0]!;
  assert.equal(verdict.rows.length, 8, "2 text lengths × 2 batch sizes × 2 levels");
  assert.deepEqual(
    verdict.rows[0]!.map((c) => c.text),
    ["batch 1 · 32 tokens · 1 VUs", "openvino", "3.1 (1 trial)", "not tested against onnx-python (one trial: --trials 2 or more for Welch's t-test)"],
  );
  const heat = report.tables.filter((t) => t.kind === "heatmap");
  assert.deepEqual(
    heat.map((t) => t.id),
    ["heatmap-all-MiniLM-L6-v2-32", "heatmap-all-MiniLM-L6-v2-128"],
  );
  assert.deepEqual(heat[0]!.header, ["framework", "batch 1", "batch 8"]);
  // 32 tokens: openvino batch 8 at 4 VUs = 8 × 100 × 4 / 32 = 100 emb/s on one core, the table's highest.
  assert.deepEqual(
    heat[0]!.rows.map((r) => r.map((c) => c.text)),
    [
      ["openvino", "12.5 @4", "100.0 @4"],
      ["onnx-python", "7.5 @4", "60.0 @4"],
    ],
  );
  assert.equal(heat[0]!.rows[0]![2]!.shade, 1);
  assert.equal(heat[0]!.rows[1]![1]!.shade, 0);
  const pareto = report.charts.filter((c) => c.kind === "scatter");
  assert.deepEqual(
    pareto.map((c) => c.id),
    ["pareto-all-MiniLM-L6-v2-32", "pareto-all-MiniLM-L6-v2-128"],
  );
  const p32 = pareto[0]!;
  assert.deepEqual(
    p32.series.map((s) => [s.label, s.points!.length]),
    [
      ["openvino", 4],
      ["onnx-python", 4],
      ["Pareto frontier", 4],
    ],
    "onnx-python is beaten at every p95: the frontier is openvino's four points",
  );
  assert.equal(p32.series.at(-1)!.line, true);
  assert.match(p32.series[0]!.points![0]!.label, /^openvino: batch 1 · 32 tokens · 1 VUs$/);
  const throughput = chart(runs, "throughput");
  assert.deepEqual(
    throughput.series.map((s) => s.label),
    [
      "openvino · batch 1 · 32 tokens",
      "openvino · batch 8 · 32 tokens",
      "openvino · batch 1 · 128 tokens",
      "openvino · batch 8 · 128 tokens",
      "onnx-python · batch 1 · 32 tokens",
      "onnx-python · batch 8 · 32 tokens",
      "onnx-python · batch 1 · 128 tokens",
      "onnx-python · batch 8 · 128 tokens",
    ],
  );
  assert.deepEqual(throughput.labels, ["1", "4"]);
  assert.deepEqual(throughput.series[1]!.values, [(8 * 100) / 32 / 8, (8 * 100 * 4) / 32 / 8]);
  const levels = table(runs, "levels")!;
  assert.deepEqual(levels.header.slice(0, 4), ["framework", "batch", "tokens", "level (VUs or rate)"]);
});

test("the Pareto frontier: the points no other beats on both throughput and p95", () => {
  const pts = [
    { x: 10, y: 100 },
    { x: 12, y: 90 },
    { x: 20, y: 300 },
    { x: 15, y: 200 },
    { x: 30, y: 250 },
    { x: 15, y: 150 },
  ];
  assert.deepEqual(paretoFrontier(pts), [
    { x: 10, y: 100 },
    { x: 15, y: 200 },
    { x: 20, y: 300 },
  ]);
});

test("where the time goes: per framework and level, the queue, model and rest medians stack to the time outside the model plus the model", () => {
  const timed = (s: ScenarioResult): ScenarioResult => ({
    ...s,
    server_inference_ms: { mean: 8, median: 8, p95: 9, p99: 10 },
    server_queue_ms: { mean: 1.5, median: 1.5, p95: 2, p99: 3 },
    outside_model_p50_ms: 2,
    outside_model_p95_ms: 4,
  });
  const runs = [run("r1", result("onnx-python", timed), result("onnx-rust"))];
  const c = chart(runs, "time-split");
  assert.equal(c.stacked, true);
  const levels = Object.values(sampleResult().scenarios).filter((s) => s.mode === "closed");
  assert.deepEqual(
    c.labels,
    levels
      .map((s) => s.concurrency)
      .sort((a, b) => a - b)
      .map((c) => `onnx-python · ${c} VUs`),
    "onnx-rust sent no headers: no bar",
  );
  assert.deepEqual(
    c.series.map((s) => [s.label, s.values[0]]),
    [
      ["queue", 1.5],
      ["model", 8],
      ["rest outside the model", 0.5],
    ],
  );
  assert.equal(chart([run("r1", result("onnx-rust"))], "time-split"), undefined, "no server sent the headers: no chart");
});
