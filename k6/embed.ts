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
import { adapterFor, type ApiSettings } from "../scenario/apis/index.ts";
import { generateTexts, pickBatch } from "../scenario/texts.ts";
import { SUMMARY_TREND_STATS, textSummary, type SummaryLike } from "../scenario/summary.ts";
import { windowThresholds } from "../scenario/windows.ts";
import { fromVariables, pointKey, pointOf } from "../orchestrator/plan/level-key.ts";
import { LATE_START_MS, PoissonSchedule } from "../scenario/arrivals.ts";

// Every variable is read by the level codec (orchestrator/plan/level-key.ts), which also writes
// them for the orchestrator's k6 engine: one spelling, one set of defaults.
const LEVEL = fromVariables(__ENV);
const BASE_URL = LEVEL.url;
const OPEN = LEVEL.load.mode === "open";
const CONCURRENCY = LEVEL.load.mode === "closed" ? LEVEL.load.vus : 0;
const RATE = LEVEL.load.mode === "open" ? LEVEL.load.rateRps : 0;
const BATCH_SIZE = LEVEL.batchSize;
const EXPECTED_DIM = LEVEL.expectedDim;
const MAX_ERROR_RATE = LEVEL.maxErrorRate;
const NORMALIZE = LEVEL.normalize;
const DURATION_S = LEVEL.durationS;
const DURATION = `${DURATION_S}s`;
const SCENARIO = pointKey(pointOf(LEVEL));
const POISSON = LEVEL.load.mode === "open" && LEVEL.load.arrivals === "poisson";
const API = adapterFor(LEVEL.api);
const API_SETTINGS: ApiSettings = LEVEL.apiSettings;
// Built once at init: a missing setting (kserve without SERVED_MODEL) stops k6 before any load.
API.request([], API_SETTINGS, NORMALIZE);
const COUNT_PATH = API.countPath(API_SETTINGS);
const DIM_PATH = API.dimPath(API_SETTINGS);
// Measurement windows (seconds); 0 = none. The orchestrator reads them live to stop at stability.
const WINDOW_S = LEVEL.windowS;
const WINDOWS = WINDOW_S > 0 ? Math.ceil(DURATION_S / WINDOW_S) : 0;

// A dataset file (JSON {"texts": [...]}) replaces the built-in generator; open() only works in init.
const TEXTS: string[] = LEVEL.datasetFile ? (JSON.parse(open(LEVEL.datasetFile)) as { texts: string[] }).texts : generateTexts(1000, LEVEL.wordsPerText);

const serverInference = new Trend("server_inference_ms", true);
const serverQueue = new Trend("server_queue_ms", true);
// Per request: its duration less its x-inference-time, the time it spent outside the model.
const outsideModel = new Trend("outside_model_ms", true);
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

/** Open loop: the VU pool, as the codec sized it (scenario/openloop.ts). */
const OPEN_VUS = LEVEL.load.mode === "open" ? { preAllocatedVUs: LEVEL.load.preAllocated, maxVUs: LEVEL.load.maxInFlight } : null;
const ARRIVAL_SEED = LEVEL.load.mode === "open" ? LEVEL.load.seed : 1;

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
    framework: LEVEL.tags.framework,
    api: API.name,
    model: LEVEL.tags.model,
    ...(OPEN ? { rate: String(RATE) } : { concurrency: String(CONCURRENCY) }),
    batch_size: String(BATCH_SIZE),
    ...(LEVEL.seqLen !== null ? { seq_len: String(LEVEL.seqLen) } : {}),
    run_id: LEVEL.tags.run_id,
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
  timeout: `${LEVEL.requestTimeoutS}s`,
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
    dimension: (r) => {
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
  if (Number.isFinite(inference) && inference >= 0) {
    serverInference.add(inference);
    outsideModel.add(Math.max(0, d - inference));
  }
  const queue = Number(res.headers["X-Queue-Time"] ?? res.headers["x-queue-time"]);
  if (Number.isFinite(queue)) serverQueue.add(queue);
}

export function handleSummary(data: SummaryLike) {
  const out: Record<string, string> = {
    stdout: textSummary(data, `${LEVEL.tags.framework} ${SCENARIO} batch ${BATCH_SIZE}`),
  };
  if (LEVEL.summaryFile) out[LEVEL.summaryFile] = JSON.stringify(data, null, 1);
  return out;
}
