// The embedded engine's load loops, in whatever process runs them (its own pinned process in a
// benchmark, see child.ts; the test's own in unit tests). Its HTTP client (http1.ts) keeps one
// keep-alive connection per virtual user (closed loop) or per allowed request in flight (open loop),
// so no request ever waits for a connection inside the client.
//
// Every answer gets k6's checks: status 200, one vector per text and the right dimension, read
// through the API adapter's own paths (scenario/gjson.ts). A request counts from just before it is
// handed to the client until its whole body has arrived, as k6's http_req_duration does.
import { readFileSync } from "node:fs";
import { adapterFor } from "../../../scenario/apis/index.ts";
import { scheduleTimes } from "../../../scenario/arrivals.ts";
import { compileGjson } from "../../../scenario/gjson.ts";
import { generateTexts, pickBatch } from "../../../scenario/texts.ts";
import type { LevelOutcome, LevelSpec, LiveSample, WindowReport } from "../../plan/level-spec.ts";
import { type Answer, Http1Client, RequestFailure } from "./http1.ts";
import { Recorder, type RequestRecord } from "./recorder.ts";

export const SAMPLE_INTERVAL_MS = 500;
/** After the level's time (or a stop), requests in flight may finish for this long; then they are abandoned, uncounted (k6's gracefulStop). */
export const GRACEFUL_STOP_MS = 10_000;

export interface LoadCallbacks {
  onSample(sample: LiveSample): void;
  onWindow(window: WindowReport): void;
  onFirstError(kind: string, detail: string, t_ms: number): void;
}

/** The texts a level sends: the dataset file's, or the built-in ones the k6 script also uses. */
export function levelTexts(datasetFile: string | undefined): string[] {
  if (datasetFile === undefined) return generateTexts(1000, 24);
  const texts = (JSON.parse(readFileSync(datasetFile, "utf8")) as { texts?: unknown }).texts;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string"))
    throw new Error(`${datasetFile}: expected {"texts": [non-empty list of strings]}`);
  return texts as string[];
}

/** What a failed request is counted as. */
export function errorKind(err: unknown): string {
  if (err instanceof RequestFailure) return err.kind;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : ((err as Error).message ?? String(err));
}

type CheckedSpec = Pick<LevelSpec, "api" | "apiSettings" | "batchSize" | "expectedDim">;

/**
 * The checks k6 makes on an answer, for one level: the adapter's count and dimension paths are
 * compiled once, then every answer is parsed whole and read through them. The checker returns null
 * when an answer passes, else what failed.
 */
export function answerChecker(spec: CheckedSpec): (status: number, text: string) => string | null {
  const adapter = adapterFor(spec.api);
  const count = compileGjson(adapter.countPath(spec.apiSettings));
  const dimension = compileGjson(adapter.dimPath(spec.apiSettings));
  return (status, text) => {
    if (status !== 200) return `status ${status}`;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return "invalid JSON";
    }
    if (count(doc) !== spec.batchSize) return "wrong count";
    const dim = dimension(doc);
    const ok = spec.expectedDim > 0 ? dim === spec.expectedDim : typeof dim === "number" && dim > 0;
    return ok ? null : "wrong dimension";
  };
}

/** The checks k6 makes on an answer; null when it passes, else what failed. */
export function checkAnswer(status: number, text: string, spec: CheckedSpec): string | null {
  return answerChecker(spec)(status, text);
}

const header = (headers: Record<string, string>, name: string): number | undefined => {
  const v = headers[name];
  return v === undefined ? undefined : Number(v);
};

/** Request bodies by the batch's first text: a batch is fixed by where it starts in the pool. */
class Bodies {
  private readonly cache = new Map<number, Buffer>();
  readonly path: string;

  constructor(
    private readonly texts: readonly string[],
    private readonly spec: LevelSpec,
  ) {
    this.path = adapterFor(spec.api).request([], spec.apiSettings, spec.normalize).path;
  }

  /** The body of virtual user `vu`'s (1-based) request number `iter` (0-based), as the k6 script picks it. */
  of(vu: number, iter: number): Buffer {
    const start = ((vu - 1) * 7919 + iter * this.spec.batchSize) % this.texts.length;
    let body = this.cache.get(start);
    if (!body) {
      const batch = pickBatch(this.texts, vu, iter, this.spec.batchSize);
      body = Buffer.from(JSON.stringify(adapterFor(this.spec.api).request(batch, this.spec.apiSettings, this.spec.normalize).body));
      this.cache.set(start, body);
    }
    return body;
  }
}

/** Runs one level in this process and returns its figures; `stop` ends it early. */
export async function runLoad(spec: LevelSpec, cb: LoadCallbacks, stop: AbortSignal, version: string): Promise<LevelOutcome> {
  const texts = levelTexts(spec.datasetFile);
  const url = new URL(spec.url);
  const prefix = url.pathname.replace(/\/+$/, "");
  const bodies = new Bodies(texts, spec);
  const check = answerChecker(spec);
  const requestPath = `${prefix}${bodies.path}`;
  const connections = spec.load.mode === "closed" ? spec.load.vus : spec.load.maxInFlight;
  const timeoutMs = spec.requestTimeoutS * 1000;
  const client = new Http1Client(url, { connections, timeoutMs });
  const rec = new Recorder(spec.windowS);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let stopping = false;
  // The level's end (its time, or a stop) as a promise too, so that nothing polls for it.
  let markStopped = () => {};
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stopNow = () => {
    stopping = true;
    markStopped();
  };
  let abandoned = false;
  let bytesSent = 0;
  let bytesReceived = 0;

  /** An exchange as it came back, before its checks: what `settle` records. */
  interface Exchanged {
    startMs: number;
    endMs: number;
    intendedMs: number | undefined;
    answer: Answer | null;
    failure: unknown;
  }

  /** Sends one request; resolves when its whole answer has arrived (or it failed), unchecked. */
  const exchange = async (body: Buffer, intendedMs?: number): Promise<Exchanged> => {
    const startMs = now();
    rec.started(startMs, intendedMs === undefined ? 0 : startMs - intendedMs);
    bytesSent += body.length;
    try {
      const answer = await client.post(requestPath, body);
      return { startMs, endMs: now(), intendedMs, answer, failure: null };
    } catch (err) {
      return { startMs, endMs: now(), intendedMs, answer: null, failure: err };
    }
  };

  /** Checks an answer and records the request. */
  const settle = (x: Exchanged): void => {
    // A request abandoned at the end of the graceful stop is not a measurement.
    if (abandoned) return;
    let record: RequestRecord;
    let detail = "";
    if (x.answer) {
      const res = x.answer;
      bytesReceived += res.bytes;
      const error = check(res.status, res.text);
      if (error !== null) detail = res.text.slice(0, 300);
      record = {
        startMs: x.startMs,
        endMs: x.endMs,
        error,
        inferenceMs: header(res.headers, "x-inference-time"),
        queueMs: header(res.headers, "x-queue-time"),
      };
    } else {
      record = { startMs: x.startMs, endMs: x.endMs, error: errorKind(x.failure) };
      detail = (x.failure as Error).message ?? String(x.failure);
    }
    if (x.intendedMs !== undefined) record.intendedMs = x.intendedMs;
    if (record.error !== null && rec.errorsByKind[record.error] === undefined) cb.onFirstError(record.error, detail, record.endMs);
    rec.finished(record);
  };

  const activeVus = () => (spec.load.mode === "closed" ? (stopping ? rec.inFlightNow : spec.load.vus) : rec.inFlightNow);
  const ticker = setInterval(() => {
    cb.onSample(rec.sample(now(), activeVus()));
    for (const w of rec.completeWindows(now())) cb.onWindow(w);
  }, SAMPLE_INTERVAL_MS);
  const endTimer = setTimeout(stopNow, spec.durationS * 1000);
  const onStop = stopNow;
  stop.addEventListener("abort", onStop, { once: true });

  const work = spec.load.mode === "closed" ? closedLoop(spec.load.vus) : openLoop(spec.load);
  try {
    await drain(work);
  } finally {
    clearInterval(ticker);
    clearTimeout(endTimer);
    stop.removeEventListener("abort", onStop);
    abandoned = true;
    client.destroy();
  }
  const durationMs = now();
  for (const w of rec.completeWindows(durationMs, true)) cb.onWindow(w);
  const cpu = process.cpuUsage(cpu0);
  return {
    engine: { name: "embedded", version },
    durationS: Number((durationMs / 1000).toFixed(3)),
    requests: rec.requests,
    ok: rec.ok,
    errors: rec.requests - rec.ok,
    errorsByKind: { ...rec.errorsByKind },
    latencyMs: rec.latencySummary(),
    latencyHistogram: rec.latencyHistogram(),
    serverInferenceMs: rec.serverInference(),
    serverQueueMs: rec.serverQueue(),
    outsideModelMs: rec.outsideModel(),
    windows: rec.windowReports,
    open: spec.load.mode === "open" ? rec.openFigures() : null,
    achievedRps: durationMs > 0 ? Number((rec.requests / (durationMs / 1000)).toFixed(3)) : 0,
    bytesSent,
    bytesReceived,
    engineCpuPercent: durationMs > 0 ? Number((((cpu.user + cpu.system) / 1000 / durationMs) * 100).toFixed(1)) : null,
  };

  /** Waits for the load to end, then for the requests in flight, at most GRACEFUL_STOP_MS. */
  async function drain(done: Promise<void>): Promise<void> {
    await Promise.race([done, stopped]);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((resolve) => (grace = setTimeout(resolve, GRACEFUL_STOP_MS)))]);
    clearTimeout(grace);
  }

  /**
   * Each user sends its next request as soon as its last one is answered, then checks that answer
   * while the server works on the next: the checks (a JSON parse of every answer) never delay the
   * load the server sees, as they would if they came between an answer and the next request.
   */
  async function closedLoop(vus: number): Promise<void> {
    const user = async (vu: number) => {
      let iter = 0;
      let current = stopping ? null : exchange(bodies.of(vu, iter++));
      while (current) {
        const answered = await current;
        current = stopping ? null : exchange(bodies.of(vu, iter++));
        settle(answered);
      }
    };
    await Promise.all(Array.from({ length: vus }, (_, i) => user(i + 1)));
  }

  /** Starts follow the schedule; at the cap, a constant start is dropped and a Poisson one waits for a slot. */
  async function openLoop(load: Extract<LevelSpec["load"], { mode: "open" }>): Promise<void> {
    const times = load.arrivals === "poisson" ? scheduleTimes(load.rateRps, load.seed, spec.durationS) : constantTimes(load.rateRps, spec.durationS);
    const inFlight = new Set<Promise<void>>();
    const waiting: number[] = [];
    let next = 0;
    // Start i sends the batch at place i of one walk through the texts.
    const start = (i: number) => {
      const p = exchange(bodies.of(1, i), times[i]! * 1000)
        .then(settle)
        .finally(() => {
          inFlight.delete(p);
          const queued = waiting.shift();
          if (queued !== undefined && !stopping) start(queued);
        });
      inFlight.add(p);
    };
    while (next < times.length && !stopping) {
      const dueMs = times[next]! * 1000;
      const wait = dueMs - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopping) break;
      // Every start already due goes now: a late timer does not thin the schedule out.
      while (next < times.length && times[next]! * 1000 <= now()) {
        const i = next++;
        if (inFlight.size < load.maxInFlight) start(i);
        else if (load.arrivals === "poisson") waiting.push(i);
        else rec.dropped++;
      }
    }
    // The level's time is over when the schedule is (k6 starts nothing after its duration).
    const untilEnd = spec.durationS * 1000 - now();
    if (untilEnd > 0 && !stopping) await new Promise((r) => setTimeout(r, untilEnd));
    stopNow();
    while (inFlight.size > 0) await Promise.race(inFlight);
  }
}

/** k6's constant-arrival-rate: a start every 1/rate s from 0, none at or after the level's end. */
export function constantTimes(rateRps: number, durationS: number): number[] {
  const n = Math.ceil(rateRps * durationS - 1e-9);
  return Array.from({ length: n }, (_, i) => i / rateRps);
}
