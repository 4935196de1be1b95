// A client's CPU over the part of its life that carried load: the resource monitor's samples of its
// process tree (each the CPU over the interval that ends at its time), kept where the interval lies
// whole inside [fromMs, toMs]. A Node engine spends its first second starting (loading and
// compiling its code); wrk starts in a millisecond: counting only the load keeps the two comparable.
import type { ResourceSample } from "../../orchestrator/platform/procfs.ts";

/** Mean CPU (100 = one core) over the samples whose whole interval lies in [fromMs, toMs]; null when none does. */
export function cpuWithin(samples: readonly ResourceSample[], fromMs: number, toMs: number): number | null {
  let weighted = 0;
  let span = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!.t_ms;
    const b = samples[i]!.t_ms;
    if (a < fromMs || b > toMs || b <= a) continue;
    weighted += samples[i]!.cpu_percent * (b - a);
    span += b - a;
  }
  return span > 0 ? weighted / span : null;
}

/** CPU time per request, µs: the client's CPU share over its rate. */
export function cpuUsPerRequest(cpuPercent: number | null, rps: number): number | null {
  return cpuPercent === null || rps <= 0 ? null : ((cpuPercent / 100) * 1e6) / rps;
}
