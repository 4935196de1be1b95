// The IPC messages between the embedded engine (parent side, engine.ts) and its process (child.ts).
import type { LevelOutcome, LevelSpec, LiveSample, WindowReport } from "../../plan/level-spec.ts";

export type ToChild = { type: "run"; spec: LevelSpec; version: string } | { type: "stop" };

export type FromChild =
  | { type: "sample"; sample: LiveSample }
  | { type: "window"; window: WindowReport }
  | { type: "first-error"; kind: string; detail: string; t_ms: number }
  | { type: "outcome"; outcome: LevelOutcome }
  | { type: "error"; message: string };
