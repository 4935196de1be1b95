import type { BenchmarkFile, LayoutProbeConfig, ModelConfig, Profile, VerifyTolerances } from "../plan/config-schema.ts";
import type { CpuSets } from "../platform/affinity.ts";
import type { LauncherSettings } from "../plan/bench-options.ts";
import { probeConcurrency, type Layout } from "../results/layout-choice.ts";
import type { PreparedModel } from "../models/prepare-model.ts";
import type { Progress } from "../outputs/progress.ts";
import { describeEnvironment } from "../results/environment.ts";
import type { RunFolder } from "../store/folders.ts";
import type { EnvironmentInfo, FrameworkResult, LayoutProbe, Precision } from "../results/schema.ts";
import type { SweepPoint } from "../plan/level-key.ts";
import type { TextSet } from "../models/datasets.ts";
import type { LoadEngine } from "../level/load-engine.ts";
import type { Slo } from "../plan/slo.ts";
import type { RunObserver } from "../outputs/observer.ts";

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
  /** The texts of each text length of the sweep (one set of built-in texts when not swept). */
  texts: TextSet[];
  /** The run's folder: every path of its results. */
  folder: RunFolder;
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

/** How --layout auto probes, and what it chose for each framework and model (later trials reuse the first's choice). */
export interface LayoutProbePlan {
  concurrency: number;
  durationS: number;
  tieTolerance: number;
  /** By `<model>/<framework>`. */
  chosen: Map<string, LayoutProbe>;
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
    // One text set hashes as before sweeps: its file, or null for the built-in texts.
    dataset: parts.texts.length === 1 ? (parts.texts[0]!.file ?? null) : parts.texts.map((t) => t.file ?? "builtin"),
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

/** One framework in one run: the phases' shared state. */
export interface FrameworkRun {
  run: RunContext;
  /** The framework's name in logs and results. */
  name: string;
  /** Sets the verify tolerance. */
  precision: Precision;
  result: FrameworkResult;
  files: FrameworkFiles;
  /** The server's RSS sampled once after warm-up, MiB; null until then, or when not measured. */
  idleMemoryMb: number | null;
  save(): void;
}

/** Where one framework's run writes. */
export interface FrameworkFiles {
  serverLog: string;
  /** The load engine's files of an operating point. */
  level(point: SweepPoint): { summary: string; log: string; report: string };
  save(result: FrameworkResult): void;
}
