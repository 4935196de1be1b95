// Drives one level on any engine: it watches the engine's live samples for stalls and for every
// request failing (watch.ts), and its windows for stability (stability.ts), and stops the engine when
// one of them says so or the user presses Ctrl-C. None of this knows which engine runs.
import { log } from "../platform/log.ts";
import type { LevelEnd } from "./end.ts";
import type { LevelOutcome, LevelSpec, LiveSample, WindowReport } from "../plan/level-spec.ts";
import type { LoadEngine } from "./load-engine.ts";
import { stableTail, type StabilityRule } from "./stability.ts";
import { DEFAULT_WATCH_LIMITS, LevelWatch, type Stall } from "./watch.ts";

export interface DriveOptions {
  /** Stop once the last windows agree (closed loop with windows). */
  stability?: StabilityRule;
  /** Poisson arrivals: the longest silence the schedule itself holds, s; the stall threshold grows by it. */
  scheduledQuietS?: number;
  /** Ctrl-C: the level stops and is reported as interrupted. */
  signal: AbortSignal;
  onStart(pid: number): void;
  /** Every live sample, after the watch has seen it (the live dashboard's series). */
  onSample?(sample: LiveSample): void;
}

export interface DrivenLevel {
  outcome: LevelOutcome;
  stalls: Stall[];
  end: LevelEnd;
  /** The windows the engine reported complete while the level ran, in order. */
  windows: WindowReport[];
}

export async function driveLevel(engine: LoadEngine, spec: LevelSpec, o: DriveOptions): Promise<DrivenLevel> {
  const stop = new AbortController();
  const watch = new LevelWatch(
    o.scheduledQuietS ? { ...DEFAULT_WATCH_LIMITS, stallMinS: DEFAULT_WATCH_LIMITS.stallMinS + o.scheduledQuietS } : DEFAULT_WATCH_LIMITS,
  );
  const windows: WindowReport[] = [];
  let end: LevelEnd = { kind: "full" };
  const endWith = (e: LevelEnd) => {
    if (stop.signal.aborted) return;
    end = e;
    stop.abort();
  };
  const onInterrupt = () => endWith({ kind: "interrupted" });
  if (o.signal.aborted) onInterrupt();
  else o.signal.addEventListener("abort", onInterrupt, { once: true });
  const hooks = {
    onStart: o.onStart,
    onSample(s: LiveSample) {
      const reason = stop.signal.aborted ? null : watch.add(s);
      o.onSample?.(s);
      if (reason === null) return;
      log.warn(`ending the level early: ${reason}`);
      endWith({ kind: "all-failed", reason });
    },
    onWindow(w: WindowReport) {
      windows.push(w);
      const rule = o.stability;
      if (!rule || stop.signal.aborted || !stableTail(windows, rule)) return;
      log.step(`stable after ${windows.length} windows of ${rule.windowS}s (last ${rule.windows} within ±${rule.tolerance * 100}%): ending the level`);
      endWith({ kind: "stable", afterWindows: windows.length });
    },
  };
  try {
    const outcome = await engine.runLevel(spec, hooks, stop.signal);
    return { outcome, stalls: watch.stalls(), end, windows };
  } finally {
    o.signal.removeEventListener("abort", onInterrupt);
  }
}
