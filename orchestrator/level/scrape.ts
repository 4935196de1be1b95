// Scrapes a server's Prometheus metrics while a level runs, as aiperf does: one scrape at the
// level's start, one per interval, one at its end. Each scrape is reduced at once to the quantities
// results/server-metrics.ts reads, through the names the server's API gives them (METRIC_NAMES).
import { parseExposition, total, type Family } from "../../servers/contract/prometheus.ts";
import { type ModelTimePer, type Quantity, type ScrapeReading, summarizeScrapes } from "../results/server-metrics.ts";
import type { ServerMetrics } from "../results/schema.ts";

/** One family's part of a quantity: the sample summed over the series kept, in the result's unit. */
export interface Source {
  family: string;
  /** The sample summed (a histogram's `_sum` or `_count`); default: the family's own name. */
  sample?: string;
  /** Only the series whose labels match these (each a whole-value pattern), e.g. one route's requests. */
  labels?: Record<string, RegExp>;
  /** Multiplies the sum into the result's unit: 0.001 from µs to ms, 1000 from s to ms; default 1. */
  scale?: number;
  /**
   * The exporter writes the family only once it has counted (metrics-rs, a labelled prometheus_client
   * counter): absent, it is 0. Without this an absent family leaves the quantity missing.
   */
  zeroWhenAbsent?: true;
}

/** Where each quantity is in a server's metrics: one source, or several added up. */
export interface MetricNames {
  quantities: Partial<Record<Quantity, Source | readonly Source[]>>;
  /** Gauges by the name the result gives them. */
  gauges: Record<string, Source>;
  /**
   * How model_ms is summed: once per model call (our contract), or once per request with the whole
   * duration of the model call it rode in (Triton's and TEI's counters), which counts a batch of k
   * requests k times.
   */
  modelTimePer: ModelTimePer;
}

const histogram = (family: string, part: "sum" | "count", scale?: number): Source => ({
  family,
  sample: `${family}_${part}`,
  ...(scale !== undefined ? { scale } : {}),
});
const US_TO_MS = 0.001;
const S_TO_MS = 1000;

/**
 * The names per API, each mapped once. `embed` is the suite's own contract (servers/contract): every
 * framework under servers/ with that API writes these families with these names, checked by the
 * conformance suite. The peers' are their own servers' (docs/results.md, "Where the time goes"):
 * `kserve` Triton's (2.51, read from a running one: tests/fixtures/metrics/triton-*.txt), `openai`
 * infinity's (prometheus-fastapi-instrumentator's HTTP metrics: only requests and errors), `tei`
 * text-embeddings-inference's router (from its source: metrics-rs, histograms in seconds).
 */
export const METRIC_NAMES: Record<string, MetricNames> = {
  embed: {
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
    gauges: { in_flight: { family: "embed_in_flight" }, queue_depth: { family: "embed_queue_depth" } },
    modelTimePer: "call",
  },
  // Triton's counters are per model (labels model, version); durations are cumulative microseconds,
  // summed per request (a batched execution's time counts once for each request in it).
  kserve: {
    quantities: {
      requests: [{ family: "nv_inference_request_success" }, { family: "nv_inference_request_failure" }],
      errors: { family: "nv_inference_request_failure" },
      // Rows inferred: texts, one per row of the TEXT tensor.
      embeddings: { family: "nv_inference_count" },
      model_calls: { family: "nv_inference_exec_count" },
      model_ms: { family: "nv_inference_compute_infer_duration_us", scale: US_TO_MS },
      queue_calls: { family: "nv_inference_request_success" },
      queue_ms: { family: "nv_inference_queue_duration_us", scale: US_TO_MS },
      batch_calls: { family: "nv_inference_exec_count" },
      batch_texts: { family: "nv_inference_count" },
    },
    gauges: { queue_depth: { family: "nv_inference_pending_request_count" } },
    modelTimePer: "request",
  },
  // infinity writes only HTTP metrics (prometheus-fastapi-instrumentator): requests per route and
  // status class; its batching, model and queue times are not in them.
  openai: {
    quantities: {
      requests: { family: "http_requests_total", labels: { handler: /\/v1\/embeddings/ } },
      errors: { family: "http_requests_total", labels: { handler: /\/v1\/embeddings/, status: /[45]xx|[45]\d\d/ } },
    },
    gauges: {},
    modelTimePer: "call",
  },
  // The suite's tei adapter sends `inputs` as a list: each request is TEI's method "batch", and each
  // of its texts an embed. Histograms in seconds, one observation per request.
  tei: {
    quantities: {
      requests: { family: "te_request_count", labels: { method: /batch/ } },
      errors: { family: "te_request_failure", zeroWhenAbsent: true },
      embeddings: { family: "te_embed_success" },
      model_calls: histogram("te_batch_next_size", "count"),
      model_ms: histogram("te_request_inference_duration", "sum", S_TO_MS),
      queue_calls: histogram("te_request_queue_duration", "count"),
      queue_ms: histogram("te_request_queue_duration", "sum", S_TO_MS),
      batch_calls: histogram("te_batch_next_size", "count"),
      batch_texts: histogram("te_batch_next_size", "sum"),
    },
    gauges: { queue_depth: { family: "te_queue_size" } },
    modelTimePer: "request",
  },
};

const whole = (re: RegExp) => new RegExp(`^(?:${re.source})$`, re.flags);

/** A source's value in one scrape; undefined when its family is not there. */
function sourceValue(families: Map<string, Family>, s: Source): number | undefined {
  if (!families.has(s.family)) return s.zeroWhenAbsent ? 0 : undefined;
  const labels = Object.entries(s.labels ?? {}).map(([k, re]) => [k, whole(re)] as const);
  const sum = total(families, s.family, s.sample ?? s.family, (l) => labels.every(([k, re]) => re.test(l[k] ?? "")));
  return sum * (s.scale ?? 1);
}

/** A quantity's value: its sources added up; undefined when one of them is not there. */
function quantityOf(families: Map<string, Family>, where: Source | readonly Source[]): number | undefined {
  let sum = 0;
  for (const s of Array.isArray(where) ? (where as readonly Source[]) : [where as Source]) {
    const v = sourceValue(families, s);
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}

/** One scrape's text as the quantities and gauges it has. */
export function readingOf(text: string, names: MetricNames, tMs: number): ScrapeReading {
  const families = parseExposition(text);
  const values: ScrapeReading["values"] = {};
  for (const [q, where] of Object.entries(names.quantities) as [Quantity, Source | readonly Source[]][]) {
    const v = quantityOf(families, where);
    if (v !== undefined) values[q] = v;
  }
  const gauges: Record<string, number> = {};
  for (const [name, source] of Object.entries(names.gauges)) {
    const v = sourceValue(families, source);
    if (v !== undefined) gauges[name] = v;
  }
  return { t_ms: tMs, values, gauges };
}

export class MetricsScraper {
  private readonly readings: ScrapeReading[] = [];
  private failed = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private t0 = 0;

  /** `url`: the server's metrics route (its own port's, or the one its manifest's metrics.port_env gave it). */
  constructor(
    private readonly url: string,
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
    return summarizeScrapes(this.readings, { intervalMs: this.intervalMs, failed: this.failed, windowS, modelTimePer: this.names.modelTimePer });
  }

  /** One scrape at a time: a slow answer delays the next rather than piling up. */
  private scrape(): void {
    this.inFlight = this.inFlight.then(async () => {
      const tMs = performance.now() - this.t0;
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(Math.max(500, this.intervalMs)) });
        if (!res.ok) throw new Error(`status ${res.status}`);
        this.readings.push(readingOf(await res.text(), this.names, Math.round(tMs)));
      } catch {
        this.failed++;
      }
    });
  }
}
