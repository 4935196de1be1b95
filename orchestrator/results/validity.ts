// Whether a level's figures may be trusted, flag by flag. Each rule is stated with its reason, and
// every flag is recorded in the JSON, the CSV and the printed summary.

export const VALIDITY_RULES = {
  /** p99 from fewer than 1,000 successes rests on fewer than 10 requests beyond it. */
  p99MinRequests: 1000,
  /** p99.9 needs 10,000 for the same 10 requests beyond it. */
  p999MinRequests: 10000,
  /**
   * The CPUs the load engine may use were at least 90 % busy (with the engine itself or anything else): the load generator
   * had no headroom, so it, not the server, may have set the pace.
   */
  clientBoundShare: 0.9,
  /** Other processes used more than a fifth of one CPU during the level. */
  noisyOtherCpuPercent: 20,
} as const;

export interface ValidityInputs {
  okRequests: number;
  /** The load engine's CPU over the level; 100 = one core. */
  clientCpuPercent: number;
  /** How many CPUs the load engine may use (its CPU set, or every CPU when shared). */
  clientCpus: number;
  /** Every process's CPU on those CPUs over the level; 100 = one core. */
  clientCpusBusyPercent: number;
  /** null when not measured: a server on this machine then counts as another process. */
  serverCpuPercent: number | null;
  /** Every process's CPU over the level, from /proc/stat. */
  machineCpuPercent: number;
  stalled: boolean;
  unstable: boolean;
  /** Open loop: the achieved rate fell short of the target (scenario/openloop.ts isSaturated); false in closed loop. */
  saturated: boolean;
}

export interface Validity {
  p99_enough_samples: boolean;
  p999_enough_samples: boolean;
  client_bound: boolean;
  noisy: boolean;
  other_cpu_percent: number;
  stalled: boolean;
  unstable: boolean;
  saturated: boolean;
}

export function levelValidity(i: ValidityInputs): Validity {
  const other = Math.max(0, i.machineCpuPercent - (i.serverCpuPercent ?? 0) - i.clientCpuPercent);
  return {
    p99_enough_samples: i.okRequests >= VALIDITY_RULES.p99MinRequests,
    p999_enough_samples: i.okRequests >= VALIDITY_RULES.p999MinRequests,
    client_bound: i.clientCpusBusyPercent >= VALIDITY_RULES.clientBoundShare * 100 * Math.max(1, i.clientCpus),
    noisy: other > VALIDITY_RULES.noisyOtherCpuPercent,
    other_cpu_percent: Number(other.toFixed(1)),
    stalled: i.stalled,
    unstable: i.unstable,
    saturated: i.saturated,
  };
}

/** The flags of a level as short words for the summary ("client-bound", "noisy", …); none when clean. */
export function flagWords(v: Validity): string[] {
  return [
    v.saturated ? "saturated" : "",
    v.stalled ? "stalled" : "",
    v.unstable ? "unstable" : "",
    v.client_bound ? "client-bound" : "",
    v.noisy ? "noisy" : "",
  ].filter(Boolean);
}
