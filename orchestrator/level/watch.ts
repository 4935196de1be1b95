// Watches a k6 level while it runs, from k6's REST API counters sampled twice a second:
// - a stall: VUs active and no request completed for longer than a threshold (the larger of
//   `stallMinS` and `stallMedianFactor` × the median latency so far; none before the first
//   completion, when no latency is known), recorded with its start and
//   length, so that a server that stopped answering is never recorded as a clean level;
// - every request failing (completions, but no successful one) for `failAbortS`: the level is
//   ended early instead of flooding the log with the same error for its whole duration.
// The state machine is pure (unit-tested on recorded series); k6run.ts feeds it.

export interface LiveSample {
  /** Milliseconds since the level started. */
  t_ms: number;
  /** Completed requests so far (k6's http_reqs). */
  requests: number;
  /** Successful requests so far (the scenario's ok_requests). */
  ok: number;
  vus: number;
  /** Median request duration so far, milliseconds (0 before the first request). */
  median_ms: number;
}

export interface Stall {
  /** Seconds from the level's start to the last completion before the stall. */
  start_s: number;
  /** Seconds without a completed request. */
  duration_s: number;
}

export interface WatchLimits {
  stallMinS: number;
  stallMedianFactor: number;
  failAbortS: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = { stallMinS: 2, stallMedianFactor: 10, failAbortS: 3 };

const round = (n: number) => Number(n.toFixed(1));

export class LevelWatch {
  private readonly closed: Stall[] = [];
  private lastProgress: LiveSample | undefined;
  private lastOk: LiveSample | undefined;
  private last: LiveSample | undefined;
  private stalledSince: number | undefined;

  constructor(private readonly limits: WatchLimits = DEFAULT_WATCH_LIMITS) {}

  private thresholdMs(median: number): number {
    return Math.max(this.limits.stallMinS * 1000, this.limits.stallMedianFactor * median);
  }

  /** Takes one sample; returns a reason when the level should end now. */
  add(s: LiveSample): string | null {
    const prev = this.last;
    this.last = s;
    if (!this.lastProgress) this.lastProgress = s;
    if (!this.lastOk) this.lastOk = s;
    if (s.requests > this.lastProgress.requests) {
      if (this.stalledSince !== undefined)
        this.closed.push({ start_s: round(this.stalledSince / 1000), duration_s: round((s.t_ms - this.stalledSince) / 1000) });
      this.stalledSince = undefined;
      this.lastProgress = s;
    } else if (s.vus > 0 && s.requests > 0 && this.stalledSince === undefined && s.t_ms - this.lastProgress.t_ms > this.thresholdMs(prev?.median_ms ?? 0)) {
      // Only after the first completion: before it, a slow first request has no median to compare with.
      this.stalledSince = this.lastProgress.t_ms;
    }
    if (s.ok > this.lastOk.ok) this.lastOk = s;
    const failingMs = s.t_ms - this.lastOk.t_ms;
    if (s.requests > this.lastOk.requests && failingMs >= this.limits.failAbortS * 1000 && this.stalledSince === undefined) {
      return `every request failed for ${round(failingMs / 1000)} s (${s.requests - this.lastOk.requests} in a row)`;
    }
    return null;
  }

  /** Every stall seen, the one still open at the last sample included. */
  stalls(): Stall[] {
    const open =
      this.stalledSince !== undefined && this.last
        ? [{ start_s: round(this.stalledSince / 1000), duration_s: round((this.last.t_ms - this.stalledSince) / 1000) }]
        : [];
    return [...this.closed, ...open];
  }
}
