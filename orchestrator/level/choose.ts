// --engine auto|embedded|k6: which engine drives the levels, and why, announced at the start of a run.
import { UserError } from "../platform/errors.ts";
import type { EngineChoice } from "../plan/bench-options.ts";
import type { EngineName } from "../plan/level-spec.ts";
import type { LoadEngine } from "./load-engine.ts";
import { EmbeddedEngine } from "./embedded/embedded-engine.ts";
import { K6Engine } from "./k6/k6-engine.ts";
import { findK6, INSTALL_K6, requireK6 } from "./k6/find.ts";

export interface ChosenEngine {
  engine: LoadEngine;
  why: string;
}

/** `k6Outputs`: `k6 run` arguments for k6's own outputs (InfluxDB), used only when k6 is chosen. */
export function chooseEngine(choice: EngineChoice, k6Outputs: readonly string[] = []): ChosenEngine {
  if (choice === "embedded") return { engine: new EmbeddedEngine(), why: "--engine embedded" };
  if (choice === "k6") {
    const k6 = requireK6("--engine k6");
    return { engine: new K6Engine(k6, k6Outputs), why: `--engine k6: ${k6.path} (from ${k6.source})` };
  }
  const k6 = findK6();
  if (k6) return { engine: new K6Engine(k6, k6Outputs), why: `a k6 was found: ${k6.path} (from ${k6.source}); --engine embedded uses the suite's own` };
  return { engine: new EmbeddedEngine(), why: "no k6 in K6_BIN or on PATH; --engine k6 needs one you installed" };
}

/** The engine a choice comes to, without making it (for the checks made before anything starts). */
export const engineNameOf = (choice: EngineChoice): EngineName => (choice === "auto" ? (findK6() ? "k6" : "embedded") : choice);

/** k6's web-dashboard report exists only when k6 runs the levels: checked before anything starts. */
export function checkK6Report(choice: EngineChoice, k6Report: boolean): void {
  if (k6Report && engineNameOf(choice) !== "k6")
    throw new UserError(`--k6-report saves k6's own web dashboard: it needs the k6 engine (--engine k6, or a k6 on PATH with --engine auto). ${INSTALL_K6}`);
}
