// What the embedded engine measures, request by request: counts, errors by kind, HDR histograms
// (hdr-histogram-js, µs, 3 significant digits) of the successful durations (whole level, per
// window, since the last sample), of the servers' x-inference-time and x-queue-time headers, and of
// the latency from the scheduled start in open loop. Times are ms from the level's start, passed in,
// so the figures are unit-tested without a clock or a server.
import hdr from "hdr-histogram-js";
import { LATE_START_MS } from "../../../scenario/arrivals.ts";
import type { HeaderTimes, LatencySummary, LiveSample, OpenFigures, WindowReport } from "../../plan/level-spec.ts";

type Histogram = ReturnType<typeof hdr.build>;

/** 1 µs to 60 s before it grows (autoResize), 3 significant digits: 0.1 % resolution at any value. */
export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

const toUs = (ms: number) => Math.max(1, Math.round(ms * 1000));
const round = (n: number, digits = 3) => Number(n.toFixed(digits));
/** A percentile of a histogram of µs, in ms. */
export const percentileMs = (h: Histogram, p: number) => (h.totalCount === 0 ? 0 : round(h.getValueAtPercentile(p) / 1000));

export const encodeHistogram = (h: Histogram) => hdr.encodeIntoCompressedBase64(h);
export const decodeHistogram = (text: string) => hdr.decodeFromCompressedBase64(text, 32, false);

/** How many values of an encoded histogram of µs are surely under `ms`: those whose bucket lies wholly below it. */
export function countUnderMs(encoded: string, ms: number): number {
  const h = decodeHistogram(encoded) as unknown as JsHistogramLike;
  const it = h.recordedValuesIterator;
  it.reset();
  let n = 0;
  while (it.hasNext()) {
    const v = it.next();
    if (h.highestEquivalentValue(v.valueIteratedTo) < ms * 1000) n += v.countAtValueIteratedTo;
  }
  return n;
}

/** The part of hdr-histogram-js's JsHistogram that countUnderMs walks (its .d.ts does not export it from the package root). */
interface JsHistogramLike {
  recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
  highestEquivalentValue(value: number): number;
}

/** How one request ended. */
export interface RequestRecord {
  /** When it was sent, ms from the level's start. */
  startMs: number;
  endMs: number;
  /** null: it passed every check; else what went wrong ("status 503", "timeout", …). */
  error: string | null;
  /** The x-inference-time and x-queue-time headers, ms, where sent. */
  inferenceMs?: number;
  queueMs?: number;
  /** Open loop: when the schedule wanted it sent, ms from the level's start. */
  intendedMs?: number;
}

interface Window {
  ok: number;
  inFlight: number;
  histogram: Histogram;
}

export class Recorder {
  requests = 0;
  ok = 0;
  readonly errorsByKind: Record<string, number> = {};
  private readonly latency = newHistogram();
  private readonly interval = newHistogram();
  private readonly inference = newHistogram();
  private readonly queue = newHistogram();
  /** Per request: its latency less its x-inference-time, the time it spent outside the model. */
  private readonly outside = newHistogram();
  private readonly fromIntended = newHistogram();
  private sum = 0;
  private sumSq = 0;
  private min = Infinity;
  private max = 0;
  lateStarts = 0;
  dropped = 0;
  private inFlight = 0;
  private peakInFlight = 0;
  private readonly windows = new Map<number, Window>();
  private nextWindow = 0;
  private readonly reported: WindowReport[] = [];

  /** `windowS` 0: no windows. */
  constructor(private readonly windowS: number) {}

  private windowOf(startMs: number): Window | null {
    if (this.windowS <= 0) return null;
    const index = Math.floor(startMs / 1000 / this.windowS);
    let w = this.windows.get(index);
    if (!w) {
      w = { ok: 0, inFlight: 0, histogram: newHistogram() };
      this.windows.set(index, w);
    }
    return w;
  }

  /** A request was sent; `lateMs` is how long after its scheduled start (open loop). */
  started(startMs: number, lateMs = 0): void {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    if (lateMs > LATE_START_MS) this.lateStarts++;
    const w = this.windowOf(startMs);
    if (w) w.inFlight++;
  }

  /** A request sent with `started` ended. */
  finished(r: RequestRecord): void {
    this.inFlight--;
    this.requests++;
    const w = this.windowOf(r.startMs);
    if (w) w.inFlight--;
    const ms = r.endMs - r.startMs;
    if (r.intendedMs !== undefined) this.fromIntended.recordValue(toUs(r.endMs - r.intendedMs));
    if (r.error !== null) {
      this.errorsByKind[r.error] = (this.errorsByKind[r.error] ?? 0) + 1;
      return;
    }
    this.ok++;
    const us = toUs(ms);
    this.latency.recordValue(us);
    this.interval.recordValue(us);
    this.sum += ms;
    this.sumSq += ms * ms;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    if (w) {
      w.ok++;
      w.histogram.recordValue(us);
    }
    if (r.inferenceMs !== undefined && Number.isFinite(r.inferenceMs) && r.inferenceMs >= 0) {
      this.inference.recordValue(toUs(r.inferenceMs));
      // The header is rounded by the server: a request just under its model time counts as 1 µs outside.
      this.outside.recordValue(toUs(Math.max(0, ms - r.inferenceMs)));
    }
    if (r.queueMs !== undefined && Number.isFinite(r.queueMs) && r.queueMs >= 0) this.queue.recordValue(toUs(r.queueMs));
  }

  get inFlightNow(): number {
    return this.inFlight;
  }

  /** The running totals at `tMs`; the interval histogram starts again. */
  sample(tMs: number, vus: number): LiveSample {
    const interval = { p50_ms: percentileMs(this.interval, 50), p95_ms: percentileMs(this.interval, 95), p99_ms: percentileMs(this.interval, 99) };
    this.interval.reset();
    return { t_ms: Math.round(tMs), requests: this.requests, ok: this.ok, vus, median_ms: percentileMs(this.latency, 50), interval };
  }

  /**
   * Windows that became complete by `nowMs`, in order: a window is complete once its time is over
   * and every request started in it has ended (`final`: the level is over, the ones whose time is).
   */
  completeWindows(nowMs: number, final = false): WindowReport[] {
    const out: WindowReport[] = [];
    for (;;) {
      const endMs = (this.nextWindow + 1) * this.windowS * 1000;
      if (this.windowS <= 0 || nowMs < endMs) break;
      const w = this.windows.get(this.nextWindow) ?? { ok: 0, inFlight: 0, histogram: newHistogram() };
      if (w.inFlight > 0 && !final) break;
      const h = w.histogram;
      const p = (q: number) => percentileMs(h, q);
      out.push({
        index: this.nextWindow,
        ok_requests: w.ok,
        throughput_qps: round(w.ok / this.windowS),
        p50_ms: p(50),
        p90_ms: p(90),
        p95_ms: p(95),
        p99_ms: p(99),
        p999_ms: p(99.9),
        histogram: encodeHistogram(h),
      });
      this.windows.delete(this.nextWindow);
      this.nextWindow++;
    }
    this.reported.push(...out);
    return out;
  }

  /** Every window reported so far. */
  get windowReports(): WindowReport[] {
    return [...this.reported];
  }

  latencySummary(): LatencySummary | null {
    if (this.ok === 0) return null;
    const mean = this.sum / this.ok;
    const [min, max] = [round(this.min), round(this.max)];
    // A bucket's highest equivalent value can lie past the exact extremes (by up to the 0.1 %
    // resolution): percentiles are kept within [min, max], so that min ≤ median ≤ … ≤ p999 ≤ max.
    const p = (q: number) => Math.min(max, Math.max(min, percentileMs(this.latency, q)));
    return {
      mean: round(mean),
      median: p(50),
      p90: p(90),
      p95: p(95),
      p99: p(99),
      p999: p(99.9),
      min,
      max,
      stddev: round(Math.sqrt(Math.max(0, this.sumSq / this.ok - mean * mean))),
    };
  }

  latencyHistogram(): string | null {
    return this.ok === 0 ? null : encodeHistogram(this.latency);
  }

  static headerTimes(h: Histogram): HeaderTimes | null {
    if (h.totalCount === 0) return null;
    return { mean: round(h.mean / 1000), median: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99) };
  }

  serverInference(): HeaderTimes | null {
    return Recorder.headerTimes(this.inference);
  }

  serverQueue(): HeaderTimes | null {
    return Recorder.headerTimes(this.queue);
  }

  outsideModel(): HeaderTimes | null {
    return Recorder.headerTimes(this.outside);
  }

  openFigures(): OpenFigures {
    const h = this.fromIntended;
    return {
      dropped: this.dropped,
      lateStarts: this.lateStarts,
      latencyFromIntendedMs:
        h.totalCount === 0 ? null : { median: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99), max: round(h.maxValue / 1000) },
      maxInFlight: this.peakInFlight,
    };
  }
}
