// wrk (Debian's package) as the reference client of `npm run bench:engine`: a C load generator with
// a LuaJIT hook, about the cheapest HTTP/1.1 keep-alive client there is. One thread (one core) with
// N connections, each sending its next request when its last is answered (a closed loop, like the
// engines' VUs). A Lua `done()` prints the run's figures as one JSON line, so nothing is scraped
// from wrk's human report. wrk checks nothing in an answer beyond its status (non-2xx/3xx are
// counted as status errors); that is what makes it the ceiling to compare with.
import { spawn, execFileSync } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { withAffinity } from "../../orchestrator/platform/affinity.ts";
import { onPath } from "../../orchestrator/launch/system.ts";

/** The marker of the line `done()` prints. */
export const WRK_MARKER = "WRK_JSON ";

/** What wrk measured: its counts, its duration, and latency percentiles (wrk keeps µs). */
export interface WrkFigures {
  requests: number;
  durationS: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** requests ÷ duration. */
  rps: number;
}

/**
 * The Lua script: POST `path` with `bodies` in turn (one shared counter, the same order the
 * engine's texts come in), and a `done()` that prints the figures. Bodies are built once, in
 * init; the per-request hook only picks the next.
 */
export function wrkScript(path: string, bodies: readonly string[]): string {
  const long = (s: string) => {
    let eq = "=";
    while (s.includes(`]${eq}]`)) eq += "=";
    return `[${eq}[${s}]${eq}]`;
  };
  const lines = ["-- written by scripts/engine-bench/wrk.ts", 'wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"'];
  if (bodies.length === 1) {
    // One body: wrk's static request, its fastest mode (no Lua per request).
    lines.push(`wrk.path = ${long(path)}`, `wrk.body = ${long(bodies[0]!)}`);
  } else {
    lines.push(
      `local bodies = {\n${bodies.map((b) => `  ${long(b)},`).join("\n")}\n}`,
      "local requests = {}",
      "local n = #bodies",
      "local i = 0",
      "init = function(args)",
      `  for k = 1, n do requests[k] = wrk.format("POST", ${long(path)}, nil, bodies[k]) end`,
      "end",
      "request = function()",
      "  i = i + 1",
      "  return requests[(i - 1) % n + 1]",
      "end",
    );
  }
  lines.push(
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    `  io.write(string.format('${WRK_MARKER}{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},` +
      `"latency_us":{"mean":%.3f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\\n',`,
    "    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,",
    "    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))",
    "end",
    "",
  );
  return lines.join("\n");
}

/** The figures from wrk's output (the `done()` line); throws when it is missing or malformed. */
export function parseWrkOutput(output: string): WrkFigures {
  const line = output.split("\n").find((l) => l.startsWith(WRK_MARKER));
  if (line === undefined) throw new Error(`wrk printed no ${WRK_MARKER.trim()} line:\n${output.trim().split("\n").slice(-15).join("\n")}`);
  const d = JSON.parse(line.slice(WRK_MARKER.length)) as {
    requests: number;
    duration_us: number;
    bytes: number;
    errors: WrkFigures["errors"];
    latency_us: { mean: number; p50: number; p90: number; p99: number; max: number };
  };
  const ms = (us: number) => Number((us / 1000).toFixed(3));
  const durationS = d.duration_us / 1e6;
  return {
    requests: d.requests,
    durationS: Number(durationS.toFixed(3)),
    bytes: d.bytes,
    errors: d.errors,
    latencyMs: { mean: ms(d.latency_us.mean), p50: ms(d.latency_us.p50), p90: ms(d.latency_us.p90), p99: ms(d.latency_us.p99), max: ms(d.latency_us.max) },
    rps: durationS > 0 ? Number((d.requests / durationS).toFixed(1)) : 0,
  };
}

/** Failed requests as wrk counts them: socket errors, timeouts and non-2xx/3xx answers. */
export const wrkErrors = (f: WrkFigures) => f.errors.connect + f.errors.read + f.errors.write + f.errors.status + f.errors.timeout;

/** `wrk debian/4.1.0-3+b2 [epoll]`: the first line of `wrk -v` (which exits 1) up to its copyright. */
export function wrkVersion(bin: string): string {
  let out: string;
  try {
    out = execFileSync(bin, ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? "");
  }
  return (
    out
      .split("\n")[0]!
      .replace(/\s*Copyright.*$/, "")
      .trim() || "wrk (version unknown)"
  );
}

export const wrkPath = () => onPath("wrk");

export interface WrkRun {
  url: string;
  /** A Lua file from wrkScript. */
  scriptFile: string;
  connections: number;
  durationS: number;
  timeoutS: number;
  cpus: readonly number[] | null;
  /** Everything wrk prints. */
  logFile: string;
  onStart(pid: number): void;
  signal: AbortSignal;
}

/** Runs wrk once (one thread, pinned), resolves its figures. */
export function runWrk(bin: string, r: WrkRun): Promise<WrkFigures> {
  const args = ["-t1", `-c${r.connections}`, `-d${r.durationS}s`, `--timeout`, `${r.timeoutS}s`, "-s", r.scriptFile, r.url];
  const [command, argv] = withAffinity(bin, args, r.cpus);
  const log = createWriteStream(r.logFile, { flags: "w" });
  log.write(`${command} ${argv.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const keep = (c: Buffer) => {
      out += c.toString();
      log.write(c);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    // wrk prints its figures (and calls done()) on SIGINT too.
    const onAbort = () => child.kill("SIGINT");
    r.signal.addEventListener("abort", onAbort, { once: true });
    child.on("spawn", () => child.pid !== undefined && r.onStart(child.pid));
    child.on("error", (err) => reject(new Error(`cannot run wrk: ${err.message}`)));
    child.on("close", (code, signal) => {
      r.signal.removeEventListener("abort", onAbort);
      log.end();
      if (code !== 0) return reject(new Error(`wrk exited with ${signal ?? `code ${code}`}:\n${out.trim().split("\n").slice(-15).join("\n")}`));
      try {
        resolve(parseWrkOutput(out));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

/** Writes the Lua script for `bodies` to `file`. */
export function writeWrkScript(file: string, path: string, bodies: readonly string[]): string {
  writeFileSync(file, wrkScript(path, bodies));
  return file;
}
