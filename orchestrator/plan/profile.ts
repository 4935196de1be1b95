// The profile a run uses: config/benchmark.yaml's, with the CLI's overrides, and the levels it runs.
import type { Profile } from "./config-schema.ts";
import { closedLevel, openLevel, type LevelId } from "./level-key.ts";
import { UserError } from "../platform/errors.ts";

/** The profile's levels, duration, batch, warmup, trials, window and load mode, each replaced by its CLI override when given. */
export function applyOverrides(
  base: Profile,
  o: {
    levels?: number[];
    duration_s?: number;
    batch_size?: number;
    warmup_requests?: number;
    trials?: number;
    window_s?: number;
    mode?: Profile["mode"];
    rates?: number[];
    arrivals?: Profile["arrivals"];
    slo?: string;
    slo_steps?: number;
  },
): Profile {
  const mode = o.mode ?? base.mode;
  const rates = o.rates ?? base.rates_rps;
  if (mode === "open" && rates === undefined) throw new UserError("--mode open needs --rates (requests per second per level), or a profile with rates_rps");
  if (mode === "closed" && o.rates !== undefined)
    throw new UserError("--rates needs --mode open (or a profile with mode: open): closed-loop levels are --levels");
  if (mode === "open" && o.levels !== undefined)
    throw new UserError("--levels sets closed-loop levels; this sweep is open loop (--mode open or the profile's mode): give --rates");
  if (o.arrivals !== undefined && mode !== "open" && o.slo === undefined)
    throw new UserError("--arrivals applies to open-loop levels: give --mode open --rates (or --slo)");
  if (mode === "open" && o.window_s !== undefined)
    throw new UserError("--window-s applies to closed-loop levels; an open-loop level always runs its whole duration");
  return {
    ...base,
    concurrency_levels: (o.levels ?? base.concurrency_levels) as [number, ...number[]],
    duration_s: o.duration_s ?? base.duration_s,
    batch_size: o.batch_size ?? base.batch_size,
    warmup_requests: o.warmup_requests ?? base.warmup_requests,
    trials: o.trials ?? base.trials,
    window_s: o.window_s ?? base.window_s,
    slo_max_steps: o.slo_steps ?? base.slo_max_steps,
    arrivals: o.arrivals ?? base.arrivals,
    mode,
    ...(rates ? { rates_rps: rates as [number, ...number[]] } : {}),
  };
}

/** The profile's levels in order: its concurrency levels (closed loop) or its rates (open loop). */
export function levelsOf(p: Profile): LevelId[] {
  return p.mode === "open" ? (p.rates_rps ?? []).map(openLevel) : p.concurrency_levels.map(closedLevel);
}

/**
 * Measurement windows apply to closed loop only. An open-loop level has a fixed offered rate, so
 * ending it early once its windows agree would hide the slow build-up of a queue at a rate just
 * above capacity; it always runs its whole duration.
 */
export const windowSOf = (p: Profile) => (p.mode === "open" ? 0 : p.window_s);
