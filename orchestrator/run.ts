// Run lifecycle per framework: prepare → start → /health → first inference → /info → verify → warmup →
// one k6 level at a time (resources sampled) → stop. The result file is rewritten atomically after
// every level, so an interrupted or failed run keeps every finished level.
import path from "node:path";
import type { DiscoveredServer } from "./config/load.ts";
import type { BenchmarkFile, ModelConfig, Profile } from "./config/schema.ts";
import { embedShapeProblem, freePort, requestJson } from "./http.ts";
import { runK6Level } from "./k6run.ts";
import { startProcess, type ServerProcess } from "./launch/process.ts";
import { prepareServer, substitute, type Vars } from "./launch/prepare.ts";
import { log } from "./log.ts";
import type { PreparedModel } from "./models/prepare.ts";
import { ResourceMonitor, type ResourceSummary } from "./monitor.ts";
import { cacheDir, ROOT } from "./paths.ts";
import { scenarioFromSummary } from "./results/map.ts";
import type { EnvironmentInfo, FrameworkResult, ScenarioResult } from "./results/schema.ts";
import { RESULT_SCHEMA_VERSION } from "./results/schema.ts";
import { saveResult } from "./results/store.ts";
import { generateTexts } from "../k6/lib/texts.ts";
import { loadProbes, verifyServer } from "./verify.ts";

export interface RunSettings {
  runId: string;
  model: PreparedModel;
  modelSpec: ModelConfig;
  profileName: string;
  profile: Profile;
  resultsDir: string;
  k6: string;
  environment: EnvironmentInfo;
  healthTimeoutS: number;
  stopTimeoutS: number;
  requestTimeoutS: number;
  maxErrorRate: number;
  monitorIntervalMs: number;
  /** Verify phase: cosine every probe embedding must reach against the reference. */
  verifyMinCosine: number;
  /** Passed to the server's threads variable when set; otherwise each server picks its default. */
  threads?: number;
  /** JSON {"texts": [...]} that k6 sends instead of its built-in texts (k6's DATASET). */
  datasetFile?: string;
  /** Exporter (InfluxDB) told about each lifecycle step; its methods report their own failures and never throw. */
  observer?: RunObserver;
  /** Save k6's web-dashboard HTML report of each level next to its summary. */
  k6Report?: boolean;
}

/** Lifecycle hooks for exporters. */
export interface RunObserver {
  /** Extra `k6 run` arguments, e.g. `--out influxdb=…`. */
  k6Args(): string[];
  /** After the first inference and /info (cold start known). */
  started(result: FrameworkResult): Promise<void>;
  /** After each level, with the monitor's samples of that level. */
  level(result: FrameworkResult, scenario: ScenarioResult, resources: Record<string, ResourceSummary>): Promise<void>;
  /** When the framework is done, whatever its status. */
  finished(result: FrameworkResult): Promise<void>;
}

/** The profile's levels, duration, batch and warmup, each replaced by its CLI override when given. */
export function applyOverrides(
  base: Profile,
  o: { levels?: number[]; duration_s?: number; batch_size?: number; warmup_requests?: number },
): Profile {
  return {
    ...base,
    concurrency_levels: (o.levels ?? base.concurrency_levels) as [number, ...number[]],
    duration_s: o.duration_s ?? base.duration_s,
    batch_size: o.batch_size ?? base.batch_size,
    warmup_requests: o.warmup_requests ?? base.warmup_requests,
  };
}

/** The run settings that come straight from config/benchmark.yaml. */
export function settingsFromBenchmark(b: BenchmarkFile): Pick<
  RunSettings,
  "healthTimeoutS" | "stopTimeoutS" | "requestTimeoutS" | "maxErrorRate" | "monitorIntervalMs" | "verifyMinCosine"
> {
  return {
    healthTimeoutS: b.health_timeout_s,
    stopTimeoutS: b.stop_timeout_s,
    requestTimeoutS: b.request_timeout_s,
    maxErrorRate: b.max_error_rate,
    monitorIntervalMs: b.monitor_interval_ms,
    verifyMinCosine: b.verify_min_cosine,
  };
}

/** Set by the Ctrl-C handler; checked between steps. */
export const interruption = { requested: false };

class FrameworkFailure extends Error {}

async function waitForHealth(url: string, proc: ServerProcess, timeoutS: number): Promise<void> {
  const deadline = performance.now() + timeoutS * 1000;
  let last = "no answer yet";
  while (performance.now() < deadline) {
    if (interruption.requested) throw new FrameworkFailure("interrupted");
    if (proc.hasExited()) {
      const { code, signal } = await proc.exited;
      throw new FrameworkFailure(`server exited before it was healthy (${signal ?? `exit ${code}`})\n${proc.logTail()}`);
    }
    try {
      const r = await requestJson(`${url}/health`, { timeoutMs: 2000 });
      if (r.status === 200) return;
      last = `HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`;
      const body = r.body as { status?: string; error?: string } | null;
      if (body?.status === "failed") throw new FrameworkFailure(`server reports model load failure: ${body.error ?? last}`);
    } catch (err) {
      if (err instanceof FrameworkFailure) throw err;
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new FrameworkFailure(`/health not 200 after ${timeoutS}s (last: ${last})\n${proc.logTail()}`);
}

export async function runFramework(server: DiscoveredServer, s: RunSettings): Promise<FrameworkResult> {
  const m = server.manifest;
  const result: FrameworkResult = {
    schema_version: RESULT_SCHEMA_VERSION,
    run_id: s.runId,
    framework: m.name,
    runtime: m.display_name,
    language: m.language,
    model_name: s.model.key,
    synthetic_weights: s.model.synthetic,
    server_url: "",
    status: "running",
    failure: null,
    profile: s.profileName,
    dataset: s.datasetFile ?? "builtin",
    first_inference_ms: null,
    cold_start_ms: null,
    model_load_time_ms: null,
    verification: null,
    server_info: null,
    final_server_info: null,
    environment: s.environment,
    scenarios: {},
    started_at: new Date().toISOString(),
    finished_at: null,
  };
  const save = () => saveResult(s.resultsDir, result);
  save();
  let proc: ServerProcess | undefined;
  try {
    const baseVars: Vars = { server_dir: server.dir, model_dir: s.model.dir, cache_dir: cacheDir(), root: ROOT };
    const vars = await prepareServer(server, baseVars);
    if (interruption.requested) throw new FrameworkFailure("interrupted");

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    result.server_url = url;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      MODEL_DIR: s.model.dir,
      PYTHONUNBUFFERED: "1",
      ...Object.fromEntries(Object.entries(m.start.env).map(([k, v]) => [k, substitute(v, vars)])),
    };
    if (s.threads !== undefined) env[m.threads_env] = String(s.threads);
    const [cmd, ...args] = m.start.command.map((c) => substitute(c, vars));
    const logFile = path.join(s.resultsDir, s.model.key, "logs", `${m.name}.log`);
    log.step(`${m.name}: starting on ${url} (log: ${path.relative(process.cwd(), logFile)})`);
    proc = startProcess({ command: cmd!, args, cwd: server.dir, env, logFile });
    await waitForHealth(url, proc, s.healthTimeoutS);

    // The first request is a probe, so "first correct embedding" is checked against the reference.
    const probes = loadProbes(s.model.dir);
    const probe = probes.texts[0];
    const first = await requestJson(`${url}/embed`, { method: "POST", body: { texts: [probe], normalize: true }, timeoutMs: s.requestTimeoutS * 1000 });
    const coldStartMs = performance.now() - proc.startedAt;
    const problem = embedShapeProblem(first, 1, s.modelSpec.embedding_dim);
    if (problem) throw new FrameworkFailure(`first /embed is wrong: ${problem}`);
    result.first_inference_ms = Number(first.ms.toFixed(3));
    const info = await requestJson(`${url}/info`);
    result.server_info = info.status === 200 && typeof info.body === "object" ? (info.body as Record<string, unknown>) : null;
    const loadMs = result.server_info?.["model_load_time_ms"];
    result.model_load_time_ms = typeof loadMs === "number" ? Number(loadMs.toFixed(1)) : null;

    result.verification = await verifyServer(url, probes, { minCosine: s.verifyMinCosine, timeoutMs: s.requestTimeoutS * 1000 });
    save();
    if (!result.verification.passed) throw new FrameworkFailure(`verification failed, not benchmarked: ${result.verification.reason}`);
    // Only now is the first embedding known to be correct.
    result.cold_start_ms = Number(coldStartMs.toFixed(1));
    await s.observer?.started(result);
    log.step(
      `${m.name}: healthy and verified (min cosine ${result.verification.min_cosine?.toFixed(6)} over ${probes.texts.length} probes); ` +
        `cold start ${result.cold_start_ms} ms, model load ${result.model_load_time_ms ?? "?"} ms, first inference ${result.first_inference_ms.toFixed(1)} ms`,
    );

    const warmTexts = generateTexts(Math.max(1, s.profile.warmup_requests), 24, 11);
    for (let i = 0; i < s.profile.warmup_requests; i++) {
      if (interruption.requested) throw new FrameworkFailure("interrupted");
      const batch = Array.from({ length: s.profile.batch_size }, (_, j) => warmTexts[(i + j) % warmTexts.length]!);
      const r = await requestJson(`${url}/embed`, { method: "POST", body: { texts: batch }, timeoutMs: s.requestTimeoutS * 1000 });
      if (r.status !== 200) throw new FrameworkFailure(`warmup request ${i + 1} failed: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    log.step(`${m.name}: warmup done (${s.profile.warmup_requests} requests, discarded)`);

    for (const [i, concurrency] of s.profile.concurrency_levels.entries()) {
      if (interruption.requested) throw new FrameworkFailure("interrupted");
      if (i > 0 && s.profile.pause_between_levels_s > 0) await new Promise((r) => setTimeout(r, s.profile.pause_between_levels_s * 1000));
      log.step(`${m.name}: level ${i + 1}/${s.profile.concurrency_levels.length}: ${concurrency} VUs for ${s.profile.duration_s}s`);
      const monitor = new ResourceMonitor(s.monitorIntervalMs);
      monitor.watch("server", proc.pid);
      monitor.start();
      const startedAt = new Date();
      let level;
      let resources;
      const k6Files = path.join(s.resultsDir, s.model.key, "k6", `${m.name}-c${concurrency}`);
      try {
        level = await runK6Level({
          k6: s.k6,
          script: path.join(ROOT, "build", "embed.js"),
          baseUrl: url,
          concurrency,
          durationS: s.profile.duration_s,
          batchSize: s.profile.batch_size,
          expectedDim: s.modelSpec.embedding_dim,
          maxErrorRate: s.maxErrorRate,
          requestTimeoutS: s.requestTimeoutS,
          tags: { framework: m.name, model: s.model.key, run_id: s.runId },
          summaryFile: `${k6Files}.summary.json`,
          htmlReport: s.k6Report ? `${k6Files}.report.html` : undefined,
          extraArgs: s.observer?.k6Args(),
          onStart: (pid) => monitor.watch("client", pid),
          ...(s.datasetFile ? { extraEnv: { DATASET: s.datasetFile } } : {}),
        });
      } finally {
        resources = monitor.stop();
      }
      if (proc.hasExited()) throw new FrameworkFailure(`server died during concurrency ${concurrency}\n${proc.logTail()}`);
      const scenario = scenarioFromSummary(level.summary, {
        concurrency,
        batchSize: s.profile.batch_size,
        k6ExitCode: level.exitCode,
        startedAt,
        server: resources["server"]!,
        client: resources["client"] ?? { cpu_percent: 0, memory_mb: 0, memory_peak_mb: 0, samples: [] },
      });
      result.scenarios[scenario.scenario_name] = scenario;
      save();
      await s.observer?.level(result, scenario, resources);
      log.step(
        `${m.name}: c=${concurrency}: ${scenario.throughput_qps.toFixed(1)} req/s, p50 ${scenario.latency_ms.median.toFixed(2)} ms, ` +
          `p95 ${scenario.latency_ms.p95.toFixed(2)} ms, errors ${scenario.errors}, server CPU ${scenario.server_cpu_percent.toFixed(0)}%`,
      );
    }
    const finalInfo = await requestJson(`${url}/info`);
    result.final_server_info = finalInfo.status === 200 ? (finalInfo.body as Record<string, unknown>) : null;
    result.status = "completed";
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    result.status = interruption.requested ? "interrupted" : "failed";
    result.failure = message;
    log.error(`${m.name}: ${message}`);
  } finally {
    if (proc) await proc.stop(s.stopTimeoutS);
    result.finished_at = new Date().toISOString();
    save();
    await s.observer?.finished(result);
  }
  return result;
}
