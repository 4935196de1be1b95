// The load-engine interface: one level in, its figures out. Two engines implement it: the embedded
// engine (a Node process of the suite's own, level/embedded/) and k6 (a k6 the user installed,
// level/k6/). Everything above it (stability stop, stall watch, validity, trials, layout probe, SLO
// search) sees only these types, so it never knows which engine ran.
import type { EngineName, LevelOutcome, LevelSpec, LiveSample, WindowReport } from "../plan/level-spec.ts";

/** What an engine tells the level's driver while the level runs. */
export interface EngineHooks {
  /** The engine's process started: its pid is measured as the client. */
  onStart(pid: number): void;
  onSample(sample: LiveSample): void;
  onWindow(window: WindowReport): void;
  /** The first failure of a kind ("status 503", "timeout", …), with what the answer said; later ones are only counted. */
  onFirstError?(kind: string, detail: string, t_ms: number): void;
}

export interface LoadEngine {
  name: EngineName;
  version: string;
  /**
   * Runs one level to its end. `stop` ends it early (stability, a stall, Ctrl-C): the engine stops
   * starting requests, lets those in flight finish (bounded), and returns what it measured.
   */
  runLevel(spec: LevelSpec, hooks: EngineHooks, stop: AbortSignal): Promise<LevelOutcome>;
}
