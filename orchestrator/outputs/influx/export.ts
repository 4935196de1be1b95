// `--influx <url>`: the orchestrator writes its series (points.ts) to an InfluxDB v1 database, the
// live ones (eb_live) from either engine's samples; when k6 drives the load, k6 also writes its own
// samples there through its built-in InfluxDB output. Reachability is checked once at the start;
// a write that fails later is reported and the benchmark goes on (the result files stay complete).
import { log } from "../../platform/log.ts";
import type { ResourceSummary } from "../../platform/procfs.ts";
import type { FrameworkResult, ScenarioResult } from "../../results/schema.ts";
import type { LiveSample } from "../../plan/level-spec.ts";
import { pointKey, type SweepPoint } from "../../plan/level-key.ts";
import type { RunObserver } from "../observer.ts";
import type { InfluxOnError } from "../../plan/bench-options.ts";
import { InfluxClient, parseInfluxUrl } from "./client.ts";
import { toLines, type Point } from "./line.ts";
import { capacityPoints, levelPoint, livePoint, resourcePoints, runPoint, startupPoint, verificationPoints, type LevelKey } from "./points.ts";
import { UserError } from "../../platform/errors.ts";

/** Live samples are written in batches: 4 samples of 500 ms, so the dashboard lags by about 2 s. */
const LIVE_BATCH = 4;

export class InfluxExporter implements RunObserver {
  private failedWrites = 0;
  private live: Point[] = [];
  private previous = new Map<string, LiveSample>();

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
      log.step(`InfluxDB export: ${client.target.origin}, database ${client.target.database} (live samples, levels and run series)`);
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

  sample(result: FrameworkResult, point: SweepPoint, sample: LiveSample): void {
    const level = point.level;
    const key: LevelKey = {
      mode: level.mode,
      scenario_name: pointKey(point),
      concurrency: level.mode === "closed" ? level.value : 1,
      target_rps: level.mode === "open" ? level.value : undefined,
      batch_size: point.batchSize,
      seq_len: point.seqLen,
    };
    const id = `${result.framework}/${key.scenario_name}`;
    const prev = this.previous.get(id);
    // A new level starts again from 0.
    this.live.push(livePoint(result, key, sample, prev && prev.t_ms < sample.t_ms ? prev : undefined, Date.now()));
    this.previous.set(id, sample);
    if (this.live.length >= LIVE_BATCH) void this.flushLive();
  }

  private async flushLive(): Promise<void> {
    const points = this.live;
    this.live = [];
    if (points.length) await this.write("live samples", points);
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
    await this.flushLive();
    this.previous.clear();
    await this.write(`${result.framework} ${scenario.scenario_name}`, [...resourcePoints(result, scenario, resources), levelPoint(result, scenario)]);
  }

  async finished(result: FrameworkResult): Promise<void> {
    const now = Date.now();
    await this.write(`${result.framework} end of run`, [...verificationPoints(result, now), ...capacityPoints(result, now), runPoint(result, now)]);
    if (this.failedWrites > 0) log.warn(`InfluxDB export: ${this.failedWrites} write(s) failed during this run; the dashboards miss those series`);
  }
}
