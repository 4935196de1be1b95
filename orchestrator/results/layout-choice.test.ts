import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { candidateLayouts, chooseLayout, describeTried, layoutName, probeConcurrency, triedOf } from "./layout-choice.ts";
import type { LayoutTried } from "./schema.ts";
import { levelKey, closedLevel } from "../plan/level-key.ts";

const names = (cpus: number) => candidateLayouts(cpus).map(layoutName);

test("candidates are 1xN, one between and Nx1, without duplicates and never more threads than CPUs", () => {
  assert.deepEqual(names(1), ["1x1"], "one CPU: one candidate");
  assert.deepEqual(names(2), ["1x2", "2x1"], "the middle one is 2x1 again");
  assert.deepEqual(names(3), ["1x3", "2x1", "3x1"]);
  assert.deepEqual(names(4), ["1x4", "2x2", "4x1"]);
  assert.deepEqual(names(8), ["1x8", "3x2", "8x1"]);
  assert.deepEqual(names(16), ["1x16", "4x4", "16x1"]);
  for (let n = 1; n <= 64; n++) {
    for (const l of candidateLayouts(n)) assert.ok(l.threads * l.workers <= n && l.threads >= 1 && l.workers >= 1, `${n} CPUs: ${layoutName(l)}`);
  }
  assert.throws(() => candidateLayouts(0), /positive number of CPUs, got 0/);
});

test("the probe runs at the sweep's highest level, capped", () => {
  assert.equal(probeConcurrency([1, 4], 16), 4);
  assert.equal(probeConcurrency([32, 1, 8], 16), 16);
  assert.equal(probeConcurrency([1], 16), 1);
});

const tried = (threads: number, workers: number, qps: number | null, p95: number | null, status: LayoutTried["status"] = "completed"): LayoutTried => ({
  threads,
  workers,
  status,
  failure: status === "completed" ? null : "verification failed",
  throughput_qps: qps,
  p50_ms: p95 === null ? null : p95 / 2,
  p95_ms: p95,
  errors: qps === null ? null : 0,
  server_cpu_percent: qps === null ? null : 190,
  flags: [],
});

test("the highest throughput wins", () => {
  assert.deepEqual(chooseLayout([tried(1, 2, 150, 20), tried(2, 1, 210, 30)], 0.02), { threads: 2, workers: 1 });
  assert.deepEqual(chooseLayout([tried(1, 2, 210, 30), tried(2, 1, 150, 20)], 0.02), { threads: 1, workers: 2 });
});

test("within the tie tolerance the lower p95 wins; at its boundary it is still a tie, beyond it not", () => {
  assert.deepEqual(chooseLayout([tried(1, 4, 100, 30), tried(2, 2, 99, 25), tried(4, 1, 90, 10)], 0.02), { threads: 2, workers: 2 });
  assert.deepEqual(chooseLayout([tried(1, 4, 100, 30), tried(2, 2, 98, 25)], 0.02), { threads: 2, workers: 2 }, "exactly 2 % below is a tie");
  assert.deepEqual(chooseLayout([tried(1, 4, 100, 30), tried(2, 2, 97.9, 25)], 0.02), { threads: 1, workers: 4 });
  assert.deepEqual(chooseLayout([tried(1, 4, 100, 30), tried(2, 2, 100, 25)], 0), { threads: 2, workers: 2 }, "tolerance 0: only equal throughputs tie");
  assert.deepEqual(chooseLayout([tried(1, 4, 100, 25), tried(2, 2, 100, 25)], 0.02), { threads: 1, workers: 4 }, "a full tie keeps the first probed");
});

test("probes that did not complete are never chosen; none completed gives null", () => {
  assert.deepEqual(chooseLayout([tried(1, 2, null, null, "failed"), tried(2, 1, 50, 40)], 0.02), { threads: 2, workers: 1 });
  assert.equal(chooseLayout([tried(1, 2, null, null, "failed"), tried(2, 1, null, null, "interrupted")], 0.02), null);
  assert.equal(chooseLayout([], 0.02), null);
});

test("a probe's figures come from its one level; a probe that did not complete has none", () => {
  const probe = sampleResult();
  const level = probe.scenarios[levelKey(closedLevel(4))]!;
  level.validity = {
    p99_enough_samples: true,
    p999_enough_samples: false,
    client_bound: false,
    noisy: true,
    other_cpu_percent: 30,
    stalled: false,
    unstable: false,
    saturated: false,
  };
  probe.scenarios = { [levelKey(closedLevel(4))]: level };
  assert.deepEqual(triedOf({ threads: 2, workers: 1 }, probe), {
    threads: 2,
    workers: 1,
    status: "completed",
    failure: null,
    throughput_qps: level.throughput_qps,
    p50_ms: level.latency_ms.median,
    p95_ms: level.latency_ms.p95,
    errors: 0,
    server_cpu_percent: level.server_cpu_percent,
    flags: ["noisy"],
  });
  const failed = { ...probe, status: "failed" as const, failure: "server exited" };
  assert.deepEqual(triedOf({ threads: 1, workers: 2 }, failed), { ...tried(1, 2, null, null, "failed"), failure: "server exited" });
});

test("a probe reads as its layout, its figures and its flags, or its status", () => {
  assert.equal(describeTried({ ...tried(2, 1, 45.75, 75.031), flags: ["client-bound", "noisy"] }), "2x1 45.8 QPS, p95 75.03 ms [client-bound,noisy]");
  assert.equal(describeTried(tried(1, 2, null, null, "failed")), "1x2 failed");
});
