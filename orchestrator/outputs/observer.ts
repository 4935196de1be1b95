// The one interface of the exporters a run tells about each step (InfluxDB today): outputs report
// their own failures and never throw, so an unreachable database never stops a benchmark.
import type { SweepPoint } from "../plan/level-key.ts";
import type { LiveSample } from "../plan/level-spec.ts";
import type { ResourceSummary } from "../platform/procfs.ts";
import type { FrameworkResult, ScenarioResult } from "../results/schema.ts";

/** Lifecycle hooks for exporters. */
export interface RunObserver {
  /** Extra `k6 run` arguments when k6 drives the levels, e.g. `--out influxdb=…`. */
  k6Args(): string[];
  /** Each live sample of a level (every 500 ms), for the live dashboard. */
  sample(result: FrameworkResult, point: SweepPoint, sample: LiveSample): void;
  /** After the first inference and /info (cold start known). */
  started(result: FrameworkResult): Promise<void>;
  /** After each level, with the monitor's samples of that level. */
  level(result: FrameworkResult, scenario: ScenarioResult, resources: Record<string, ResourceSummary>): Promise<void>;
  /** When the framework is done, whatever its status. */
  finished(result: FrameworkResult): Promise<void>;
}
