// Scrapes a server's Prometheus metrics while a level runs, as aiperf does: one scrape at the
// level's start, one per interval, one at its end. Each scrape is reduced at once to the quantities
// results/server-metrics.ts reads, through the names the server's API gives them (METRIC_NAMES).
import { parseExposition, total, type Family } from "../../servers/contract/prometheus.ts";
import { type Quantity, type ScrapeReading, summarizeScrapes } from "../results/server-metrics.ts";
import type { ServerMetrics } from "../results/schema.ts";

/** Where each quantity is in a server's metrics: a family and the sample of it that is summed. */
export interface MetricNames {
  /** The metrics endpoint, relative to the server's base URL. */
  path: string;
  quantities: Partial<Record<Quantity, { family: string; sample?: string }>>;
  /** Gauges by the name the result gives them. */
  gauges: Record<string, string>;
}

const histogram = (family: string, part: "sum" | "count") => ({ family, sample: `${family}_${part}` });

/**
 * The names per API. `embed` is the suite's own contract (servers/contract): every framework under
 * servers/ with that API writes these families with these names, checked by the conformance suite.
 */
export const METRIC_NAMES: Record<string, MetricNames> = {
  embed: {
    path: "/metrics",
    quantities: {
      requests: { family: "embed_requests_total" },
      errors: { family: "embed_errors_total" },
      embeddings: { family: "embed_embeddings_total" },
      model_calls: histogram("embed_inference_ms", "count"),
      model_ms: histogram("embed_inference_ms", "sum"),
      queue_calls: histogram("embed_queue_ms", "count"),
      queue_ms: histogram("embed_queue_ms", "sum"),
      batch_calls: histogram("embed_batch_texts", "count"),
      batch_texts: histogram("embed_batch_texts", "sum"),
    },
    gauges: { in_flight: "embed_in_flight", queue_depth: "embed_queue_depth" },
  },
};

/** One scrape's text as the quantities and gauges it has. */
export function readingOf(text: string, names: MetricNames, tMs: number): ScrapeReading {
  const families: Map<string, Family> = parseExposition(text);
  const values: ScrapeReading["values"] = {};
  for (const [q, where] of Object.entries(names.quantities) as [Quantity, { family: string; sample?: string }][]) {
    if (families.has(where.family)) values[q] = total(families, where.family, where.sample);
  }
  const gauges: Record<string, number> = {};
  for (const [name, family] of Object.entries(names.gauges)) if (families.has(family)) gauges[name] = total(families, family);
  return { t_ms: tMs, values, gauges };
}

export class MetricsScraper {
  private readonly readings: ScrapeReading[] = [];
  private failed = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private t0 = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly names: MetricNames,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.t0 = performance.now();
    this.scrape();
    this.timer = setInterval(() => this.scrape(), this.intervalMs);
  }

  /** The last scrape, then the level's figures. */
  async stop(windowS: number): Promise<ServerMetrics> {
    clearInterval(this.timer);
    await this.inFlight;
    this.scrape();
    await this.inFlight;
    return summarizeScrapes(this.readings, { intervalMs: this.intervalMs, failed: this.failed, windowS });
  }

  /** One scrape at a time: a slow answer delays the next rather than piling up. */
  private scrape(): void {
    this.inFlight = this.inFlight.then(async () => {
      const tMs = performance.now() - this.t0;
      try {
        const res = await fetch(`${this.baseUrl}${this.names.path}`, { signal: AbortSignal.timeout(Math.max(500, this.intervalMs)) });
        if (!res.ok) throw new Error(`status ${res.status}`);
        this.readings.push(readingOf(await res.text(), this.names, Math.round(tMs)));
      } catch {
        this.failed++;
      }
    });
  }
}
