import { allowedCpus } from "../platform/affinity.ts";
import { packageJoules, readRapl } from "../platform/rapl.ts";
import { log } from "../platform/log.ts";
import { ResourceMonitor } from "../level/monitor.ts";
import { METRIC_NAMES, MetricsScraper } from "../level/scrape.ts";
import { flagWords } from "../results/validity.ts";
import { vuSizing } from "../../scenario/openloop.ts";
import type { LevelId, SweepPoint } from "../plan/level-key.ts";
import type { TextSet } from "../models/datasets.ts";
import type { RunContext } from "./context.ts";
import { batchingSpeedup, describePoint } from "../results/point-figures.ts";
import type { ResourceSummary } from "../platform/procfs.ts";
import type { ServerMetrics } from "../results/schema.ts";
import { driveLevel, type DrivenLevel } from "../level/drive.ts";
import type { LevelSpec } from "../plan/level-spec.ts";
import { scenarioFromLevel } from "../level/result.ts";
import { longestQuiet, scheduledArrivals } from "../../scenario/arrivals.ts";
import type { FrameworkRun } from "./context.ts";
import type { Target } from "./target.ts";
import { windowSOf } from "../plan/profile.ts";

export const describeLevel = (l: LevelId) => (l.mode === "open" ? `${l.value} req/s` : `concurrency ${l.value}`);

/** A point as the fields of a result's level, for describePoint. */
export const pointFieldsOf = (p: SweepPoint) => ({
  mode: p.level.mode,
  concurrency: p.level.mode === "closed" ? p.level.value : 1,
  target_rps: p.level.mode === "open" ? p.level.value : undefined,
  batch_size: p.batchSize,
  seq_len: p.seqLen,
});

/** `concurrency 4`, or `batch 8 · 128 tokens · 4 VUs` in a sweep of several batch sizes or text lengths. */
function describeAt(run: RunContext, p: SweepPoint): string {
  const swept = run.profile.batch_size.length > 1 || run.texts.length > 1;
  return swept ? describePoint(pointFieldsOf(p)) : describeLevel(p.level);
}

/** The text set of a point's text length. */
export function textsOf(run: RunContext, point: Pick<SweepPoint, "seqLen">): TextSet {
  const set = run.texts.find((t) => t.seqLen === point.seqLen);
  if (!set) throw new Error(`no texts of ${point.seqLen} tokens in this run`);
  return set;
}

/** The spec of one operating point for the run's engine. */
export function levelSpec(fw: FrameworkRun, s: Target, point: SweepPoint): LevelSpec {
  const { run } = fw;
  const p = run.profile;
  const level = point.level;
  const files = fw.files.level(point);
  const texts = textsOf(run, point);
  const open = level.mode === "open";
  const vus = open ? vuSizing(level.value, p.expected_latency_ms, p.vu_headroom, p.max_vus) : null;
  return {
    url: s.url,
    api: s.api.adapter.name,
    apiSettings: s.api.settings,
    ...(texts.file !== null ? { datasetFile: texts.file } : {}),
    batchSize: point.batchSize,
    seqLen: point.seqLen,
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

export async function levelPhase(fw: FrameworkRun, s: Target, point: SweepPoint): Promise<void> {
  const { run, result, name } = fw;
  const level = point.level;
  const where = describeAt(run, point);
  const monitor = new ResourceMonitor(run.limits.monitorIntervalMs);
  if (s.usage !== null) monitor.watch("server", s.usage);
  monitor.start();
  const names = run.profile.scrape_interval_ms > 0 ? METRIC_NAMES[s.api.adapter.name] : undefined;
  const scraper = names ? new MetricsScraper(s.metricsUrl, names, run.profile.scrape_interval_ms) : null;
  scraper?.start();
  const energyBefore = readRapl();
  const startedAt = new Date();
  const p = run.profile;
  const spec = levelSpec(fw, s, point);
  const open = spec.load.mode === "open";
  const stability = spec.windowS > 0 ? { windowS: spec.windowS, windows: p.stable_windows, tolerance: p.stability_tolerance } : undefined;
  const concurrency = spec.load.mode === "open" ? spec.load.maxInFlight : spec.load.vus;
  let driven: DrivenLevel;
  let resources: Record<string, ResourceSummary>;
  let scraped: Promise<ServerMetrics> | undefined;
  try {
    driven = await driveLevel(run.engine, spec, {
      signal: run.signal,
      onStart: (pid) => monitor.watch("client", pid),
      onSample: (sample) => run.observer?.sample(result, point, sample),
      ...(stability ? { stability } : {}),
      ...(open && p.arrivals === "poisson" ? { scheduledQuietS: longestQuiet(level.value, p.arrival_seed, p.duration_s) } : {}),
    });
  } finally {
    resources = monitor.stop();
    scraped = scraper?.stop(spec.windowS);
  }
  const energy = packageJoules(energyBefore, readRapl());
  const serverMetrics = scraped ? await scraped : null;
  run.signal.throwIfAborted();
  if (s.hasExited()) throw new Error(`server died during ${where}\n${s.logTail()}`);
  if (driven.outcome.requests === 0) {
    throw new Error(`server stopped answering: no request completed in ${run.profile.duration_s} s at ${where}`);
  }
  const scenario = scenarioFromLevel(driven, {
    point,
    concurrency,
    tokensPerText: textsOf(run, point).tokensPerText,
    serverIdleMb: fw.idleMemoryMb,
    maxErrorRate: run.limits.maxErrorRate,
    startedAt,
    server: resources["server"] ?? null,
    client: resources["client"] ?? { cpu_percent: 0, memory_mb: 0, memory_peak_mb: 0, samples: [] },
    clientCpus: (run.cpuSets.client ?? allowedCpus()).length,
    clientCpusBusyPercent: monitor.busyPercent(run.cpuSets.client ?? allowedCpus()),
    machineCpuPercent: monitor.busyPercent(),
    ...(open
      ? {
          open: {
            targetRps: level.value,
            saturationTolerance: p.saturation_tolerance,
            arrivals: p.arrivals,
            durationS: p.duration_s,
            scheduled: p.arrivals === "poisson" ? scheduledArrivals(level.value, p.arrival_seed, p.duration_s) : null,
          },
        }
      : {}),
    ...(stability ? { stability: { rule: stability, durationS: p.duration_s } } : {}),
    serverMetrics,
    energy,
    ...(run.slo ? { slo: run.slo } : {}),
  });
  result.scenarios[scenario.scenario_name] = scenario;
  // A batch-1 level measured now gives the speed-up of the larger batches at its concurrency, and back.
  for (const l of Object.values(result.scenarios)) l.batching_speedup = batchingSpeedup(l, Object.values(result.scenarios));
  fw.save();
  await run.observer?.level(result, scenario, resources);
  // The level stays on disk with its stalls, but a server that stopped answering is not benchmarked further.
  const longest = Math.max(0, ...scenario.stalls.map((st) => st.duration_s));
  if (longest > 0) throw new Error(`server stopped answering for ${longest} s at ${where} (level saved, marked with its stalls)`);
  if (scenario.ended_early) throw new Error(`level ended early: ${scenario.ended_early}`);
  if (!scenario.thresholds_ok)
    log.warn(
      `${name}: ${where}: error rate ${(scenario.error_rate * 100).toFixed(2)} % is not under the maximum ${run.limits.maxErrorRate * 100} %${describeErrors(scenario.errors_by_kind)}`,
    );
  const flags = scenario.validity ? flagWords(scenario.validity) : [];
  const head = open
    ? `${level.value} req/s${scenario.arrivals === "poisson" ? " (Poisson)" : ""}: achieved ${scenario.achieved_rps?.toFixed(1)} req/s, ${scenario.arrivals === "poisson" ? `late starts ${scenario.late_starts}` : `dropped ${scenario.dropped_iterations}`}, in flight at most ${scenario.vus_max}/${concurrency}`
    : `c=${level.value}: ${scenario.throughput_qps.toFixed(1)} req/s`;
  const sweepFigures =
    where === describeLevel(level)
      ? ""
      : `, ${scenario.embeddings_per_sec.toFixed(1)} emb/s${scenario.batching_speedup !== null && point.batchSize > 1 ? ` (×${scenario.batching_speedup.toFixed(2)} batch 1)` : ""}`;
  log.step(
    `${name}: ${where === describeLevel(level) ? "" : `${describePoint(scenario)}: `}${head}${sweepFigures}, p50 ${scenario.latency_ms.median.toFixed(2)} ms, ` +
      `p95 ${scenario.latency_ms.p95.toFixed(2)} ms, errors ${scenario.errors}, server CPU ${scenario.server_cpu_percent === null ? "n/m" : `${scenario.server_cpu_percent.toFixed(0)}%`}` +
      `${scenario.stability?.stable ? `, stable over windows ${scenario.stability.stable_windows.join(",")}` : ""}${flags.length ? ` [${flags.join(", ")}]` : ""}`,
  );
}

/** ": 12 status 503, 3 timeout" — what the errors were, where the engine says. */
export function describeErrors(byKind: Record<string, number>): string {
  const parts = Object.entries(byKind).map(([kind, n]) => `${n} ${kind}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}
