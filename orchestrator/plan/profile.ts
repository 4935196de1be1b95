// The profile a run uses: config/benchmark.yaml's, with the command line's overrides (the profile's
// own keys, Profile.partial()), and the levels it runs.
import { Profile, type ProfileKey, type ProfileOverrides } from "./config-schema.ts";
import { closedLevel, openLevel, type LevelId, type SweepPoint } from "./level-key.ts";
import { formatZodIssues, UserError } from "../platform/errors.ts";
import { toFlag } from "./flags.ts";

/** Keys that mean something only for open-loop levels (a --mode open sweep, or --slo's search). */
const OPEN_ONLY: readonly ProfileKey[] = ["arrivals", "arrival_seed", "expected_latency_ms", "vu_headroom", "max_vus", "saturation_tolerance"];
/** Keys that mean something only for closed-loop levels: an open-loop level always runs its whole duration. */
const CLOSED_ONLY: readonly ProfileKey[] = ["window_s", "stable_windows", "stability_tolerance"];

/**
 * The profile with each override given in place of its value. An override that the resulting
 * sweep would silently ignore is refused, with the reason.
 */
export function applyOverrides(base: Profile, o: ProfileOverrides, with_: { slo?: string } = {}): Profile {
  const mode = o.mode ?? base.mode;
  const given = (Object.keys(o) as ProfileKey[]).filter((k) => o[k] !== undefined);
  if (mode === "open" && (o.rates_rps ?? base.rates_rps) === undefined)
    throw new UserError("--mode open needs --rates-rps (requests per second per level), or a profile with rates_rps");
  if (mode === "closed" && o.rates_rps !== undefined)
    throw new UserError("--rates-rps needs --mode open (or a profile with mode: open): closed-loop levels are --concurrency-levels");
  if (mode === "open" && o.concurrency_levels !== undefined)
    throw new UserError("--concurrency-levels sets closed-loop levels; this sweep is open loop (--mode open or the profile's mode): give --rates-rps");
  const openOnly = given.find((k) => OPEN_ONLY.includes(k));
  if (openOnly !== undefined && mode !== "open" && with_.slo === undefined)
    throw new UserError(`${toFlag(openOnly)} applies to open-loop levels: give --mode open --rates-rps (or --slo)`);
  const closedOnly = given.find((k) => CLOSED_ONLY.includes(k));
  if (closedOnly !== undefined && mode === "open")
    throw new UserError(`${toFlag(closedOnly)} applies to closed-loop levels; an open-loop level always runs its whole duration`);
  const merged = Profile.safeParse({ ...base, ...Object.fromEntries(given.map((k) => [k, o[k]])) });
  if (!merged.success) throw new UserError(formatZodIssues(undefined, merged.error, (p) => toFlag(String(p[0] ?? "profile"))));
  return merged.data;
}

/** The profile's levels in order: its concurrency levels (closed loop) or its rates (open loop). */
export function levelsOf(p: Profile): LevelId[] {
  return p.mode === "open" ? (p.rates_rps ?? []).map(openLevel) : p.concurrency_levels.map(closedLevel);
}

/**
 * Every operating point of one framework and model, in the order they run: each text length
 * (`seq_len`; one null when the texts are not cut to a token count), within it each batch size,
 * within it each level. A server started once runs them all.
 */
export function pointsOf(p: Profile): SweepPoint[] {
  const seqLens: (number | null)[] = p.seq_len ?? [null];
  return seqLens.flatMap((seqLen) => p.batch_size.flatMap((batchSize) => levelsOf(p).map((level) => ({ level, batchSize, seqLen }))));
}

/**
 * Measurement windows apply to closed loop only. An open-loop level has a fixed offered rate, so
 * ending it early once its windows agree would hide the slow build-up of a queue at a rate just
 * above capacity; it always runs its whole duration.
 */
export const windowSOf = (p: Profile) => (p.mode === "open" ? 0 : p.window_s);
