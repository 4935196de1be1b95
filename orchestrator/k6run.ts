// Runs one k6 level (one process per level, so each level has its own summary and client samples).
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { freePort } from "./http.ts";
import { withAffinity } from "./launch/cpus.ts";
import { windowLatencyMetric, windowOkMetric } from "../k6/lib/windows.ts";
import { DEFAULT_WATCH_LIMITS, LevelWatch, type LiveSample, type Stall } from "./levelwatch.ts";
import { stableTail, type StabilityRule, type WindowFigures } from "./stability.ts";
import { log } from "./log.ts";

export interface K6LevelOptions {
  k6: string;
  script: string;
  baseUrl: string;
  concurrency: number;
  durationS: number;
  batchSize: number;
  expectedDim: number;
  maxErrorRate: number;
  requestTimeoutS: number;
  tags: { framework: string; model: string; run_id: string };
  summaryFile: string;
  /** Everything k6 prints; the console gets it with repeated warnings collapsed. */
  logFile: string;
  /** Also export k6's web dashboard (the former xk6-dashboard) as a self-contained HTML file here. */
  htmlReport?: string;
  /** Extra `k6 run` arguments (outputs such as --out influxdb=…). */
  extraArgs?: readonly string[];
  extraEnv?: Record<string, string>;
  onStart?: (pid: number) => void;
  /** Aborting it asks k6 to stop (SIGINT): k6 still writes the summary of what it measured. */
  signal?: AbortSignal;
  /** CPUs k6 may use (kernel affinity); null or absent = every CPU. */
  cpus?: readonly number[] | null;
  /** Measurement windows: the level ends as soon as its last windows agree (see stability.ts). */
  stability?: StabilityRule;
  /** Poisson arrivals: the longest silence the schedule itself holds, s; the stall threshold grows by it. */
  scheduledQuietS?: number;
}

export interface K6LevelResult {
  exitCode: number;
  summary: unknown;
  /** Windows with VUs active and no completed request (see levelwatch.ts). */
  stalls: Stall[];
  /** Why the level was ended before its duration, or null. */
  endedEarly: string | null;
  /** Complete windows when the level was found stable and stopped; null if it never was. */
  stableAfter: number | null;
}

/** k6 exit codes that still come with a usable summary (0 = ok, 99 = thresholds crossed). */
const USABLE_EXIT = new Set([0, 99]);

export const K6_EXIT_MEANING: Record<number, string> = {
  99: "thresholds crossed",
  104: "invalid configuration",
  105: "interrupted by a signal",
  107: "script exception",
  108: "k6 could not start the test",
};

/**
 * Environment that makes k6 export its web dashboard without opening a port. The dashboard draws
 * graphs only after three aggregation periods, so the period (default 10 s) shrinks with short
 * levels to give at least four snapshots.
 */
export function webDashboardEnv(file: string, durationS: number): Record<string, string> {
  const periodS = Math.max(1, Math.min(10, Math.floor(durationS / 4)));
  return {
    K6_WEB_DASHBOARD: "true",
    K6_WEB_DASHBOARD_PORT: "-1",
    K6_WEB_DASHBOARD_PERIOD: `${periodS}s`,
    K6_WEB_DASHBOARD_EXPORT: file,
  };
}

/** k6's own warning lines, keyed by what repeats: the message without its time and error detail. */
export function warningKind(line: string): string | null {
  const m = /level=warning msg="([^"]+)"/.exec(line);
  return m ? m[1]! : null;
}

/** Prints k6's output with each kind of warning shown once, then counted; `flush` reports the counts. */
export class K6Console {
  private readonly seen = new Map<string, number>();
  private stoppedByUs = false;

  constructor(private readonly write: (line: string) => void) {}

  /** The level is being ended on purpose: k6's "aborted by an interrupt" error is then expected noise. */
  expectInterrupt(): void {
    this.stoppedByUs = true;
  }

  line(text: string): void {
    if (this.stoppedByUs && /test run was aborted because k6 received a 'interrupt' signal/.test(text)) return;
    const kind = warningKind(text);
    if (kind === null) return this.write(text);
    const n = (this.seen.get(kind) ?? 0) + 1;
    this.seen.set(kind, n);
    if (n === 1) this.write(`${text}  (repeats are counted, not shown)`);
  }

  flush(logFile: string): void {
    for (const [kind, n] of this.seen) if (n > 1) this.write(`"${kind}" ×${n} (every one in ${logFile})`);
    this.seen.clear();
  }
}

async function getJson(url: string): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(400) });
    return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** One window's figures from k6's REST API, or null while k6 has none for it. */
async function liveWindow(api: string, index: number, windowS: number): Promise<WindowFigures | null> {
  const sample = async (metric: string) =>
    ((await getJson(`${api}/v1/metrics/${encodeURIComponent(metric)}`))?.["data"] as { attributes?: { sample?: Record<string, number> } } | undefined)?.attributes?.sample;
  const [ok, latency] = await Promise.all([sample(windowOkMetric(index)), sample(windowLatencyMetric(index))]);
  const count = ok?.["count"];
  if (count === undefined || latency === undefined) return null;
  return { index, ok_requests: count, throughput_qps: count / windowS, p50_ms: latency["med"] ?? 0, p90_ms: latency["p(90)"] ?? 0, p95_ms: latency["p(95)"] ?? 0, p99_ms: 0, p999_ms: 0 };
}

/** One LiveSample from k6's REST API, or null while it is not up (or already gone). */
async function liveSample(api: string, t_ms: number): Promise<LiveSample | null> {
  const attrs = (doc: Record<string, unknown> | null | undefined) => (doc?.["data"] as { attributes?: Record<string, unknown> } | undefined)?.attributes;
  const sample = (doc: Record<string, unknown> | null | undefined) => (attrs(doc)?.["sample"] ?? {}) as Record<string, number>;
  const [reqs, ok, dur, status] = await Promise.all(["metrics/http_reqs", "metrics/ok_requests", "metrics/http_req_duration", "status"].map((p) => getJson(`${api}/v1/${p}`)));
  const vus = attrs(status)?.["vus"];
  if (typeof vus !== "number") return null;
  return { t_ms, requests: sample(reqs)["count"] ?? 0, ok: sample(ok)["count"] ?? 0, vus, median_ms: sample(dur)["med"] ?? 0 };
}

export async function runK6Level(o: K6LevelOptions): Promise<K6LevelResult> {
  const apiPort = await freePort();
  rmSync(o.summaryFile, { force: true });
  if (o.htmlReport) rmSync(o.htmlReport, { force: true });
  mkdirSync(path.dirname(o.summaryFile), { recursive: true });
  const env = (k: string, v: string | number) => ["-e", `${k}=${v}`];
  const args = [
    "run",
    "--quiet",
    "--no-usage-report",
    // k6's REST API, polled by the level watch; a free port lets runs (and tests) overlap.
    "--address",
    `127.0.0.1:${apiPort}`,
    ...env("BASE_URL", o.baseUrl),
    ...env("CONCURRENCY", o.concurrency),
    ...env("DURATION", `${o.durationS}s`),
    ...env("BATCH_SIZE", o.batchSize),
    ...env("EXPECTED_DIM", o.expectedDim),
    ...env("MAX_ERROR_RATE", o.maxErrorRate),
    ...env("REQUEST_TIMEOUT", `${o.requestTimeoutS}s`),
    ...env("FRAMEWORK", o.tags.framework),
    ...env("MODEL", o.tags.model),
    ...env("RUN_ID", o.tags.run_id),
    ...env("SUMMARY_FILE", o.summaryFile),
    ...(o.stability && o.stability.windowS > 0 ? env("WINDOW_S", o.stability.windowS) : []),
    ...Object.entries(o.extraEnv ?? {}).flatMap(([k, v]) => env(k, v)),
    ...(o.extraArgs ?? []),
    o.script,
  ];
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  const logStream = createWriteStream(o.logFile, { flags: "w" });
  const terminal = new K6Console((line) => log.plain(`    [k6] ${line}`));
  const watch = new LevelWatch(o.scheduledQuietS ? { ...DEFAULT_WATCH_LIMITS, stallMinS: DEFAULT_WATCH_LIMITS.stallMinS + o.scheduledQuietS } : DEFAULT_WATCH_LIMITS);
  let endedEarly: string | null = null;
  let stableAfter: number | null = null;
  const windows: WindowFigures[] = [];
  return new Promise((resolve, reject) => {
    const [command, argv] = withAffinity(o.k6, args, o.cpus ?? null);
    const child = spawn(command, argv, {
      env: { ...process.env, K6_NO_USAGE_REPORT: "true", ...(o.htmlReport ? webDashboardEnv(o.htmlReport, o.durationS) : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const interrupt = () => child.kill("SIGINT");
    o.signal?.addEventListener("abort", interrupt, { once: true });
    if (child.pid !== undefined) o.onStart?.(child.pid);
    const startedAt = performance.now();
    const api = `http://127.0.0.1:${apiPort}`;
    // Window i is complete once a request of window i + 1 has succeeded.
    const checkStability = async (rule: StabilityRule) => {
      const [current, next] = await Promise.all([liveWindow(api, windows.length, rule.windowS), liveWindow(api, windows.length + 1, rule.windowS)]);
      if (!current || !next || next.ok_requests === 0 || stableAfter !== null || endedEarly !== null) return;
      windows.push(current);
      if (!stableTail(windows, rule)) return;
      stableAfter = windows.length;
      log.step(`stable after ${stableAfter} windows of ${rule.windowS}s (last ${rule.windows} within ±${rule.tolerance * 100}%): ending the level`);
      terminal.expectInterrupt();
      child.kill("SIGINT");
    };
    const poller = setInterval(() => {
      if (o.stability && o.stability.windowS > 0) void checkStability(o.stability);
      void liveSample(api, performance.now() - startedAt).then((s) => {
        const reason = s && endedEarly === null ? watch.add(s) : null;
        if (reason === null) return;
        endedEarly = `${reason} at concurrency ${o.concurrency}`;
        log.warn(`ending the level early: ${endedEarly}`);
        terminal.expectInterrupt();
        child.kill("SIGINT");
      });
    }, 500);
    let tail = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      logStream.write(chunk);
      tail = (tail + text).slice(-8192);
      for (const line of text.split("\n")) if (line.trim()) terminal.line(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => reject(new Error(`cannot run k6 (${o.k6}): ${err.message}`)));
    child.on("close", (code, signal) => {
      clearInterval(poller);
      o.signal?.removeEventListener("abort", interrupt);
      terminal.flush(o.logFile);
      logStream.end();
      const exitCode = code ?? 128;
      // A level we ended ourselves still has k6's summary of what it measured.
      const usable = USABLE_EXIT.has(exitCode) || ((endedEarly !== null || stableAfter !== null) && existsSync(o.summaryFile));
      if (!usable || !existsSync(o.summaryFile)) {
        const meaning = USABLE_EXIT.has(exitCode)
          ? `no summary at ${o.summaryFile}`
          : (K6_EXIT_MEANING[exitCode] ?? (signal ? `killed by ${signal}` : "failed"));
        reject(new Error(`k6 exited with ${exitCode} (${meaning})\n${tail.trim().split("\n").slice(-15).join("\n")}`));
        return;
      }
      if (o.htmlReport && !existsSync(o.htmlReport)) log.warn(`k6 wrote no web-dashboard report at ${o.htmlReport}`);
      if (exitCode === 99) log.warn(`k6 thresholds crossed at concurrency ${o.concurrency} (error rate above ${o.maxErrorRate})`);
      resolve({ exitCode, summary: JSON.parse(readFileSync(o.summaryFile, "utf8")), stalls: watch.stalls(), endedEarly, stableAfter });
    });
  });
}
