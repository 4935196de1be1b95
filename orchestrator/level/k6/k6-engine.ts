// The k6 engine: a k6 the user installed (level/k6/find.ts) runs the bundled scenario
// (build/embed.js, from k6/embed.ts), one process per level. Live figures come from k6's REST API,
// polled twice a second; the level's figures from its handleSummary document (summary.ts).
import { spawn } from "node:child_process";
import { crashMessage } from "../crash.ts";
import { guard, release } from "../../platform/reaper.ts";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../platform/http.ts";
import { withAffinity } from "../../platform/affinity.ts";
import { log } from "../../platform/log.ts";
import { ROOT } from "../../platform/paths.ts";
import { windowLatencyMetric, windowOkMetric } from "../../../scenario/windows.ts";
import type { LevelOutcome, LevelSpec, LiveSample, WindowReport } from "../../plan/level-spec.ts";
import type { EngineHooks, LoadEngine } from "../load-engine.ts";
import type { K6Binary } from "./find.ts";
import { outcomeFromK6Summary } from "./k6-summary.ts";
import { toVariables } from "../../plan/level-key.ts";

/** k6 exit codes that still come with a usable summary (0 = ok, 99 = thresholds crossed). */
const USABLE_EXIT = new Set([0, 99]);

/** k6's exit codes (its errext/exitcodes package), for the message when a level gives no summary. */
export const K6_EXIT_MEANING: Record<number, string> = {
  99: "thresholds crossed",
  100: "setup() timed out",
  101: "teardown() timed out",
  103: "engine error",
  104: "invalid configuration",
  105: "interrupted by a signal",
  106: "cannot start its REST API",
  107: "script exception",
  108: "the script aborted the test (test.abort())",
  109: "k6 panicked",
  110: "marked as failed",
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
    if (kind === null) {
      this.write(text);
      return;
    }
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
async function liveWindow(api: string, index: number, windowS: number): Promise<WindowReport | null> {
  const sample = async (metric: string) =>
    ((await getJson(`${api}/v1/metrics/${encodeURIComponent(metric)}`))?.["data"] as { attributes?: { sample?: Record<string, number> } } | undefined)
      ?.attributes?.sample;
  const [ok, latency] = await Promise.all([sample(windowOkMetric(index)), sample(windowLatencyMetric(index))]);
  const count = ok?.["count"];
  if (count === undefined || latency === undefined) return null;
  return {
    index,
    ok_requests: count,
    throughput_qps: count / windowS,
    p50_ms: latency["med"] ?? 0,
    p90_ms: latency["p(90)"] ?? 0,
    p95_ms: latency["p(95)"] ?? 0,
    p99_ms: 0,
    p999_ms: 0,
    histogram: null,
  };
}

/** One LiveSample from k6's REST API, or null while it is not up (or already gone). */
async function liveSample(api: string, t_ms: number): Promise<LiveSample | null> {
  const attrs = (doc: Record<string, unknown> | null | undefined) => (doc?.["data"] as { attributes?: Record<string, unknown> } | undefined)?.attributes;
  const sample = (doc: Record<string, unknown> | null | undefined) => (attrs(doc)?.["sample"] ?? {}) as Record<string, number>;
  const [reqs, ok, dur, status] = await Promise.all(
    ["metrics/http_reqs", "metrics/ok_requests", "metrics/http_req_duration", "status"].map((p) => getJson(`${api}/v1/${p}`)),
  );
  const vus = attrs(status)?.["vus"];
  if (typeof vus !== "number") return null;
  return { t_ms, requests: sample(reqs)["count"] ?? 0, ok: sample(ok)["count"] ?? 0, vus, median_ms: sample(dur)["med"] ?? 0 };
}

export class K6Engine implements LoadEngine {
  readonly name = "k6" as const;
  readonly version: string;

  /** `outputs`: extra `k6 run` arguments, such as `--out influxdb=…`. */
  constructor(
    private readonly k6: K6Binary,
    private readonly outputs: readonly string[] = [],
    private readonly script = path.join(ROOT, "build", "embed.js"),
  ) {
    this.version = k6.version;
  }

  async runLevel(spec: LevelSpec, hooks: EngineHooks, stop: AbortSignal): Promise<LevelOutcome> {
    const apiPort = await freePort();
    const { files } = spec;
    rmSync(files.summary, { force: true });
    if (files.report) rmSync(files.report, { force: true });
    mkdirSync(path.dirname(files.summary), { recursive: true });
    mkdirSync(path.dirname(files.log), { recursive: true });
    const args = [
      "run",
      "--quiet",
      "--no-usage-report",
      // k6's REST API, polled for live figures; a free port lets runs (and tests) overlap.
      "--address",
      `127.0.0.1:${apiPort}`,
      ...Object.entries(toVariables(spec)).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      ...this.outputs,
      this.script,
    ];
    const logStream = createWriteStream(files.log, { flags: "w" });
    const terminal = new K6Console((line) => log.plain(`    [k6] ${line}`));
    const api = `http://127.0.0.1:${apiPort}`;
    const windows: WindowReport[] = [];
    return new Promise((resolve, reject) => {
      const [command, argv] = withAffinity(this.k6.path, args, spec.cpus);
      const child = spawn(command, argv, {
        env: { ...process.env, K6_NO_USAGE_REPORT: "true", ...(files.report ? webDashboardEnv(files.report, spec.durationS) : {}) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const onStop = () => {
        terminal.expectInterrupt();
        child.kill("SIGINT");
      };
      stop.addEventListener("abort", onStop, { once: true });
      if (child.pid !== undefined) {
        // Should this process die mid-level, SIGKILL included, k6 dies with it (platform/reaper.ts).
        guard({ pid: child.pid });
        hooks.onStart(child.pid);
      }
      const startedAt = performance.now();
      // Window i is complete once a request of window i + 1 has succeeded.
      const nextWindow = async () => {
        const [current, next] = await Promise.all([liveWindow(api, windows.length, spec.windowS), liveWindow(api, windows.length + 1, spec.windowS)]);
        if (!current || !next || next.ok_requests === 0 || stop.aborted || current.index !== windows.length) return;
        windows.push(current);
        hooks.onWindow(current);
      };
      const poller = setInterval(() => {
        if (spec.windowS > 0) void nextWindow();
        void liveSample(api, performance.now() - startedAt).then((s) => s && !stop.aborted && hooks.onSample(s));
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
      child.on("error", (err) => reject(new Error(`cannot run k6 (${this.k6.path}): ${err.message}`)));
      child.on("close", (code, signal) => {
        if (child.pid !== undefined) release({ pid: child.pid });
        clearInterval(poller);
        stop.removeEventListener("abort", onStop);
        terminal.flush(files.log);
        logStream.end();
        const exitCode = code ?? 128;
        // A level ended on purpose still has k6's summary of what it measured.
        const usable = (USABLE_EXIT.has(exitCode) || stop.aborted) && existsSync(files.summary);
        if (!usable) {
          const meaning = USABLE_EXIT.has(exitCode)
            ? `no summary at ${files.summary}`
            : (K6_EXIT_MEANING[exitCode] ?? (signal ? `killed by ${signal}` : "failed"));
          reject(new Error(crashMessage(`k6 exited with ${exitCode} (${meaning})`, tail, files.log)));
          return;
        }
        if (files.report && !existsSync(files.report)) log.warn(`k6 wrote no web-dashboard report at ${files.report}`);
        const raw: unknown = JSON.parse(readFileSync(files.summary, "utf8"));
        resolve(outcomeFromK6Summary(raw, { version: this.version, windowS: spec.windowS, durationS: spec.durationS, open: spec.load.mode === "open" }));
      });
    });
  }
}
