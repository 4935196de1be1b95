import { BOUNDS } from "../plan/config-schema.ts";
import { log } from "../platform/log.ts";
import { openLevel, pointKey, type SweepPoint } from "../plan/level-key.ts";
import { searchCapacity, sloVerdict, type Slo } from "../plan/slo.ts";
import type { FrameworkRun } from "./context.ts";
import { levelPhase } from "./levels.ts";
import type { Target } from "./target.ts";
import { sleep } from "../platform/sleep.ts";
import { describeTexts } from "../results/point-figures.ts";

/**
 * --slo at one batch size and text length: a bounded search of open-loop levels there for the
 * highest rate meeting the objective. It starts from the best closed-loop QPS the sweep measured at
 * that batch size and text length (near the server's capacity), else from the profile's
 * slo_start_rps. A rate already run at that batch size and text length is read, not run again.
 */
export async function sloPhase(fw: FrameworkRun, s: Target, slo: Slo, shape: Pick<SweepPoint, "batchSize" | "seqLen">): Promise<void> {
  const { profile, signal } = fw.run;
  const { name } = fw;
  const at = (rate: number): SweepPoint => ({ level: openLevel(rate), ...shape });
  const closed = Object.values(fw.result.scenarios).filter((l) => l.mode === "closed" && l.batch_size === shape.batchSize && l.seq_len === shape.seqLen);
  const best = Math.max(0, ...closed.map((l) => l.throughput_qps));
  const start = Math.min(BOUNDS.rateRps, best >= 1 ? Math.round(best) : profile.slo_start_rps);
  const where = `batch ${shape.batchSize}${shape.seqLen === null ? "" : `, ${describeTexts(shape.seqLen)}`}`;
  log.step(`${name}: capacity at ${slo.text} (${where}): up to ${profile.slo_max_steps} open-loop levels of ${profile.duration_s}s from ${start} req/s`);
  const outcome = await searchCapacity(
    start,
    profile.slo_max_steps,
    async (rate) => {
      signal.throwIfAborted();
      if (!fw.result.scenarios[pointKey(at(rate))]) {
        if (profile.pause_between_levels_s > 0) await sleep(profile.pause_between_levels_s * 1000, signal);
        await levelPhase(fw, s, at(rate));
      }
      const l = fw.result.scenarios[pointKey(at(rate))]!;
      const verdict = sloVerdict(slo, {
        p50: l.latency_ms.median,
        p95: l.latency_ms.p95,
        p99: l.latency_ms.p99,
        errorRate: l.error_rate,
        saturated: l.validity?.saturated ?? false,
        achievedRps: l.achieved_rps ?? 0,
      });
      log.step(`${name}: ${rate} req/s (${where}) ${verdict.passed ? "meets" : "misses"} ${slo.text}: ${verdict.reason}`);
      return verdict;
    },
    BOUNDS.rateRps,
  );
  fw.result.capacity_at_slo = [
    ...(fw.result.capacity_at_slo ?? []),
    {
      slo: slo.text,
      batch_size: shape.batchSize,
      seq_len: shape.seqLen,
      ...outcome,
      start_rps: Math.max(1, start),
      start_from: best >= 1 ? "closed_loop_qps" : "slo_start_rps",
      max_steps: profile.slo_max_steps,
    },
  ];
  fw.save();
  log.step(`${name}: capacity at ${slo.text} (${where}): ${outcome.capacity_rps === null ? "no rate tried met it" : `${outcome.capacity_rps} req/s`}`);
}
