// Pure helpers for the k6 end-of-test summary (no k6 imports: unit-tested under Node).

export const SUMMARY_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)", "p(99.9)", "count"];

interface MetricLike {
  type: string;
  values: Record<string, number>;
}
export interface SummaryLike {
  metrics: Record<string, MetricLike>;
  state?: { testRunDurationMs?: number };
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));

/** Short human summary printed by the k6 script (the default k6 one is replaced by handleSummary). */
export function textSummary(data: SummaryLike, label: string): string {
  const dur = data.metrics["http_req_duration{expected_response:true}"] ?? data.metrics["http_req_duration"];
  const reqs = data.metrics["http_reqs"]?.values ?? {};
  const errors = data.metrics["embed_errors"]?.values["count"] ?? 0;
  const seconds = (data.state?.testRunDurationMs ?? 0) / 1000;
  const d = dur?.values ?? {};
  return [
    `embedding-bench ${label}`,
    `  requests ${reqs["count"] ?? 0} in ${fmt(seconds, 1)} s (${fmt(reqs["rate"])} req/s), errors ${errors}`,
    `  latency ms: mean ${fmt(d["avg"])} p50 ${fmt(d["med"])} p90 ${fmt(d["p(90)"])} p95 ${fmt(d["p(95)"])} ` +
      `p99 ${fmt(d["p(99)"])} p99.9 ${fmt(d["p(99.9)"])} max ${fmt(d["max"])}`,
    "",
  ].join("\n");
}
