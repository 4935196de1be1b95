// `--influx <url>`: k6 writes its samples through its built-in InfluxDB v1 output, the orchestrator
// writes its own series (points.ts) to the same database. Reachability is checked once at the start;
// a write that fails later is reported and the benchmark goes on (the result files stay complete).
import { log } from "../log.ts";
import type { ResourceSummary } from "../monitor.ts";
import type { FrameworkResult, ScenarioResult } from "../results/schema.ts";
import type { RunObserver } from "../run.ts";
import { InfluxClient, parseInfluxUrl } from "./client.ts";
import { toLines, type Point } from "./line.ts";
import { capacityPoints, levelPoint, resourcePoints, runPoint, startupPoint, verificationPoints } from "./points.ts";
import { UserError } from "../errors.ts";

export const INFLUX_ENV = "EMBEDDING_BENCH_INFLUX";

export const InfluxOnError = ["stop", "continue"] as const;
export type InfluxOnError = (typeof InfluxOnError)[number];

export class InfluxExporter implements RunObserver {
  private failedWrites = 0;

  private constructor(private readonly client: InfluxClient) {}

  /**
   * Connects (ping + CREATE DATABASE). Unreachable: `stop` throws UserError, `continue`
   * logs a warning and returns null (the run goes on without export). Bad URL: always throws.
   */
  static async open(rawUrl: string, source: string, onError: InfluxOnError): Promise<InfluxExporter | null> {
    let client: InfluxClient;
    try {
      client = new InfluxClient(parseInfluxUrl(rawUrl));
    } catch (err) {
      throw new UserError(`${source}: ${(err as Error).message}`);
    }
    let problem = await client.ping();
    if (problem === null) {
      try {
        await client.createDatabase();
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (problem === null) {
      log.step(`InfluxDB export: ${client.target.origin}, database ${client.target.database} (k6 samples and orchestrator series)`);
      return new InfluxExporter(client);
    }
    const what = `InfluxDB at ${client.target.origin} (from ${source}) is not usable: ${problem}`;
    if (onError === "stop") throw new UserError(`${what}\nStart it, fix the URL, or pass --influx-on-error continue to run without export.`);
    log.warn(`${what}\nContinuing WITHOUT InfluxDB export (--influx-on-error continue); results still go to the JSON files.`);
    return null;
  }

  k6Args(): string[] {
    return ["--out", `influxdb=${this.client.target.url}`];
  }

  private async write(what: string, points: readonly Point[]): Promise<void> {
    try {
      await this.client.write(toLines(points));
    } catch (err) {
      this.failedWrites++;
      log.warn(`InfluxDB export of ${what} failed (${this.failedWrites} failed write(s) so far): ${(err as Error).message}`);
    }
  }

  async started(result: FrameworkResult): Promise<void> {
    await this.write(`${result.framework} startup`, [startupPoint(result, Date.now())]);
  }

  async level(result: FrameworkResult, scenario: ScenarioResult, resources: Record<string, ResourceSummary>): Promise<void> {
    await this.write(`${result.framework} ${scenario.scenario_name}`, [
      ...resourcePoints(result, scenario, resources),
      levelPoint(result, scenario),
    ]);
  }

  async finished(result: FrameworkResult): Promise<void> {
    const now = Date.now();
    await this.write(`${result.framework} end of run`, [...verificationPoints(result, now), ...capacityPoints(result, now), runPoint(result, now)]);
    if (this.failedWrites > 0) log.warn(`InfluxDB export: ${this.failedWrites} write(s) failed during this run; the dashboards miss those series`);
  }
}
