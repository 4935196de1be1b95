// The run's progress: which framework (and model), trial, operating point and window is running,
// the time since the run started, and an estimate of the time left for the whole run, the whole
// product of models × frameworks × trials × points. It is told what happens (events) and writes
// through a sink: in a terminal one status line redrawn every second, elsewhere (CI, a pipe) one
// plain log line when a framework (or trial) starts and when a level starts.
//
// The estimate: every model × framework × trial still to run costs the start-up time observed so far
// (the mean from process start to warmed up; nothing is assumed before the first one is known, and
// the line says so) plus each of its points at the profile's maximum duration and the pauses between
// them. A level with windows can end sooner, at stability, so the estimate errs long there; an --slo
// search adds levels it does not count.
import type { Profile } from "../plan/config-schema.ts";
import { pointsOf, windowSOf } from "../plan/profile.ts";
import { describePoint } from "../results/point-figures.ts";

export interface ProgressPlan {
  frameworks: readonly string[];
  /** The models, outermost after trials (named in the line when there are several); absent: one unnamed model. */
  models?: readonly string[];
  trials: number;
  /** Each level (operating point) a server runs, as the line names it: `4 VUs`, or `batch 8 · 128 tokens · 4 VUs` in a sweep. */
  levels: readonly string[];
  /** "point" in a sweep of several batch sizes or text lengths; "level" otherwise (the default). */
  levelWord?: string;
  /** Seconds of load per level (the maximum when levels run in windows). */
  durationS: number;
  /** Measurement window in seconds; 0 = one window of the whole level. */
  windowS: number;
  pauseS: number;
}

export interface ProgressSink {
  /** True in a terminal: status() redraws one line in place; otherwise line() logs. */
  tty: boolean;
  status(text: string): void;
  line(text: string): void;
}

interface Unit {
  framework: string;
  model: string;
  trial: number;
}

interface Current extends Unit {
  startedMs: number;
  readyMs?: number;
  level?: { index: number; startedMs: number };
}

const TICK_MS = 1000;

/** 45s, 3m05s, 1h02m. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class Progress {
  private readonly startedMs: number;
  /** Model × framework × trial not started yet, in the order runTrials runs them (interleaved trials). */
  private pending: Unit[];
  private current: Current | undefined;
  private readonly startups: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly plan: ProgressPlan,
    private readonly sink: ProgressSink,
    private readonly now: () => number = Date.now,
  ) {
    this.startedMs = now();
    const models = plan.models ?? [""];
    this.pending = Array.from({ length: plan.trials }, (_, t) =>
      models.flatMap((model) => plan.frameworks.map((framework) => ({ framework, model, trial: t + 1 }))),
    ).flat();
  }

  /** In a terminal, redraws the line every second until stop(). */
  start(): void {
    if (this.sink.tty) this.timer = setInterval(() => this.sink.status(this.render()), TICK_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.sink.tty) this.sink.status("");
  }

  frameworkStarted(framework: string, trial: number, model = ""): void {
    this.pending = this.pending.filter((u) => !(u.framework === framework && u.model === model && u.trial === trial));
    this.current = { framework, model, trial, startedMs: this.now() };
    this.emit();
  }

  /** The server is up, verified and warmed up: the start-up time is known. No line of its own: the first level follows at once. */
  serverReady(framework: string): void {
    if (this.current?.framework !== framework) return;
    this.current.readyMs = this.now();
    this.startups.push(this.current.readyMs - this.current.startedMs);
  }

  levelStarted(framework: string, index: number): void {
    if (this.current?.framework !== framework) return;
    this.current.level = { index, startedMs: this.now() };
    this.emit();
  }

  /** A framework that did not complete is not run again in later trials, for that model (runTrials skips it). */
  frameworkFinished(framework: string, completed: boolean, model = ""): void {
    if (!completed) this.pending = this.pending.filter((u) => !(u.framework === framework && u.model === model));
    this.current = undefined;
  }

  private emit(): void {
    if (this.sink.tty) this.sink.status(this.render());
    else this.sink.line(this.render());
  }

  private get levelMs(): number {
    return this.plan.durationS * 1000;
  }

  /** Levels, with the pauses between them, from level `from` (0-based) to the last. */
  private levelsFromMs(from: number): number {
    const n = this.plan.levels.length - from;
    return n <= 0 ? 0 : n * this.levelMs + Math.max(0, n - 1) * this.plan.pauseS * 1000;
  }

  private get startupMs(): number {
    return this.startups.length ? this.startups.reduce((a, b) => a + b, 0) / this.startups.length : 0;
  }

  /** Milliseconds left for the whole run, by the estimate above. */
  etaMs(): number {
    const now = this.now();
    const perUnit = this.startupMs + this.levelsFromMs(0);
    const c = this.current;
    let current = 0;
    if (c?.level) {
      const next = c.level.index + 1;
      const pauseBefore = next < this.plan.levels.length ? this.plan.pauseS * 1000 : 0;
      current = Math.max(0, this.levelMs - (now - c.level.startedMs)) + pauseBefore + this.levelsFromMs(next);
    } else if (c) {
      current = (c.readyMs === undefined ? Math.max(0, this.startupMs - (now - c.startedMs)) : 0) + this.levelsFromMs(0);
    }
    return this.pending.length * perUnit + current;
  }

  /** e.g. `progress: onnx-python (trial 1/2): level 2/3, 4 VUs, window 3/6; elapsed 1m02s, ETA 3m10s` */
  render(): string {
    const c = this.current;
    const { trials, levels, windowS, durationS } = this.plan;
    const who = c
      ? `${c.framework}${(this.plan.models?.length ?? 0) > 1 ? ` · ${c.model}` : ""}${trials > 1 ? ` (trial ${c.trial}/${trials})` : ""}`
      : "preparing";
    let what = "";
    if (c?.level) {
      const inLevelS = (this.now() - c.level.startedMs) / 1000;
      const windows = windowS > 0 ? Math.ceil(durationS / windowS) : 0;
      const where =
        windows > 0
          ? `window ${Math.min(windows, Math.floor(inLevelS / windowS) + 1)}/${windows}`
          : `${Math.min(durationS, Math.floor(inLevelS))}s/${durationS}s`;
      what = `: ${this.plan.levelWord ?? "level"} ${c.level.index + 1}/${levels.length}, ${levels[c.level.index]}, ${where}`;
    } else if (c) {
      what = c.readyMs === undefined ? ": starting, verifying, warming up" : ": ready";
    }
    const eta = `ETA ${formatDuration(this.etaMs())}${this.startups.length === 0 ? " + start-up" : ""}`;
    return `progress: ${who}${what}; elapsed ${formatDuration(this.now() - this.startedMs)}, ${eta}`;
  }
}

/** The plan the progress line counts down: models, frameworks, trials, each server's points and their durations. */
export function progressPlan(frameworks: readonly string[], p: Profile, models: readonly string[] = []): ProgressPlan {
  const points = pointsOf(p);
  const swept = p.batch_size.length > 1 || (p.seq_len?.length ?? 0) > 1;
  const label = (pt: (typeof points)[number]) =>
    swept
      ? describePoint({
          mode: pt.level.mode,
          concurrency: pt.level.value,
          target_rps: pt.level.value,
          batch_size: pt.batchSize,
          seq_len: pt.seqLen,
        })
      : `${pt.level.value} ${pt.level.mode === "open" ? "req/s" : "VUs"}`;
  return {
    frameworks: [...frameworks],
    ...(models.length > 0 ? { models: [...models] } : {}),
    trials: p.trials,
    levels: points.map(label),
    ...(swept ? { levelWord: "point" } : {}),
    durationS: p.duration_s,
    windowS: windowSOf(p),
    pauseS: p.pause_between_levels_s,
  };
}
