// What a server's own metrics say about one level: the scrapes taken while it ran (level/scrape.ts),
// reduced to deltas over the level and per window. Counters and histogram sums only grow, except
// when the server restarts; a value that went down is counted from zero (Prometheus's rate() rule).
// The histogram buckets are too coarse for percentiles, so only sums and counts are read.
import type { ServerMetrics } from "./schema.ts";

/** The counters (and histogram sums and counts) a level reads, each summed over its series. */
export const QUANTITIES = ["requests", "errors", "embeddings", "model_calls", "model_ms", "queue_calls", "queue_ms", "batch_calls", "batch_texts"] as const;
export type Quantity = (typeof QUANTITIES)[number];

/**
 * How a server sums model_ms: once per model call (our contract), or once per request with the whole
 * duration of the call it rode in (Triton, TEI: a batch of k requests counts k times). Per request,
 * mean_model_ms is the model time a request saw (÷ requests) and the share of the level spent in model
 * calls cannot be told from the sum: model_time_fraction is null.
 */
export type ModelTimePer = "call" | "request";

/** One scrape: when (ms from the level's start), the quantities found, and the gauges found. */
export interface ScrapeReading {
  t_ms: number;
  values: Partial<Record<Quantity, number>>;
  gauges: Record<string, number>;
}

/** How much a counter grew from `prev` to `cur`; a drop is a restart, counted from zero. */
export const counterDelta = (prev: number, cur: number): number => (cur >= prev ? cur - prev : cur);

/** The growth of `q` over consecutive readings; null when a reading lacks it. */
function growth(readings: readonly ScrapeReading[], q: Quantity): number | null {
  let sum = 0;
  for (let i = 1; i < readings.length; i++) {
    const prev = readings[i - 1]!.values[q];
    const cur = readings[i]!.values[q];
    if (prev === undefined || cur === undefined) return null;
    sum += counterDelta(prev, cur);
  }
  return sum;
}

const ratio = (a: number | null, b: number | null, digits = 3): number | null => (a === null || b === null || b === 0 ? null : Number((a / b).toFixed(digits)));

/** The level's figures from its scrapes; `windowS` 0 gives no windows. */
export function summarizeScrapes(
  readings: readonly ScrapeReading[],
  o: { intervalMs: number; failed: number; windowS: number; modelTimePer?: ModelTimePer },
): ServerMetrics {
  const perCall = (o.modelTimePer ?? "call") === "call";
  const totals = Object.fromEntries(QUANTITIES.map((q) => [q, readings.length >= 2 ? growth(readings, q) : null])) as Record<Quantity, number | null>;
  const wallMs = readings.length >= 2 ? readings.at(-1)!.t_ms - readings[0]!.t_ms : null;
  const gaugeNames = [...new Set(readings.flatMap((r) => Object.keys(r.gauges)))].sort();
  return {
    interval_ms: o.intervalMs,
    scrapes: readings.length,
    failed_scrapes: o.failed,
    missing: QUANTITIES.filter((q) => readings.every((r) => r.values[q] === undefined)),
    totals,
    model_time_fraction: perCall ? ratio(totals.model_ms, wallMs) : null,
    mean_batch_size: ratio(totals.batch_texts, totals.batch_calls),
    mean_model_ms: ratio(totals.model_ms, perCall ? totals.model_calls : totals.requests),
    mean_queue_ms: ratio(totals.queue_ms, totals.queue_calls),
    gauges: Object.fromEntries(gaugeNames.map((g) => [g, gaugeFigures(readings, g)])),
    windows: o.windowS > 0 ? windowsOf(readings, o.windowS) : [],
  };
}

function gaugeFigures(readings: readonly ScrapeReading[], name: string): { mean: number; max: number } {
  const values = readings.map((r) => r.gauges[name]).filter((v): v is number => v !== undefined);
  return { mean: Number((values.reduce((a, b) => a + b, 0) / values.length).toFixed(3)), max: Math.max(...values) };
}

/** Each window's growth: a scrape's delta from the one before counts in the window the scrape falls in. */
function windowsOf(readings: readonly ScrapeReading[], windowS: number): ServerMetrics["windows"] {
  const byWindow = new Map<number, ScrapeReading[]>();
  for (let i = 1; i < readings.length; i++) {
    const index = Math.floor(readings[i]!.t_ms / 1000 / windowS);
    byWindow.set(index, [...(byWindow.get(index) ?? [readings[i - 1]!]), readings[i]!]);
  }
  return [...byWindow.entries()].map(([index, rs]) => {
    const calls = growth(rs, "model_calls");
    return {
      index,
      start_s: index * windowS,
      requests: growth(rs, "requests"),
      model_calls: calls,
      model_ms: growth(rs, "model_ms"),
      mean_batch_size: ratio(growth(rs, "batch_texts"), growth(rs, "batch_calls")),
      gauges: rs.at(-1)!.gauges,
    };
  });
}
