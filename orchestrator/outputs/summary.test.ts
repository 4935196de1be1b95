import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { mixedProvenance, renderSummary } from "./summary.ts";
import { combineTrials } from "../results/combine-trials.ts";
import { levelKey, closedLevel, openLevel } from "../plan/level-key.ts";

test("the summary has a framework row and a row per level", () => {
  const out = renderSummary("all-MiniLM-L6-v2", [sampleResult()]);
  assert.match(out, /Benchmark Results Summary - all-MiniLM-L6-v2/);
  assert.match(out, /onnx-python\s+ok\s+50\.97\s+1358\s+6\.10 @1\s+8\.70 @1\s+163\.80 @4/);
  assert.match(out, /onnx-python\s+1\s+145\.00\s+6\.10/);
  assert.match(out, /onnx-python\s+4\s+163\.80\s+23\.10/);
  assert.doesNotMatch(out, /SYNTHETIC/);
});

test("synthetic weights and failures are called out", () => {
  const failed = { ...sampleResult(), framework: "candle", status: "failed" as const, failure: "server exited", scenarios: {}, synthetic_weights: true };
  const out = renderSummary("bge-m3", [failed]);
  assert.match(out, /SYNTHETIC WEIGHTS/);
  assert.match(out, /candle\s+failed/);
  assert.match(out, /Failures:\n {2}candle: server exited/);
});

test("mixedProvenance warns when results come from different commits, machines or CPU sets", () => {
  const a = sampleResult();
  const env = { ...a.environment, git_commit: "abc", git_dirty: false, cpu_sets: { mode: "split" as const, server: "0", client: "1" } };
  const same = [
    { ...a, framework: "x", environment: env },
    { ...a, framework: "y", environment: env },
  ];
  assert.deepEqual(mixedProvenance(same), []);
  const mixed = [
    { ...a, framework: "x", environment: env },
    { ...a, framework: "y", environment: { ...env, git_commit: "def", git_dirty: true, cpu_sets: { mode: "shared" as const, server: null, client: null } } },
  ];
  assert.deepEqual(mixedProvenance(mixed), [
    "these results come from different commits: x: abc; y: def (dirty)",
    "these results come from different CPU sets: x: split server=0 client=1; y: shared server=all client=all",
  ]);
});

test("a percentile resting on too few requests is shown as such, and each level's flags are printed with a legend", () => {
  const r = sampleResult();
  r.scenarios[levelKey(closedLevel(1))]!.validity = {
    p99_enough_samples: false,
    p999_enough_samples: false,
    client_bound: true,
    noisy: true,
    other_cpu_percent: 45,
    stalled: false,
    unstable: false,
    saturated: false,
  };
  r.scenarios[levelKey(closedLevel(4))]!.validity = {
    p99_enough_samples: true,
    p999_enough_samples: false,
    client_bound: false,
    noisy: false,
    other_cpu_percent: 1,
    stalled: false,
    unstable: false,
    saturated: false,
  };
  const text = renderSummary("m", [r]);
  const row = (c: number) => text.split("\n").find((l) => new RegExp(`^onnx-python\\s+${c}\\s`).test(l))!;
  assert.match(row(1), /few req\s+few req/);
  assert.doesNotMatch(row(1), /12\.6/, "the p99 number is not printed");
  assert.match(row(1), /client-bound,noisy$/);
  assert.match(row(4), /\s\d+\.\d+\s+few req\s/, "p99 shown, p99.9 not");
  assert.match(row(4), /\sok$/);
  assert.match(text, /"few req": fewer than 1000 \(p99\) or 10000 \(p99\.9\) successful requests/);
  assert.match(text, /client-bound = the load engine's CPUs were 90 % or more busy/);
});

test("with trials, QPS is mean ± 95 % CI and the leader's significance is stated per level", () => {
  const trial = (framework: string, qps: number) => {
    const r = sampleResult();
    r.framework = framework;
    r.scenarios = { [levelKey(closedLevel(1))]: { ...r.scenarios[levelKey(closedLevel(1))]!, throughput_qps: qps } };
    return r;
  };
  const fast = combineTrials([trial("fast", 100), trial("fast", 110), trial("fast", 120)]);
  const slow = combineTrials([trial("slow", 50), trial("slow", 52), trial("slow", 51)]);
  const text = renderSummary("m", [slow, fast]);
  assert.match(text, /^fast\s+1\s+110\.0 ± 24\.8\s/m);
  assert.match(text, /^Verdict per operating point/m);
  assert.match(
    text,
    /batch 1 · 1 VUs: fast leads \(110\.0 emb\/s, 3 trials\); significantly ahead of slow \(p=0\.\d{3}\)\n\n=+$/,
    "the summary ends with the verdict",
  );
});

test("resources not measured are shown n/m, with a legend", () => {
  const r = sampleResult();
  for (const s of Object.values(r.scenarios)) Object.assign(s, { server_cpu_percent: null, server_memory_mb: null, server_memory_peak_mb: null });
  const out = renderSummary("all-MiniLM-L6-v2", [r]);
  assert.match(out, /onnx-python\s+1\s+145\.00\s+.*\s+n\/m\s+n\/m\s+10\s/);
  assert.match(out, /n\/m: not measured \(a server given by --url without --server-pid\)/);
  assert.doesNotMatch(renderSummary("all-MiniLM-L6-v2", [sampleResult()]), /n\/m/);
});

test("with --layout auto, the summary names the layout chosen and every layout tried with its figures", () => {
  const probed = sampleResult();
  const tried = (threads: number, workers: number, qps: number | null, p95: number | null) => ({
    threads,
    workers,
    status: qps === null ? ("failed" as const) : ("completed" as const),
    failure: qps === null ? "verification failed" : null,
    throughput_qps: qps,
    p50_ms: p95,
    p95_ms: p95,
    errors: qps === null ? null : 0,
    server_cpu_percent: qps === null ? null : 190,
    flags: threads === 2 && qps !== null ? ["noisy"] : [],
  });
  const base = { server_cpus: 2, probe_concurrency: 4, probe_duration_s: 5, tie_tolerance: 0.02 };
  probed.layout_probe = { ...base, tried: [tried(1, 2, 150.26, 30.1), tried(2, 1, 210, 20.456)], chosen: { threads: 2, workers: 1 }, note: null };
  const failed = {
    ...sampleResult(),
    framework: "candle",
    layout_probe: { ...base, tried: [tried(1, 2, null, null), tried(2, 1, null, null)], chosen: null, note: null },
  };
  const single = {
    ...sampleResult(),
    framework: "onnx-rust",
    layout_probe: { ...base, server_cpus: 1, tried: [], chosen: { threads: 1, workers: 1 }, note: "one server CPU: 1x1 is the only candidate, not probed" },
  };
  const text = renderSummary("m", [probed, failed, single, sampleResult()]);
  assert.match(text, /^Layouts \(--layout auto: THREADSxWORKERS with the highest probe QPS; within 2 % of it, the lower p95\):$/m);
  assert.match(
    text,
    /^ {2}onnx-python: 2x1 chosen \(tried at 4 VUs for 5 s on 2 server CPUs: 1x2 150\.3 QPS, p95 30\.10 ms; 2x1 210\.0 QPS, p95 20\.46 ms \[noisy\]\)$/m,
  );
  assert.match(text, /^ {2}candle: no layout completed \(tried at 4 VUs for 5 s on 2 server CPUs: 1x2 failed; 2x1 failed\)$/m);
  assert.match(text, /^ {2}onnx-rust: 1x1 chosen \(one server CPU: 1x1 is the only candidate, not probed\)$/m);
  assert.equal(text.match(/^ {2}onnx-python: /gm)?.length, 1, "a result without a probe has no line");
  assert.doesNotMatch(renderSummary("m", [sampleResult()]), /Layouts/);
});

test("open-loop levels get their own table with target, achieved, drops and the saturated flag; --slo adds the capacity line", () => {
  const r = sampleResult();
  const c1 = r.scenarios[levelKey(closedLevel(1))]!;
  const validity = {
    p99_enough_samples: true,
    p999_enough_samples: false,
    client_bound: false,
    noisy: false,
    other_cpu_percent: 0,
    stalled: false,
    unstable: false,
    saturated: false,
  };
  r.scenarios[levelKey(openLevel(20))] = {
    ...c1,
    scenario_name: levelKey(openLevel(20)),
    mode: "open",
    concurrency: 9,
    target_rps: 20,
    achieved_rps: 20.01,
    dropped_iterations: 0,
    vus_max: 3,
    validity,
  };
  r.scenarios[levelKey(openLevel(400))] = {
    ...c1,
    scenario_name: levelKey(openLevel(400)),
    mode: "open",
    concurrency: 200,
    target_rps: 400,
    achieved_rps: 150.5,
    dropped_iterations: 1200,
    vus_max: 200,
    validity: { ...validity, saturated: true },
  };
  r.capacity_at_slo = [
    {
      slo: "p99<50ms",
      batch_size: 1,
      seq_len: null,
      capacity_rps: 20,
      lowest_failing_rps: 400,
      start_rps: 20,
      start_from: "slo_start_rps",
      max_steps: 2,
      tried: [
        { rate_rps: 20, passed: true, reason: "p99 12.6 ms < 50 ms" },
        { rate_rps: 400, passed: false, reason: "saturated (achieved 150.5 req/s)" },
      ],
    },
  ];
  const out = renderSummary("m", [r]);
  assert.match(out, /Open loop \(constant arrival rate\):\nFramework\s+Target\/s\s+Achieved\/s\s+Dropped\s+VUs/);
  assert.match(out, /onnx-python\s+20\s+20\.01\s+0\s+3\/9\s+6\.10.*\s+ok/);
  assert.match(out, /onnx-python\s+400\s+150\.50\s+1200\s+200\/200\s.*\ssaturated/);
  assert.match(out, /onnx-python\s+1\s+145\.00\s+6\.10/, "closed-loop levels stay in their table");
  assert.match(
    out,
    /Capacity at SLO.*\n {2}onnx-python: p99<50ms: 20 req\/s, 400 req\/s fails; from 20 req\/s \(slo_start_rps\): 20 pass \(p99 12\.6 ms < 50 ms\); 400 fail \(saturated/,
  );
  assert.match(out, /saturated = open loop/);
});
