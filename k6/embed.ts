// Load at one level, in the API the server speaks (-e API=embed|openai|tei|kserve, scenario/apis/):
// constant VUs (closed loop, CONCURRENCY) or, with -e MODE=open, a constant arrival rate (open
// loop, RATE requests/s; -e ARRIVALS=poisson for Poisson arrivals at that mean rate, see
// lib/arrivals.ts). Bundled by build/build.mjs into build/embed.js; run ad hoc with:
//   k6 run build/embed.js -e BASE_URL=http://127.0.0.1:8001 -e CONCURRENCY=4 -e DURATION=10s
//   k6 run build/embed.js -e BASE_URL=http://127.0.0.1:8001 -e MODE=open -e RATE=20 -e DURATION=10s
//   k6 run build/embed.js -e API=openai -e SERVED_MODEL=sentence-transformers/all-MiniLM-L6-v2 -e BASE_URL=http://127.0.0.1:7997
import http from "k6/http";
import { check, sleep } from "k6";
import exec from "k6/execution";
import { Counter, Rate, Trend } from "k6/metrics";
import type { Options } from "k6/options";
import { adapterFor, DEFAULT_API_SETTINGS, type ApiSettings } from "../scenario/apis/index.ts";
import { generateTexts, pickBatch } from "../scenario/texts.ts";
import { SUMMARY_TREND_STATS, textSummary, type SummaryLike } from "../scenario/summary.ts";
import { durationSeconds, windowCount, windowThresholds } from "../scenario/windows.ts";
import { rateScenarioName, vuSizing } from "../scenario/openloop.ts";
import { LATE_START_MS, PoissonSchedule } from "../scenario/arrivals.ts";

function envInt(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`-e ${name} must be a positive integer, got '${raw}'`);
  return n;
}

function envNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`-e ${name} must be a number from ${min} to ${max}, got '${raw}'`);
  return n;
}

const BASE_URL = (__ENV.BASE_URL ?? "").replace(/\/+$/, "");
if (BASE_URL === "") throw new Error("set the server with -e BASE_URL=http://127.0.0.1:<port>");
const CONCURRENCY = envInt("CONCURRENCY", 1);
const DURATION = __ENV.DURATION ?? "10s";
const BATCH_SIZE = envInt("BATCH_SIZE", 1);
const EXPECTED_DIM = __ENV.EXPECTED_DIM ? envInt("EXPECTED_DIM", 1) : 0;
const MAX_ERROR_RATE = envNumber("MAX_ERROR_RATE", 0.01, 0, 1);
const REQUEST_TIMEOUT = __ENV.REQUEST_TIMEOUT ?? "60s";
const NORMALIZE = (__ENV.NORMALIZE ?? "true") !== "false";
const OPEN = (__ENV.MODE ?? "closed") === "open";
const RATE = OPEN ? envInt("RATE", 1) : 0;
const SCENARIO = OPEN ? rateScenarioName(RATE) : `concurrency_${CONCURRENCY}`;
const ARRIVALS = __ENV.ARRIVALS ?? "constant";
if (ARRIVALS !== "constant" && ARRIVALS !== "poisson") throw new Error(`-e ARRIVALS must be constant or poisson, got '${ARRIVALS}'`);
const POISSON = OPEN && ARRIVALS === "poisson";
const API = adapterFor(__ENV.API ?? "embed");
const API_SETTINGS: ApiSettings = {
  model: __ENV.SERVED_MODEL ?? DEFAULT_API_SETTINGS.model,
  kserveInput: __ENV.KSERVE_INPUT ?? DEFAULT_API_SETTINGS.kserveInput,
  kserveOutput: __ENV.KSERVE_OUTPUT ?? DEFAULT_API_SETTINGS.kserveOutput,
};
// Built once at init: a missing setting (kserve without SERVED_MODEL) stops k6 before any load.
API.request([], API_SETTINGS, NORMALIZE);
const COUNT_PATH = API.countPath(API_SETTINGS);
const DIM_PATH = API.dimPath(API_SETTINGS);
// Measurement windows (seconds); 0 = none. The orchestrator reads them live to stop at stability.
const WINDOW_S = __ENV.WINDOW_S ? envInt("WINDOW_S", 1) : 0;
const WINDOWS = WINDOW_S > 0 ? windowCount(durationSeconds(DURATION), WINDOW_S) : 0;

// A dataset file (JSON {"texts": [...]}) replaces the built-in generator; open() only works in init.
const TEXTS: string[] = __ENV.DATASET
  ? (JSON.parse(open(__ENV.DATASET)) as { texts: string[] }).texts
  : generateTexts(1000, Number(__ENV.WORDS_PER_TEXT ?? "24"));

const serverInference = new Trend("server_inference_ms", true);
const serverQueue = new Trend("server_queue_ms", true);
const embedErrors = new Counter("embed_errors");
// Wrong answers (bad count or dimension on a 200) fail the run too, not only HTTP errors.
const embedFailed = new Rate("embed_failed");
// Σx and Σx² of successful request durations: k6 trends give no standard deviation.
const okDurationSum = new Counter("ok_duration_sum_ms");
const okDurationSumSq = new Counter("ok_duration_sumsq_ms2");
const okRequests = new Counter("ok_requests");

// Open loop: how late each request started after its scheduled time, and how many started more
// than LATE_START_MS late (with Poisson arrivals, their VU was still busy).
const arrivalLateness = new Trend("arrival_lateness_ms", true);
const lateStarts = new Counter("late_starts");
// The latency a user arriving at the scheduled time sees: lateness + the request's own duration.
const latencyFromIntended = new Trend("latency_from_intended_ms", true);

/**
 * Open loop: VUs sized from the rate and the expected latency (scenario/openloop.ts), or as the
 * orchestrator sized them (PRE_ALLOCATED_VUS with MAX_VUS).
 */
const OPEN_VUS = !OPEN
  ? null
  : __ENV.PRE_ALLOCATED_VUS
    ? { preAllocatedVUs: envInt("PRE_ALLOCATED_VUS", 1), maxVUs: envInt("MAX_VUS", 1) }
    : vuSizing(RATE, envInt("EXPECTED_LATENCY_MS", 100), envInt("VU_HEADROOM", 4), envInt("MAX_VUS", 200));
const DURATION_S = durationSeconds(DURATION);
const ARRIVAL_SEED = __ENV.ARRIVAL_SEED ? envInt("ARRIVAL_SEED", 1) : 1;

function openScenario() {
  const vus = OPEN_VUS!;
  // Poisson: maxVUs VUs each follow their share of one seeded exponential schedule (lib/arrivals.ts).
  if (POISSON) return { executor: "constant-vus", vus: vus.maxVUs, duration: DURATION, gracefulStop: "10s" } as const;
  return { executor: "constant-arrival-rate", rate: RATE, timeUnit: "1s", duration: DURATION, ...vus, gracefulStop: "10s" } as const;
}

// Per VU (every VU has its own JS runtime): its share of the schedule, built on its first iteration.
let schedule: PoissonSchedule | null = null;

/**
 * Poisson arrivals: sleeps until this VU's next scheduled start and returns how late the start is,
 * ms; null when the next arrival falls after the level's end (the VU then idles to the end).
 */
function awaitArrival(): number | null {
  schedule ??= new PoissonSchedule(RATE, ARRIVAL_SEED, OPEN_VUS!.maxVUs, exec.vu.idInTest);
  const at = schedule.next();
  const now = (Date.now() - exec.scenario.startTime) / 1000;
  if (at >= DURATION_S) {
    // Just past the end: k6 starts no new iteration then, and the level's duration stays its own.
    sleep(Math.max(0, DURATION_S - now) + 0.05);
    return null;
  }
  if (at > now) sleep(at - now);
  const lateness = Math.max(0, Date.now() - exec.scenario.startTime - at * 1000);
  arrivalLateness.add(lateness);
  if (lateness > LATE_START_MS) lateStarts.add(1);
  return lateness;
}

export const options: Options = {
  scenarios: {
    [SCENARIO]: OPEN ? openScenario() : { executor: "constant-vus", vus: CONCURRENCY, duration: DURATION, gracefulStop: "10s" },
  },
  tags: {
    framework: __ENV.FRAMEWORK ?? "adhoc",
    api: API.name,
    model: __ENV.MODEL ?? "unknown",
    ...(OPEN ? { rate: String(RATE) } : { concurrency: String(CONCURRENCY) }),
    run_id: __ENV.RUN_ID ?? "adhoc",
  },
  thresholds: {
    http_req_failed: [`rate<${MAX_ERROR_RATE}`],
    embed_failed: [`rate<${MAX_ERROR_RATE}`],
    // Naming the submetric makes k6 include it in the summary data: latency of good answers only.
    "http_req_duration{expected_response:true}": ["max>=0"],
    ...windowThresholds(WINDOWS),
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
  discardResponseBodies: false,
  noConnectionReuse: false,
};

const params = {
  headers: { "Content-Type": "application/json" },
  timeout: REQUEST_TIMEOUT,
};

/** Constant arrivals: iteration i of the scenario was scheduled at i / RATE s; how late it started, ms. */
function constantLateness(): number {
  const lateness = Math.max(0, Date.now() - exec.scenario.startTime - (exec.scenario.iterationInTest / RATE) * 1000);
  arrivalLateness.add(lateness);
  if (lateness > LATE_START_MS) lateStarts.add(1);
  return lateness;
}

export default function () {
  const lateness = POISSON ? awaitArrival() : OPEN ? constantLateness() : 0;
  if (lateness === null) return;
  const texts = pickBatch(TEXTS, exec.vu.idInTest, exec.vu.iterationInScenario, BATCH_SIZE);
  const window = WINDOWS > 0 ? { window: String(Math.floor(exec.instance.currentTestRunDuration / 1000 / WINDOW_S)) } : undefined;
  const req = API.request(texts, API_SETTINGS, NORMALIZE);
  const res = http.post(`${BASE_URL}${req.path}`, JSON.stringify(req.body), window ? { ...params, tags: window } : params);
  // res.json(path) evaluates the path in Go (gjson) without building JS arrays of floats,
  // which keeps k6's own CPU low next to the server on small machines.
  const ok = check(res, {
    "status 200": (r) => r.status === 200,
    "one embedding per text": (r) => r.status === 200 && r.json(COUNT_PATH) === BATCH_SIZE,
    "dimension": (r) => {
      if (r.status !== 200) return false;
      const dim = r.json(DIM_PATH) as number;
      return EXPECTED_DIM > 0 ? dim === EXPECTED_DIM : dim > 0;
    },
  });
  if (OPEN) latencyFromIntended.add(lateness + res.timings.duration);
  embedFailed.add(!ok);
  if (!ok) {
    embedErrors.add(1);
    return;
  }
  const d = res.timings.duration;
  okRequests.add(1, window);
  okDurationSum.add(d);
  okDurationSumSq.add(d * d);
  const inference = Number(res.headers["X-Inference-Time"] ?? res.headers["x-inference-time"]);
  if (Number.isFinite(inference)) serverInference.add(inference);
  const queue = Number(res.headers["X-Queue-Time"] ?? res.headers["x-queue-time"]);
  if (Number.isFinite(queue)) serverQueue.add(queue);
}

export function handleSummary(data: SummaryLike) {
  const out: Record<string, string> = {
    stdout: textSummary(data, `${__ENV.FRAMEWORK ?? "adhoc"} ${SCENARIO} batch ${BATCH_SIZE}`),
  };
  if (__ENV.SUMMARY_FILE) out[__ENV.SUMMARY_FILE] = JSON.stringify(data, null, 1);
  return out;
}
