import { BOUNDS } from "../plan/config-schema.ts";
import { log } from "../platform/log.ts";
import { levelKey, openLevel } from "../plan/level-key.ts";
import { searchCapacity, sloVerdict, type Slo } from "../plan/slo.ts";
import type { FrameworkRun } from "./context.ts";
import { levelPhase } from "./levels.ts";
import type { Target } from "./target.ts";
import { sleep } from "../platform/sleep.ts";

/**
 * --slo: a bounded search of open-loop levels for the highest rate meeting the objective. It starts
 * from the sweep's best closed-loop QPS when the sweep measured one (near the server's capacity),
 * else from the profile's slo_start_rps. A rate the sweep already ran is read, not run again.
 */
export async function sloPhase(fw: FrameworkRun, s: Target, slo: Slo): Promise<void> {
  const { profile, signal } = fw.run;
  const { name } = fw;
  const closed = Object.values(fw.result.scenarios).filter((l) => l.mode === "closed");
  const best = Math.max(0, ...closed.map((l) => l.throughput_qps));
  const start = Math.min(BOUNDS.rateRps, best >= 1 ? Math.round(best) : profile.slo_start_rps);
  log.step(`${name}: capacity at ${slo.text}: up to ${profile.slo_max_steps} open-loop levels of ${profile.duration_s}s from ${start} req/s`);
  const outcome = await searchCapacity(
    start,
    profile.slo_max_steps,
    async (rate) => {
      signal.throwIfAborted();
      if (!fw.result.scenarios[levelKey(openLevel(rate))]) {
        if (profile.pause_between_levels_s > 0) await sleep(profile.pause_between_levels_s * 1000, signal);
        await levelPhase(fw, s, { mode: "open", value: rate });
      }
      const l = fw.result.scenarios[levelKey(openLevel(rate))]!;
      const verdict = sloVerdict(slo, {
        p50: l.latency_ms.median,
        p95: l.latency_ms.p95,
        p99: l.latency_ms.p99,
        errorRate: l.error_rate,
        saturated: l.validity?.saturated ?? false,
        achievedRps: l.achieved_rps ?? 0,
      });
      log.step(`${name}: ${rate} req/s ${verdict.passed ? "meets" : "misses"} ${slo.text}: ${verdict.reason}`);
      return verdict;
    },
    BOUNDS.rateRps,
  );
  fw.result.capacity_at_slo = {
    slo: slo.text,
    ...outcome,
    start_rps: Math.max(1, start),
    start_from: best >= 1 ? "closed_loop_qps" : "slo_start_rps",
    max_steps: profile.slo_max_steps,
  };
  fw.save();
  log.step(`${name}: capacity at ${slo.text}: ${outcome.capacity_rps === null ? "no rate tried met it" : `${outcome.capacity_rps} req/s`}`);
}
