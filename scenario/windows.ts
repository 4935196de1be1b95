// Measurement windows of a level (pure: shared by the k6 script and the orchestrator). Each
// request is tagged with the window it started in; one submetric per window, named in thresholds
// so that k6 keeps it in its summary and serves it live on its REST API.

/** Successful requests that started in window `i`. */
export const windowOkMetric = (i: number) => `ok_requests{window:${i}}`;
/** Durations of the successful requests that started in window `i`. */
export const windowLatencyMetric = (i: number) => `http_req_duration{window:${i},expected_response:true}`;

/** The thresholds that make k6 keep every window's submetrics (they never fail). */
export function windowThresholds(count: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < count; i++) {
    out[windowOkMetric(i)] = ["count>=0"];
    out[windowLatencyMetric(i)] = ["max>=0"];
  }
  return out;
}
