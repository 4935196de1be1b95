// One framework's run, as named phases: (with --layout auto, probe the candidate layouts) → start →
// first inference → verify → warmup → levels, and stop whatever happens. A server given by --url
// runs the same phases between its own start and stop (orchestrator/external.ts). The result file
// is rewritten atomically after every phase and level, so an interrupted or failed run keeps every
// finished level.
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { DiscoveredServer } from "./config/load.ts";
import type { BenchmarkFile, LayoutProbeConfig, ModelConfig, Precision, Profile, VerifyTolerances } from "./config/schema.ts";
import { embedVia, manifestApi, shapeProblem, type ApiTarget } from "./api.ts";
import { requestJson } from "./http.ts";
import { UserError } from "./errors.ts";
import { allowedCpus, type CpuSets } from "./launch/cpus.ts";
import { startHealthyServer, type LaunchedServer, type LauncherSettings } from "./launch/launcher.ts";
import { FrameworkSkipped } from "./launch/system.ts";
import { candidateLayouts, chooseLayout, describeTried, layoutName, probeConcurrency, triedOf, type Layout } from "./layoutprobe.ts";
import { log } from "./log.ts";
import type { PreparedModel } from "./models/prepare.ts";
import { ResourceMonitor, type ResourceSummary, type UsageSource } from "./monitor.ts";
import { ROOT } from "./paths.ts";
import type { Progress } from "./progress.ts";
import { atFinish, describeEnvironment } from "./results/environment.ts";
import type { ResultsLayout } from "./results/layout.ts";
import { flagWords } from "./results/validity.ts";
import type { EnvironmentInfo, FrameworkResult, LayoutProbe, LayoutTried, ScenarioResult } from "./results/schema.ts";
import { RESULT_SCHEMA_VERSION } from "./results/schema.ts";
import { generateTexts } from "../scenario/texts.ts";
import { vuSizing } from "../scenario/openloop.ts";
import { closedLevel, levelKey, openLevel, type LevelId } from "./plan/level-key.ts";
import { driveLevel } from "./level/drive.ts";
import type { LevelSpec, LiveSample } from "./plan/level-spec.ts";
import type { LoadEngine } from "./level/engine.ts";
import { scenarioFromLevel } from "./level/result.ts";
import { longestQuiet, scheduledArrivals } from "../scenario/arrivals.ts";
import { searchCapacity, sloVerdict, type Slo } from "./slo.ts";
import { loadProbes, verifyServer } from "./verify.ts";

/** Limits and tolerances of every run, from config/benchmark.yaml. */
export interface RunLimits {
  healthTimeoutS: number;
  stopTimeoutS: number;
  requestTimeoutS: number;
  maxErrorRate: number;
  monitorIntervalMs: number;
  /** Verify phase: cosine every probe embedding must reach against the reference, by precision. */
  verifyMinCosine: VerifyTolerances;
}

export function limitsFromBenchmark(b: BenchmarkFile): RunLimits {
  return {
    healthTimeoutS: b.health_timeout_s,
    stopTimeoutS: b.stop_timeout_s,
    requestTimeoutS: b.request_timeout_s,
    maxErrorRate: b.max_error_rate,
    monitorIntervalMs: b.monitor_interval_ms,
    verifyMinCosine: b.verify_min_cosine,
  };
}

/** What every framework of one run shares. */
export interface RunContext {
  runId: string;
  profileName: string;
  profile: Profile;
  model: PreparedModel;
  modelSpec: ModelConfig;
  /** JSON {"texts": [...]} that k6 sends instead of its built-in texts (k6's DATASET). */
  datasetFile?: string;
  layout: ResultsLayout;
  /** Drives every level: the embedded engine or a k6 the user installed. */
  engine: LoadEngine;
  environment: EnvironmentInfo;
  limits: RunLimits;
  /** Passed to every server's threads variable when set; otherwise each server picks its default. */
  threads?: number;
  /** Passed to every server's workers variable (--layout TxW); otherwise each server picks its default. */
  workers?: number;
  /** --layout auto: each framework probes its candidate layouts before its sweep. */
  layoutProbe?: LayoutProbePlan;
  /** Set while one layout is probed: its files go under layout-probe/, and it writes no result file. */
  probing?: Layout;
  /** Where the server and the load engine run (kernel affinity), recorded in every result's environment. */
  cpuSets: CpuSets;
  /** Local processes or containers (--launcher). */
  launcher: LauncherSettings;
  /** --slo: after the sweep, search each framework's capacity at this objective. */
  slo?: Slo;
  /** Save k6's web-dashboard HTML report of each level next to its summary (k6 engine only). */
  k6Report: boolean;
  /** Exporter (InfluxDB) told about each lifecycle step; its methods report their own failures and never throw. */
  observer?: RunObserver;
  /** Ctrl-C: the current phase stops, the server is stopped, finished levels stay saved. */
  signal: AbortSignal;
  /** With --trials N > 1, which trial this is (1-based): its result goes to the trials folder. */
  trial?: number;
  /** Told when the server is ready and when each level starts (the progress line). */
  progress?: Pick<Progress, "serverReady" | "levelStarted">;
}

/** How --layout auto probes, and what it chose for each framework (later trials reuse the first's choice). */
export interface LayoutProbePlan {
  concurrency: number;
  durationS: number;
  tieTolerance: number;
  chosen: Map<string, LayoutProbe>;
}

/** Lifecycle hooks for exporters. */
export interface RunObserver {
  /** Extra `k6 run` arguments when k6 drives the levels, e.g. `--out influxdb=…`. */
  k6Args(): string[];
  /** Each live sample of a level (every 500 ms), for the live dashboard. */
  sample(result: FrameworkResult, level: LevelId, sample: LiveSample): void;
  /** After the first inference and /info (cold start known). */
  started(result: FrameworkResult): Promise<void>;
  /** After each level, with the monitor's samples of that level. */
  level(result: FrameworkResult, scenario: ScenarioResult, resources: Record<string, ResourceSummary>): Promise<void>;
  /** When the framework is done, whatever its status. */
  finished(result: FrameworkResult): Promise<void>;
}

/** `<prefix>YYYYMMDD-HHMMSS-<4 hex>`: sortable by start time, unique across parallel runs. */
export function newRunId(prefix = ""): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${prefix}${t}-${randomBytes(2).toString("hex")}`;
}

type RunParts = Omit<RunContext, "environment" | "limits" | "layoutProbe" | "probing"> & {
  benchmark: BenchmarkFile;
  argv: readonly string[];
  /** --layout auto */
  autoLayout?: boolean;
};

function layoutProbePlan(config: LayoutProbeConfig, profile: Profile): LayoutProbePlan {
  return {
    concurrency: probeConcurrency(profile.concurrency_levels, config.max_concurrency),
    durationS: config.duration_s,
    tieTolerance: config.tie_tolerance,
    chosen: new Map(),
  };
}

/** A run's context: the environment and limits every result records. */
export function newRunContext({ benchmark, argv, autoLayout, ...parts }: RunParts): RunContext {
  const limits = limitsFromBenchmark(benchmark);
  const config = {
    profile: parts.profile,
    limits,
    cpuSets: parts.cpuSets,
    model: parts.model.key,
    dataset: parts.datasetFile ?? null,
    threads: parts.threads ?? null,
    workers: parts.workers ?? null,
    ...(autoLayout ? { layout_probe: benchmark.layout_probe } : {}),
    ...(parts.slo ? { slo: parts.slo.text } : {}),
    // A container run is a different configuration; a process run hashes as it always did.
    ...(parts.launcher.kind === "process" ? {} : { launcher: parts.launcher }),
  };
  const environment = describeEnvironment({ engine: { name: parts.engine.name, version: parts.engine.version }, cpuSets: parts.cpuSets, argv, config });
  const layoutProbe = autoLayout ? { layoutProbe: layoutProbePlan(benchmark.layout_probe, parts.profile) } : {};
  return { ...parts, ...layoutProbe, environment, limits };
}

/** The profile's levels, duration, batch, warmup, trials, window and load mode, each replaced by its CLI override when given. */
export function applyOverrides(
  base: Profile,
  o: { levels?: number[]; duration_s?: number; batch_size?: number; warmup_requests?: number; trials?: number; window_s?: number; mode?: Profile["mode"]; rates?: number[]; arrivals?: Profile["arrivals"]; slo?: string; slo_steps?: number },
): Profile {
  const mode = o.mode ?? base.mode;
  const rates = o.rates ?? base.rates_rps;
  if (mode === "open" && rates === undefined) throw new UserError("--mode open needs --rates (requests per second per level), or a profile with rates_rps");
  if (mode === "closed" && o.rates !== undefined) throw new UserError("--rates needs --mode open (or a profile with mode: open): closed-loop levels are --levels");
  if (mode === "open" && o.levels !== undefined) throw new UserError("--levels sets closed-loop levels; this sweep is open loop (--mode open or the profile's mode): give --rates");
  if (o.arrivals !== undefined && mode !== "open" && o.slo === undefined) throw new UserError("--arrivals applies to open-loop levels: give --mode open --rates (or --slo)");
  if (mode === "open" && o.window_s !== undefined) throw new UserError("--window-s applies to closed-loop levels; an open-loop level always runs its whole duration");
  return {
    ...base,
    concurrency_levels: (o.levels ?? base.concurrency_levels) as [number, ...number[]],
    duration_s: o.duration_s ?? base.duration_s,
    batch_size: o.batch_size ?? base.batch_size,
    warmup_requests: o.warmup_requests ?? base.warmup_requests,
    trials: o.trials ?? base.trials,
    window_s: o.window_s ?? base.window_s,
    slo_max_steps: o.slo_steps ?? base.slo_max_steps,
    arrivals: o.arrivals ?? base.arrivals,
    mode,
    ...(rates ? { rates_rps: rates as [number, ...number[]] } : {}),
  };
}

/** A server that answers, as the phases after start see it: the suite's own or one given by --url. */
export interface Target {
  url: string;
  api: ApiTarget;
  /** What each level measures the CPU and memory of (a process tree's root pid, or a container's stats); null: not measured. */
  usage: UsageSource | null;
  /** performance.now() when the suite started the process; null when it did not (no cold start then). */
  startedAt: number | null;
  /** The process the suite watches has ended. */
  hasExited(): boolean;
  /** Its last log lines, for error messages ("" when the suite has none). */
  logTail(): string;
}

/** The profile's levels in order: its concurrency levels (closed loop) or its rates (open loop). */
export function levelsOf(p: Profile): LevelId[] {
  return p.mode === "open" ? (p.rates_rps ?? []).map(openLevel) : p.concurrency_levels.map(closedLevel);
}

/**
 * Measurement windows apply to closed loop only. An open-loop level has a fixed offered rate, so
 * ending it early once its windows agree would hide the slow build-up of a queue at a rate just
 * above capacity; it always runs its whole duration.
 */
export const windowSOf = (p: Profile) => (p.mode === "open" ? 0 : p.window_s);

/** One framework in one run: the phases' shared state. */
export interface FrameworkRun {
  run: RunContext;
  /** The framework's name in logs and results. */
  name: string;
  /** Sets the verify tolerance. */
  precision: Precision;
  result: FrameworkResult;
  files: FrameworkFiles;
  save(): void;
}

/** Where one framework's run writes. */
interface FrameworkFiles {
  serverLog: string;
  /** The load engine's files of a level. */
  level(level: LevelId): { summary: string; log: string; report: string };
  save(result: FrameworkResult): void;
}

export function filesOf(run: RunContext, framework: string): FrameworkFiles {
  const { layout, model, trial } = run;
  if (run.probing) {
    // The probe's figures go into the framework's result (layout_probe); its logs stay apart.
    const p = layout.probeFiles(model.key, framework, layoutName(run.probing));
    return { serverLog: p.serverLog, level: () => p.level, save: () => {} };
  }
  return {
    serverLog: layout.serverLog(model.key, framework, trial),
    level: (level) => layout.levelFiles(model.key, framework, level, trial),
    save: (result) => void layout.saveResult(result, trial),
  };
}

export function newResult(who: Pick<FrameworkResult, "framework" | "runtime" | "language" | "api">, run: RunContext): FrameworkResult {
  return {
    schema_version: RESULT_SCHEMA_VERSION,
    run_id: run.runId,
    ...who,
    model_name: run.model.key,
    synthetic_weights: run.model.synthetic,
    server_url: "",
    status: "running",
    failure: null,
    profile: run.profileName,
    dataset: run.datasetFile ?? "builtin",
    first_inference_ms: null,
    cold_start_ms: null,
    model_load_time_ms: null,
    verification: null,
    server_info: null,
    final_server_info: null,
    environment: run.environment,
    scenarios: {},
    started_at: new Date().toISOString(),
    finished_at: null,
  };
}

async function startPhase(fw: FrameworkRun, server: DiscoveredServer): Promise<LaunchedServer> {
  const { run } = fw;
  const logFile = fw.files.serverLog;
  const launched = await startHealthyServer(
    {
      server,
      modelDir: run.model.dir,
      logFile,
      signal: run.signal,
      cpus: run.cpuSets.server,
      launcher: run.launcher,
      ...(run.threads !== undefined ? { threads: run.threads } : {}),
      ...(run.workers !== undefined ? { workers: run.workers } : {}),
    },
    { timeoutS: run.limits.healthTimeoutS },
    run.limits.stopTimeoutS,
  );
  fw.result.server_url = launched.url;
  fw.result.launch = launched.launch;
  log.step(`${server.manifest.name}: started on ${launched.url} (log: ${path.relative(process.cwd(), logFile)})`);
  return launched;
}

/** A server the suite started, as the phases see it. */
function launchedTarget(s: LaunchedServer, server: DiscoveredServer): Target {
  return { url: s.url, api: manifestApi(server.manifest.api), usage: s.usage, startedAt: s.startedAt, hasExited: () => s.hasExited(), logTail: () => s.logTail() };
}

const msOrWhy = (ms: number | null, why: string) => (ms === null ? why : `${ms} ms`);

/** The first request is a probe, so "first correct embedding" is checked against the reference. */
async function firstInferencePhase(fw: FrameworkRun, s: Target): Promise<number | null> {
  const { run, result } = fw;
  const probe = loadProbes(run.model.dir).texts.slice(0, 1);
  const first = await embedVia(s.api, s.url, probe, run.limits.requestTimeoutS * 1000, run.signal);
  const coldStartMs = s.startedAt === null ? null : performance.now() - s.startedAt;
  const problem = shapeProblem(first, 1, run.modelSpec.embedding_dim);
  if (problem) throw new Error(`first ${s.api.adapter.name} request is wrong: ${problem}`);
  result.first_inference_ms = Number(first.reply.ms.toFixed(3));
  result.server_info = await serverInfo(s, run.signal);
  const reported = (k: string) => (typeof result.server_info?.[k] === "number" ? (result.server_info[k] as number) : null);
  result.layout = {
    requested: run.threads !== undefined && run.workers !== undefined ? `${run.threads}x${run.workers}` : null,
    threads: reported("threads"),
    workers: reported("workers"),
  };
  const loadMs = result.server_info?.["model_load_time_ms"];
  result.model_load_time_ms = typeof loadMs === "number" ? Number(loadMs.toFixed(1)) : null;
  return coldStartMs;
}

async function verifyPhase(fw: FrameworkRun, s: Target, coldStartMs: number | null): Promise<void> {
  const { run, result, precision } = fw;
  const probes = loadProbes(run.model.dir);
  result.verification = await verifyServer(s.url, probes, { minCosine: run.limits.verifyMinCosine[precision], precision, timeoutMs: run.limits.requestTimeoutS * 1000, api: s.api, signal: run.signal });
  fw.save();
  if (!result.verification.passed) throw new Error(`verification failed, not benchmarked: ${result.verification.reason}`);
  // Only now is the first embedding known to be correct.
  result.cold_start_ms = coldStartMs === null ? null : Number(coldStartMs.toFixed(1));
  await run.observer?.started(result);
  log.step(
    `${fw.name}: healthy and verified (min cosine ${result.verification.min_cosine?.toFixed(6)} over ${probes.texts.length} probes); ` +
      `cold start ${msOrWhy(result.cold_start_ms, "n/a: not started by the suite")}, model load ${msOrWhy(result.model_load_time_ms, "not reported")}, first inference ${result.first_inference_ms?.toFixed(1)} ms`,
  );
}

async function warmupPhase(fw: FrameworkRun, s: Target): Promise<void> {
  const { profile, limits, signal } = fw.run;
  const texts = generateTexts(Math.max(1, profile.warmup_requests), 24, 11);
  for (let i = 0; i < profile.warmup_requests; i++) {
    signal.throwIfAborted();
    const batch = Array.from({ length: profile.batch_size }, (_, j) => texts[(i + j) % texts.length]!);
    const r = await embedVia(s.api, s.url, batch, limits.requestTimeoutS * 1000, signal);
    if (r.problem !== null) throw new Error(`warmup request ${i + 1} failed: ${r.problem}`);
  }
  log.step(`${fw.name}: warmup done (${profile.warmup_requests} requests, discarded)`);
}

/** Waits `ms`, or until Ctrl-C; the abort listener goes with the wait, so waits never pile listeners up. */
export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal.reason));
    const timer = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

const describeLevel = (l: LevelId) => (l.mode === "open" ? `${l.value} req/s` : `concurrency ${l.value}`);

/** The spec of one level for the run's engine. */
function levelSpec(fw: FrameworkRun, s: Target, level: LevelId): LevelSpec {
  const { run } = fw;
  const p = run.profile;
  const files = fw.files.level(level);
  const open = level.mode === "open";
  const vus = open ? vuSizing(level.value, p.expected_latency_ms, p.vu_headroom, p.max_vus) : null;
  return {
    url: s.url,
    api: s.api.adapter.name,
    apiSettings: s.api.settings,
    ...(run.datasetFile ? { datasetFile: run.datasetFile } : {}),
    batchSize: p.batch_size,
    normalize: true,
    expectedDim: run.modelSpec.embedding_dim,
    load: vus
      ? { mode: "open", rateRps: level.value, arrivals: p.arrivals, seed: p.arrival_seed, maxInFlight: vus.maxVUs, preAllocated: vus.preAllocatedVUs }
      : { mode: "closed", vus: level.value },
    durationS: p.duration_s,
    // The --slo search runs open-loop levels in a closed-loop profile too: windows follow the level.
    windowS: open ? 0 : windowSOf(p),
    requestTimeoutS: run.limits.requestTimeoutS,
    maxErrorRate: run.limits.maxErrorRate,
    tags: { framework: fw.name, model: run.model.key, run_id: run.runId },
    files: { log: files.log, summary: files.summary, ...(run.k6Report && run.engine.name === "k6" ? { report: files.report } : {}) },
    cpus: run.cpuSets.client,
  };
}

async function levelPhase(fw: FrameworkRun, s: Target, level: LevelId): Promise<void> {
  const { run, result, name } = fw;
  const monitor = new ResourceMonitor(run.limits.monitorIntervalMs);
  if (s.usage !== null) monitor.watch("server", s.usage);
  monitor.start();
  const startedAt = new Date();
  const p = run.profile;
  const spec = levelSpec(fw, s, level);
  const open = spec.load.mode === "open";
  const stability = spec.windowS > 0 ? { windowS: spec.windowS, windows: p.stable_windows, tolerance: p.stability_tolerance } : undefined;
  const concurrency = spec.load.mode === "open" ? spec.load.maxInFlight : spec.load.vus;
  let driven;
  let resources;
  try {
    driven = await driveLevel(run.engine, spec, {
      signal: run.signal,
      onStart: (pid) => monitor.watch("client", pid),
      onSample: (sample) => run.observer?.sample(result, level, sample),
      ...(stability ? { stability } : {}),
      ...(open && p.arrivals === "poisson" ? { scheduledQuietS: longestQuiet(level.value, p.arrival_seed, p.duration_s) } : {}),
    });
  } finally {
    resources = monitor.stop();
  }
  run.signal.throwIfAborted();
  if (s.hasExited()) throw new Error(`server died during ${describeLevel(level)}\n${s.logTail()}`);
  if (driven.outcome.requests === 0) {
    throw new Error(`server stopped answering: no request completed in ${run.profile.duration_s} s at ${describeLevel(level)}`);
  }
  const scenario = scenarioFromLevel(driven, {
    concurrency,
    batchSize: run.profile.batch_size,
    maxErrorRate: run.limits.maxErrorRate,
    startedAt,
    server: resources["server"] ?? null,
    client: resources["client"] ?? { cpu_percent: 0, memory_mb: 0, memory_peak_mb: 0, samples: [] },
    clientCpus: (run.cpuSets.client ?? allowedCpus()).length,
    clientCpusBusyPercent: monitor.busyPercent(run.cpuSets.client ?? allowedCpus()),
    machineCpuPercent: monitor.busyPercent(),
    ...(open
      ? { open: { targetRps: level.value, saturationTolerance: p.saturation_tolerance, arrivals: p.arrivals, durationS: p.duration_s, scheduled: p.arrivals === "poisson" ? scheduledArrivals(level.value, p.arrival_seed, p.duration_s) : null } }
      : {}),
    ...(stability ? { stability: { rule: stability, durationS: p.duration_s } } : {}),
  });
  result.scenarios[scenario.scenario_name] = scenario;
  fw.save();
  await run.observer?.level(result, scenario, resources);
  // The level stays on disk with its stalls, but a server that stopped answering is not benchmarked further.
  const longest = Math.max(0, ...scenario.stalls.map((st) => st.duration_s));
  if (longest > 0) throw new Error(`server stopped answering for ${longest} s at ${describeLevel(level)} (level saved, marked with its stalls)`);
  if (scenario.ended_early) throw new Error(`level ended early: ${scenario.ended_early}`);
  if (!scenario.thresholds_ok) log.warn(`${name}: ${describeLevel(level)}: error rate ${(scenario.error_rate * 100).toFixed(2)} % is not under the maximum ${run.limits.maxErrorRate * 100} %${describeErrors(scenario.errors_by_kind)}`);
  const flags = scenario.validity ? flagWords(scenario.validity) : [];
  const head = open
    ? `${level.value} req/s${scenario.arrivals === "poisson" ? " (Poisson)" : ""}: achieved ${scenario.achieved_rps?.toFixed(1)} req/s, ${scenario.arrivals === "poisson" ? `late starts ${scenario.late_starts}` : `dropped ${scenario.dropped_iterations}`}, in flight at most ${scenario.vus_max}/${concurrency}`
    : `c=${level.value}: ${scenario.throughput_qps.toFixed(1)} req/s`;
  log.step(
    `${name}: ${head}, p50 ${scenario.latency_ms.median.toFixed(2)} ms, ` +
      `p95 ${scenario.latency_ms.p95.toFixed(2)} ms, errors ${scenario.errors}, server CPU ${scenario.server_cpu_percent === null ? "n/m" : `${scenario.server_cpu_percent.toFixed(0)}%`}` +
      `${scenario.stability?.stable ? `, stable over windows ${scenario.stability.stable_windows.join(",")}` : ""}${flags.length ? ` [${flags.join(", ")}]` : ""}`,
  );
}

/** ": 12 status 503, 3 timeout" — what the errors were, where the engine says. */
function describeErrors(byKind: Record<string, number>): string {
  const parts = Object.entries(byKind).map(([kind, n]) => `${n} ${kind}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

async function levelsPhase(fw: FrameworkRun, s: Target): Promise<void> {
  const { profile, signal } = fw.run;
  const levels = levelsOf(profile);
  const windowS = windowSOf(profile);
  for (const [i, level] of levels.entries()) {
    signal.throwIfAborted();
    if (i > 0 && profile.pause_between_levels_s > 0) await sleep(profile.pause_between_levels_s * 1000, signal);
    const windows = windowS > 0 ? `up to ${profile.duration_s}s in ${windowS}s windows, until ${profile.stable_windows} agree` : `${profile.duration_s}s`;
    const load = level.mode === "open" ? `${level.value} req/s (open loop)` : `${level.value} VUs`;
    log.step(`${fw.name}: level ${i + 1}/${levels.length}: ${load}, ${windows}`);
    fw.run.progress?.levelStarted(fw.name, i);
    await levelPhase(fw, s, level);
  }
  if (fw.run.slo) await sloPhase(fw, s, fw.run.slo);
  fw.result.final_server_info = await serverInfo(s, fw.run.signal);
}

/**
 * --slo: a bounded search of open-loop levels for the highest rate meeting the objective. It starts
 * from the sweep's best closed-loop QPS when the sweep measured one (near the server's capacity),
 * else from the profile's slo_start_rps. A rate the sweep already ran is read, not run again.
 */
async function sloPhase(fw: FrameworkRun, s: Target, slo: Slo): Promise<void> {
  const { profile, signal } = fw.run;
  const { name } = fw;
  const closed = Object.values(fw.result.scenarios).filter((l) => l.mode === "closed");
  const best = Math.max(0, ...closed.map((l) => l.throughput_qps));
  const start = best >= 1 ? Math.round(best) : profile.slo_start_rps;
  log.step(`${name}: capacity at ${slo.text}: up to ${profile.slo_max_steps} open-loop levels of ${profile.duration_s}s from ${start} req/s`);
  const outcome = await searchCapacity(start, profile.slo_max_steps, async (rate) => {
    signal.throwIfAborted();
    if (!fw.result.scenarios[levelKey(openLevel(rate))]) {
      if (profile.pause_between_levels_s > 0) await sleep(profile.pause_between_levels_s * 1000, signal);
      await levelPhase(fw, s, { mode: "open", value: rate });
    }
    const l = fw.result.scenarios[levelKey(openLevel(rate))]!;
    const verdict = sloVerdict(slo, {
      p50: l.latency_ms.median,
      p95: l.latency_ms.p95,
      p99: l.latency_ms.p99,
      errorRate: l.error_rate,
      saturated: l.validity?.saturated ?? false,
      achievedRps: l.achieved_rps ?? 0,
    });
    log.step(`${name}: ${rate} req/s ${verdict.passed ? "meets" : "misses"} ${slo.text}: ${verdict.reason}`);
    return verdict;
  });
  fw.result.capacity_at_slo = {
    slo: slo.text,
    ...outcome,
    start_rps: Math.max(1, start),
    start_from: best >= 1 ? "closed_loop_qps" : "slo_start_rps",
    max_steps: profile.slo_max_steps,
  };
  fw.save();
  log.step(`${name}: capacity at ${slo.text}: ${outcome.capacity_rps === null ? "no rate tried met it" : `${outcome.capacity_rps} req/s`}`);
}

function outcomeOf(err: unknown, signal: AbortSignal): Pick<FrameworkResult, "status" | "failure"> {
  const message = err instanceof Error ? err.message : String(err);
  if (signal.aborted) return { status: "interrupted", failure: message };
  return { status: err instanceof FrameworkSkipped ? "skipped" : "failed", failure: message };
}

/** The run a probe of `layout` is: one short level in one window, no exporter, its own files. */
function probeContext(run: RunContext, plan: LayoutProbePlan, layout: Layout): RunContext {
  const profile = { ...run.profile, concurrency_levels: [plan.concurrency] as [number], duration_s: plan.durationS, window_s: 0 };
  return { ...run, profile, threads: layout.threads, workers: layout.workers, layoutProbe: undefined, observer: undefined, slo: undefined, probing: layout };
}

/** Every candidate layout for the server's CPUs, each through a whole runFramework of its own. */
async function probeLayouts(server: DiscoveredServer, run: RunContext, plan: LayoutProbePlan): Promise<LayoutProbe> {
  const name = server.manifest.name;
  const cpus = (run.cpuSets.server ?? allowedCpus()).length;
  const candidates = candidateLayouts(cpus);
  const base = { server_cpus: cpus, probe_concurrency: plan.concurrency, probe_duration_s: plan.durationS, tie_tolerance: plan.tieTolerance };
  if (candidates.length === 1) {
    return { ...base, tried: [], chosen: candidates[0]!, note: `one server CPU: ${layoutName(candidates[0]!)} is the only candidate, not probed` };
  }
  const tried: LayoutTried[] = [];
  for (const [i, layout] of candidates.entries()) {
    run.signal.throwIfAborted();
    log.step(`${name}: layout probe ${i + 1}/${candidates.length}: ${layoutName(layout)} at ${plan.concurrency} VUs for ${plan.durationS}s`);
    tried.push(triedOf(layout, await runFramework(server, probeContext(run, plan, layout))));
  }
  run.signal.throwIfAborted();
  return { ...base, tried, chosen: chooseLayout(tried, plan.tieTolerance), note: null };
}

/** --layout auto: probe once per framework (later trials reuse the choice), then sweep with the chosen layout. */
async function layoutPhase(fw: FrameworkRun, server: DiscoveredServer, plan: LayoutProbePlan): Promise<void> {
  const name = fw.name;
  const earlier = plan.chosen.get(name);
  const probe = earlier ?? (await probeLayouts(server, fw.run, plan));
  fw.result.layout_probe = probe;
  fw.save();
  if (!probe.chosen) throw new Error(`--layout auto: no layout completed its probe (${probe.tried.map((t) => `${layoutName(t)}: ${t.failure}`).join("; ")})`);
  plan.chosen.set(name, probe);
  fw.run = { ...fw.run, threads: probe.chosen.threads, workers: probe.chosen.workers };
  const why = earlier ? "as probed before the first trial" : probe.note ?? `tried ${probe.tried.map(describeTried).join("; ")}`;
  log.step(`${name}: layout ${layoutName(probe.chosen)} chosen (${why})`);
}

/** The server's description in its API (GET /info for ours) as a JSON object; null when it has none. */
async function serverInfo(s: Target, signal: AbortSignal): Promise<Record<string, unknown> | null> {
  const info = await requestJson(`${s.url}${s.api.adapter.infoPath(s.api.settings)}`, { signal }).catch(() => null);
  return info?.status === 200 && typeof info.body === "object" && info.body !== null && !Array.isArray(info.body) ? (info.body as Record<string, unknown>) : null;
}

/**
 * Every phase from the first inference on, between `start` (which gives the target) and `stop`
 * (which runs whatever happened); the result is saved after each phase and level.
 */
export async function runPhases(fw: FrameworkRun, start: () => Promise<Target>, stop: () => Promise<void>): Promise<FrameworkResult> {
  // fw.run itself may change in start (--layout auto sets the layout chosen); these do not.
  const { run, result } = fw;
  fw.save();
  try {
    const s = await start();
    const coldStartMs = await firstInferencePhase(fw, s);
    await verifyPhase(fw, s, coldStartMs);
    await warmupPhase(fw, s);
    run.progress?.serverReady(fw.name);
    await levelsPhase(fw, s);
    result.status = "completed";
  } catch (err) {
    Object.assign(result, outcomeOf(err, run.signal));
    (result.status === "skipped" ? log.warn : log.error)(`${fw.name}: ${result.failure}`);
  } finally {
    await stop();
    result.finished_at = new Date().toISOString();
    result.environment = atFinish(result.environment);
    fw.save();
    await run.observer?.finished(result);
  }
  return result;
}

export async function runFramework(server: DiscoveredServer, run: RunContext): Promise<FrameworkResult> {
  const m = server.manifest;
  const result = newResult({ framework: m.name, runtime: m.display_name, language: m.language, api: m.api.name }, run);
  const files = filesOf(run, m.name);
  const fw: FrameworkRun = { run, name: m.name, precision: m.precision, result, files, save: () => files.save(result) };
  let launched: LaunchedServer | undefined;
  return runPhases(
    fw,
    async () => {
      if (run.layoutProbe) await layoutPhase(fw, server, run.layoutProbe);
      return launchedTarget((launched = await startPhase(fw, server)), server);
    },
    async () => launched?.stop(run.limits.stopTimeoutS),
  );
}
