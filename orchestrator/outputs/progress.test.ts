import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, Progress, type ProgressPlan, type ProgressSink } from "./progress.ts";

/** A clock the test moves by hand, and a sink that records what was written. */
function setup(plan: Partial<ProgressPlan> = {}, tty = false) {
  let now = 1_000_000;
  const lines: string[] = [];
  const statuses: string[] = [];
  const sink: ProgressSink = { tty, status: (t) => statuses.push(t), line: (t) => lines.push(t) };
  const full: ProgressPlan = { frameworks: ["onnx-python", "onnx-rust"], trials: 1, levels: ["1 VUs", "4 VUs"], durationS: 30, windowS: 0, pauseS: 0, ...plan };
  const progress = new Progress(full, sink, () => now);
  return { progress, lines, statuses, advance: (s: number) => (now += s * 1000) };
}

test("durations read as 45s, 3m05s, 1h02m", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(44_600), "45s");
  assert.equal(formatDuration(185_000), "3m05s");
  assert.equal(formatDuration(3_720_000), "1h02m");
});

test("the ETA is levels × duration × frameworks × trials, plus the start-up observed so far", () => {
  const { progress, advance } = setup({ trials: 2, pauseS: 5 });
  // 4 framework-trials × (2 levels × 30 s + one 5 s pause); no start-up known yet.
  assert.equal(progress.etaMs(), 4 * 65_000);
  assert.match(progress.render(), /^progress: preparing; elapsed 0s, ETA 4m20s \+ start-up$/);
  progress.frameworkStarted("onnx-python", 1);
  advance(10);
  progress.serverReady("onnx-python");
  // Start-up took 10 s: each of the 3 frameworks-trials left costs 75 s, this one its 65 s of levels.
  assert.equal(progress.etaMs(), 3 * 75_000 + 65_000);
  progress.levelStarted("onnx-python", 0);
  advance(12);
  assert.equal(progress.etaMs(), 3 * 75_000 + 18_000 + 5_000 + 30_000);
  assert.equal(progress.render(), "progress: onnx-python (trial 1/2): level 1/2, 1 VUs, 12s/30s; elapsed 22s, ETA 4m38s");
  progress.levelStarted("onnx-python", 1);
  advance(40);
  assert.equal(progress.etaMs(), 3 * 75_000, "a level past its duration counts as done, never negative");
});

test("a framework that fails is not counted again in later trials", () => {
  const { progress } = setup({ trials: 3 });
  progress.frameworkStarted("onnx-python", 1);
  progress.frameworkFinished("onnx-python", false);
  // onnx-rust's three trials are left; onnx-python's two later trials are not.
  assert.equal(progress.etaMs(), 3 * 60_000);
});

test("levels in windows show the window, bounded by the level's maximum", () => {
  const { progress, advance } = setup({ windowS: 10, durationS: 60, trials: 1 });
  progress.frameworkStarted("onnx-rust", 1);
  assert.match(progress.render(), /^progress: onnx-rust: starting, verifying, warming up;/);
  progress.serverReady("onnx-rust");
  progress.levelStarted("onnx-rust", 1);
  advance(25);
  assert.match(progress.render(), /^progress: onnx-rust: level 2\/2, 4 VUs, window 3\/6; /);
  advance(100);
  assert.match(progress.render(), /window 6\/6;/);
});

test("off a terminal every event is one plain line and nothing redraws; in a terminal the status line is redrawn and cleared", () => {
  const plain = setup();
  plain.progress.start();
  plain.progress.frameworkStarted("onnx-python", 1);
  plain.progress.serverReady("onnx-python");
  plain.progress.levelStarted("onnx-python", 0);
  plain.progress.stop();
  assert.deepEqual(
    plain.lines.map((l) => l.split(";")[0]),
    ["progress: onnx-python: starting, verifying, warming up", "progress: onnx-python: level 1/2, 1 VUs, 0s/30s"],
    "a line when the framework starts and one per level",
  );
  assert.deepEqual(plain.statuses, []);

  const tty = setup({}, true);
  tty.progress.frameworkStarted("onnx-python", 1);
  tty.progress.stop();
  assert.deepEqual(tty.lines, []);
  assert.match(tty.statuses[0]!, /^progress: onnx-python: starting/);
  assert.equal(tty.statuses.at(-1), "", "stop() removes the status line");
});

test("a sweep counts every model × framework × trial × point, and names the point and the model", async () => {
  const { progressPlan } = await import("./progress.ts");
  const profile = {
    concurrency_levels: [1, 4],
    duration_s: 5,
    batch_size: [1, 8, 32],
    seq_len: [32, 128],
    max_points: 100,
    warmup_requests: 10,
    pause_between_levels_s: 1,
    trials: 3,
    window_s: 2,
    stable_windows: 3,
    stability_tolerance: 0.1,
    mode: "closed",
    arrivals: "constant",
    arrival_seed: 1,
    expected_latency_ms: 100,
    vu_headroom: 4,
    max_vus: 200,
    saturation_tolerance: 0.05,
    slo_start_rps: 10,
    slo_max_steps: 6,
    scrape_interval_ms: 1000,
  } as const;
  const plan = progressPlan(["onnx-python", "openvino", "onnx-cpp"], { ...profile, batch_size: [1, 8, 32], seq_len: [32, 128], concurrency_levels: [1, 4] }, [
    "m1",
    "m2",
  ]);
  assert.equal(plan.levels.length, 12, "3 batch sizes × 2 text lengths × 2 levels per server");
  assert.equal(plan.levels[0], "batch 1 · 32 tokens · 1 VUs");
  assert.equal(plan.levels[11], "batch 32 · 128 tokens · 4 VUs");
  const { progress, advance } = setup(plan);
  // 2 models × 3 frameworks × 3 trials = 18 servers, each 12 points of 5 s and 11 pauses of 1 s.
  assert.equal(progress.etaMs(), 18 * (12 * 5_000 + 11 * 1_000));
  progress.frameworkStarted("openvino", 1, "m2");
  progress.serverReady("openvino");
  progress.levelStarted("openvino", 4);
  advance(1);
  assert.match(progress.render(), /^progress: openvino · m2 \(trial 1\/3\): point 5\/12, batch 32 · 32 tokens · 1 VUs, window 1\/3;/);
});
