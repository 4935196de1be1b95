// Repeated trials: each trial is a whole FrameworkResult (kept under trials/), combined into one
// result whose levels hold the trials' means and, in `trials`, every value with its 95 % confidence
// interval. A level enters the combination only if every trial measured it.
import type { FrameworkResult, ScenarioResult } from "./schema.ts";
import { estimate, type Estimate } from "./stats.ts";
import { withBatchingSpeedups } from "./point-figures.ts";

const pick = (e: Estimate) => ({ mean: e.mean, ci95: e.ci95, values: e.values });
const r3 = (n: number) => Number(n.toFixed(3));

function combineLevel(levels: ScenarioResult[]): ScenarioResult {
  const first = levels[0]!;
  const est = (f: (s: ScenarioResult) => number) => estimate(levels.map(f));
  const qps = est((s) => s.throughput_qps);
  const [p50, p95, p99] = [est((s) => s.latency_ms.median), est((s) => s.latency_ms.p95), est((s) => s.latency_ms.p99)];
  const mean = (f: (s: ScenarioResult) => number) => r3(est(f).mean);
  const sum = (f: (s: ScenarioResult) => number) => levels.reduce((a, s) => a + f(s), 0);
  // A figure one trial did not measure is not measured for the combination either.
  const measured = (f: (s: ScenarioResult) => number | null, combine: (g: (s: ScenarioResult) => number) => number) =>
    levels.every((s) => f(s) !== null) ? combine((s) => f(s)!) : null;
  const anyFlag = (k: "client_bound" | "noisy" | "stalled" | "unstable" | "saturated") => levels.some((s) => s.validity?.[k] === true);
  const allFlag = (k: "p99_enough_samples" | "p999_enough_samples") => levels.every((s) => s.validity?.[k] === true);
  return {
    ...first,
    num_requests: sum((s) => s.num_requests),
    latency_ms: {
      mean: mean((s) => s.latency_ms.mean),
      median: r3(p50.mean),
      p90: mean((s) => s.latency_ms.p90),
      p95: r3(p95.mean),
      p99: r3(p99.mean),
      p999: mean((s) => s.latency_ms.p999),
      min: Math.min(...levels.map((s) => s.latency_ms.min)),
      max: Math.max(...levels.map((s) => s.latency_ms.max)),
      stddev: mean((s) => s.latency_ms.stddev),
    },
    throughput_qps: r3(qps.mean),
    embeddings_per_sec: mean((s) => s.embeddings_per_sec),
    input_tokens_per_sec: measured((s) => s.input_tokens_per_sec, mean),
    total_duration_sec: r3(sum((s) => s.total_duration_sec)),
    server_cpu_percent: measured((s) => s.server_cpu_percent, mean),
    server_memory_mb: measured((s) => s.server_memory_mb, mean),
    server_memory_peak_mb: measured(
      (s) => s.server_memory_peak_mb,
      (f) => Math.max(...levels.map(f)),
    ),
    server_idle_memory_mb: measured((s) => s.server_idle_memory_mb, mean),
    memory_per_1k_embeddings_mb: measured((s) => s.memory_per_1k_embeddings_mb, mean),
    client_cpu_percent: mean((s) => s.client_cpu_percent),
    client_memory_mb: mean((s) => s.client_memory_mb),
    errors: sum((s) => s.errors),
    error_rate: r3(
      sum((s) => s.errors) /
        Math.max(
          1,
          sum((s) => s.num_requests),
        ),
    ),
    thresholds_ok: levels.every((s) => s.thresholds_ok),
    stalls: levels.flatMap((s) => s.stalls),
    ended_early: levels.map((s) => s.ended_early).find((e) => e !== null) ?? null,
    ...(first.mode === "open"
      ? {
          achieved_rps: mean((s) => s.achieved_rps ?? 0),
          dropped_iterations: sum((s) => s.dropped_iterations ?? 0),
          vus_max: Math.max(...levels.map((s) => s.vus_max ?? 0)),
          ...(first.arrivals === "poisson"
            ? {
                late_starts: sum((s) => s.late_starts ?? 0),
                ...(levels.every((s) => s.latency_from_intended_ms)
                  ? {
                      latency_from_intended_ms: {
                        median: mean((s) => s.latency_from_intended_ms!.median),
                        p95: mean((s) => s.latency_from_intended_ms!.p95),
                        p99: mean((s) => s.latency_from_intended_ms!.p99),
                        max: Math.max(...levels.map((s) => s.latency_from_intended_ms!.max)),
                      },
                    }
                  : {}),
              }
            : {}),
        }
      : {}),
    trials: { n: levels.length, throughput_qps: pick(qps), p50_ms: pick(p50), p95_ms: pick(p95), p99_ms: pick(p99) },
    ...(levels.every((s) => s.validity)
      ? {
          validity: {
            p99_enough_samples: allFlag("p99_enough_samples"),
            p999_enough_samples: allFlag("p999_enough_samples"),
            client_bound: anyFlag("client_bound"),
            noisy: anyFlag("noisy"),
            other_cpu_percent: Math.max(...levels.map((s) => s.validity!.other_cpu_percent)),
            stalled: anyFlag("stalled"),
            unstable: anyFlag("unstable"),
            saturated: anyFlag("saturated"),
          },
        }
      : {}),
  };
}

/** One result from a framework's trials (in trial order); a failed trial fails the combination. */
export function combineTrials(trials: readonly FrameworkResult[]): FrameworkResult {
  const last = trials.at(-1)!;
  if (trials.length === 1) return last;
  const failed = trials.find((t) => t.status !== "completed");
  const names = Object.keys(trials[0]!.scenarios).filter((name) => trials.every((t) => t.scenarios[name]));
  // The speed-up of the combination is the ratio of the combined means, not a mean of ratios.
  return withBatchingSpeedups({
    ...last,
    status: failed?.status ?? "completed",
    failure: failed ? `trial ${trials.indexOf(failed) + 1} of ${trials.length}: ${failed.failure}` : null,
    started_at: trials[0]!.started_at,
    scenarios: Object.fromEntries(names.map((name) => [name, combineLevel(trials.map((t) => t.scenarios[name]!))])),
  });
}
