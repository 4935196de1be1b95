import { embedVia, shapeProblem } from "./api-client.ts";
import { FrameworkSkipped } from "../launch/system.ts";
import { layoutName } from "../results/layout-choice.ts";
import { log } from "../platform/log.ts";
import { atFinish } from "../results/environment.ts";
import type { FrameworkResult } from "../results/schema.ts";
import { RESULT_SCHEMA_VERSION } from "../results/schema.ts";
import { generateTexts } from "../../scenario/texts.ts";
import { pointStem, type SweepPoint } from "../plan/level-key.ts";
import { loadProbes, verifyServer } from "./verify.ts";
import type { FrameworkFiles, FrameworkRun, RunContext } from "./context.ts";
import { levelPhase, pointFieldsOf, textsOf } from "./levels.ts";
import { sloPhase } from "./slo-search.ts";
import { serverInfo, type Target } from "./target.ts";
import { pointsOf, windowSOf } from "../plan/profile.ts";
import { sampleRssMb } from "../level/monitor.ts";
import { describePoint } from "../results/point-figures.ts";
import { sleep } from "../platform/sleep.ts";

export function filesOf(run: RunContext, framework: string): FrameworkFiles {
  const { folder, model, trial } = run;
  if (run.probing) {
    // The probe's figures go into the framework's result (layout_probe); its logs stay apart.
    const p = folder.probeFiles(model.key, framework, layoutName(run.probing));
    return { serverLog: p.serverLog, level: () => p.level, save: () => {} };
  }
  return {
    serverLog: folder.serverLog(model.key, framework, trial),
    level: (point) => folder.levelFiles(model.key, framework, pointStem(point), trial),
    save: (result) => void folder.saveResult(result, trial),
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
    dataset: run.texts.map((t) => t.file ?? "builtin").join("; "),
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

export const msOrWhy = (ms: number | null, why: string) => (ms === null ? why : `${ms} ms`);

/** The first request is a probe, so "first correct embedding" is checked against the reference. */
export async function firstInferencePhase(fw: FrameworkRun, s: Target): Promise<number | null> {
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

export async function verifyPhase(fw: FrameworkRun, s: Target, coldStartMs: number | null): Promise<void> {
  const { run, result, precision } = fw;
  const probes = loadProbes(run.model.dir);
  result.verification = await verifyServer(s.url, probes, {
    minCosine: run.limits.verifyMinCosine[precision],
    precision,
    timeoutMs: run.limits.requestTimeoutS * 1000,
    api: s.api,
    signal: run.signal,
  });
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

/** The (text length, batch size) pairs of the sweep, in the order they run; each is one group of levels. */
export function shapesOf(points: readonly SweepPoint[]): { seqLen: number | null; batchSize: number }[] {
  const seen = new Map<string, { seqLen: number | null; batchSize: number }>();
  for (const p of points) seen.set(`${p.seqLen}/${p.batchSize}`, { seqLen: p.seqLen, batchSize: p.batchSize });
  return [...seen.values()];
}

/**
 * Discarded requests before the first level: warmup_requests in all, taking each shape of the sweep
 * (batch size × text length) in turn, so every shape has run before it is measured. Then the server's
 * RSS is sampled once: its idle memory after warm-up, the base of memory per 1k embeddings.
 */
export async function warmupPhase(fw: FrameworkRun, s: Target): Promise<void> {
  const { run } = fw;
  const { profile, limits, signal } = run;
  const shapes = shapesOf(pointsOf(profile));
  const builtin = generateTexts(Math.max(1, profile.warmup_requests), 24, 11);
  for (let i = 0; i < profile.warmup_requests; i++) {
    signal.throwIfAborted();
    const shape = shapes[i % shapes.length]!;
    const texts = textsOf(run, shape).texts ?? builtin;
    const batch = Array.from({ length: shape.batchSize }, (_, j) => texts[(i + j) % texts.length]!);
    const r = await embedVia(s.api, s.url, batch, limits.requestTimeoutS * 1000, signal);
    if (r.problem !== null) throw new Error(`warmup request ${i + 1} failed: ${r.problem}`);
  }
  fw.idleMemoryMb = s.usage === null ? null : sampleRssMb(s.usage);
  const idle = fw.idleMemoryMb === null ? "not measured" : `${fw.idleMemoryMb.toFixed(1)} MiB`;
  log.step(
    `${fw.name}: warmup done (${profile.warmup_requests} requests${shapes.length > 1 ? ` over ${shapes.length} batch sizes × text lengths` : ""}, discarded); idle RSS ${idle}`,
  );
}

/**
 * Every operating point in turn (pointsOf: text length, batch size, level); with --slo, after the
 * levels of each batch size and text length, the capacity search at that batch size and text length.
 */
export async function levelsPhase(fw: FrameworkRun, s: Target): Promise<void> {
  const { profile, signal } = fw.run;
  const points = pointsOf(profile);
  const windowS = windowSOf(profile);
  const several = points.length > 1 && (profile.batch_size.length > 1 || (profile.seq_len?.length ?? 0) > 1);
  for (const [i, point] of points.entries()) {
    signal.throwIfAborted();
    if (i > 0 && profile.pause_between_levels_s > 0) await sleep(profile.pause_between_levels_s * 1000, signal);
    const windows = windowS > 0 ? `up to ${profile.duration_s}s in ${windowS}s windows, until ${profile.stable_windows} agree` : `${profile.duration_s}s`;
    const level = point.level;
    const load = level.mode === "open" ? `${level.value} req/s (open loop)` : `${level.value} VUs`;
    const where = several ? `point ${i + 1}/${points.length}: ${describePoint(pointFieldsOf(point))}` : `level ${i + 1}/${points.length}: ${load}`;
    log.step(`${fw.name}: ${where}, ${windows}`);
    fw.run.progress?.levelStarted(fw.name, i);
    await levelPhase(fw, s, point);
    const next = points[i + 1];
    if (fw.run.slo && (next === undefined || next.batchSize !== point.batchSize || next.seqLen !== point.seqLen)) {
      await sloPhase(fw, s, fw.run.slo, { batchSize: point.batchSize, seqLen: point.seqLen });
    }
  }
  fw.result.final_server_info = await serverInfo(s, fw.run.signal);
}

export function outcomeOf(err: unknown, signal: AbortSignal): Pick<FrameworkResult, "status" | "failure"> {
  const message = err instanceof Error ? err.message : String(err);
  if (signal.aborted) return { status: "interrupted", failure: message };
  return { status: err instanceof FrameworkSkipped ? "skipped" : "failed", failure: message };
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
