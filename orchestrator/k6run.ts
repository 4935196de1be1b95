// Runs one k6 level (one process per level, so each level has its own summary and client samples).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
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
  /** Also export k6's web dashboard (the former xk6-dashboard) as a self-contained HTML file here. */
  htmlReport?: string;
  /** Extra `k6 run` arguments (outputs such as --out influxdb=…). */
  extraArgs?: readonly string[];
  extraEnv?: Record<string, string>;
  onStart?: (pid: number) => void;
  /** Aborting it asks k6 to stop (SIGINT): k6 still writes the summary of what it measured. */
  signal?: AbortSignal;
}

export interface K6LevelResult {
  exitCode: number;
  summary: unknown;
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

export function runK6Level(o: K6LevelOptions): Promise<K6LevelResult> {
  rmSync(o.summaryFile, { force: true });
  if (o.htmlReport) rmSync(o.htmlReport, { force: true });
  mkdirSync(path.dirname(o.summaryFile), { recursive: true });
  const env = (k: string, v: string | number) => ["-e", `${k}=${v}`];
  const args = [
    "run",
    "--quiet",
    "--no-usage-report",
    // k6's REST API would bind localhost:6565; a random port lets runs (and tests) overlap.
    "--address",
    "127.0.0.1:0",
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
    ...Object.entries(o.extraEnv ?? {}).flatMap(([k, v]) => env(k, v)),
    ...(o.extraArgs ?? []),
    o.script,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(o.k6, args, {
      env: { ...process.env, K6_NO_USAGE_REPORT: "true", ...(o.htmlReport ? webDashboardEnv(o.htmlReport, o.durationS) : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const interrupt = () => child.kill("SIGINT");
    o.signal?.addEventListener("abort", interrupt, { once: true });
    if (child.pid !== undefined) o.onStart?.(child.pid);
    let tail = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-8192);
      for (const line of text.split("\n")) if (line.trim()) process.stderr.write(`    [k6] ${line}\n`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => reject(new Error(`cannot run k6 (${o.k6}): ${err.message}`)));
    child.on("close", (code, signal) => {
      o.signal?.removeEventListener("abort", interrupt);
      const exitCode = code ?? 128;
      if (!USABLE_EXIT.has(exitCode) || !existsSync(o.summaryFile)) {
        const meaning = USABLE_EXIT.has(exitCode)
          ? `no summary at ${o.summaryFile}`
          : (K6_EXIT_MEANING[exitCode] ?? (signal ? `killed by ${signal}` : "failed"));
        reject(new Error(`k6 exited with ${exitCode} (${meaning})\n${tail.trim().split("\n").slice(-15).join("\n")}`));
        return;
      }
      if (o.htmlReport && !existsSync(o.htmlReport)) log.warn(`k6 wrote no web-dashboard report at ${o.htmlReport}`);
      if (exitCode === 99) log.warn(`k6 thresholds crossed at concurrency ${o.concurrency} (error rate above ${o.maxErrorRate})`);
      resolve({ exitCode, summary: JSON.parse(readFileSync(o.summaryFile, "utf8")) });
    });
  });
}
