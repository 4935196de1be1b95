// The framework-comparison dashboard's open-loop panels against real parts: a real influxd, the real
// CLI running a closed-loop level and an --slo search (open-loop levels) with the embedded load engine
// against the real onnx-python server, plus a second framework written through the suite's own exporter (InfluxExporter)
// so the panels' split per framework is checked too. Every figure a panel returns must equal the
// result file's: a query that reads the wrong field, mixes modes or leaks another framework fails.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { InfluxClient, parseInfluxUrl, type InfluxSeries } from "../../orchestrator/outputs/influx/client.ts";
import { InfluxExporter } from "../../orchestrator/outputs/influx/export.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { isClosedLoopQuery, isOpenLoopQuery, loadDashboards, panelQueries, substitute, type PanelQuery } from "../grafana/grafana.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { startInfluxd, type Influxd } from "./influxd.ts";

const MODEL = "all-MiniLM-L6-v2";
const FRAMEWORK = "onnx-python";
/** Written by the exporter from a copy of the real result with other figures. */
const OTHER = "other-framework";
const DB = "eb_openloop";
const SLO = "p99<200ms";

type Scenario = FrameworkResult["scenarios"][string];
const rows = (s: InfluxSeries) => s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
const openLevels = (r: FrameworkResult) => Object.values(r.scenarios).filter((s) => s.mode === "open");
const closedLevels = (r: FrameworkResult) => Object.values(r.scenarios).filter((s) => s.mode !== "open");
const byFirst = (a: readonly unknown[], b: readonly unknown[]) => (a[0] as number) - (b[0] as number);

/** A copy of a result under another framework name whose figures differ from the original's. */
function otherFramework(r: FrameworkResult): FrameworkResult {
  const o = structuredClone(r);
  o.framework = OTHER;
  for (const s of Object.values(o.scenarios)) {
    s.latency_ms = { ...s.latency_ms, median: s.latency_ms.median * 2 + 1, p95: s.latency_ms.p95 * 2 + 2, p99: s.latency_ms.p99 * 2 + 3 };
    if (s.mode === "open") {
      s.achieved_rps = s.achieved_rps! / 2;
      s.dropped_iterations = (s.dropped_iterations ?? 0) + 7;
      s.validity = { ...s.validity!, saturated: true };
    }
  }
  const c = r.capacity_at_slo![0]!;
  o.capacity_at_slo = [{ ...c, capacity_rps: 123, lowest_failing_rps: 124, tried: c.tried.slice(0, 1) }];
  return o;
}

describe("framework comparison: open-loop panels on a real --slo run", { timeout: 900_000 }, () => {
  let influxd: Influxd;
  let client: InfluxClient;
  let results: Map<string, FrameworkResult>;
  let queries: PanelQuery[];

  before(async () => {
    influxd = await startInfluxd();
    client = new InfluxClient(parseInfluxUrl(influxd.urlFor(DB)));
    const dir = tempDir("grafana-openloop");
    // One closed-loop level, then the search's open-loop levels (from its throughput, doubling or halving, then bisecting).
    const run = await runCli([
      "--frameworks",
      FRAMEWORK,
      "--concurrency-levels",
      "1",
      "--duration-s",
      "3",
      "--warmup-requests",
      "5",
      "--slo",
      SLO,
      "--slo-max-steps",
      "3",
      "--results-dir",
      dir,
      "--influx",
      influxd.urlFor(DB),
      "--engine",
      "embedded",
    ]);
    assert.equal(run.code, 0, run.stderr.slice(-4000));
    const real = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${FRAMEWORK}.json`), "utf8")));
    assert.equal(real.environment.load_engine?.name, "embedded");
    assert.ok(real.capacity_at_slo, "the run searched");
    assert.ok(openLevels(real).length >= 2 && closedLevels(real).length === 1, Object.keys(real.scenarios).join(" "));

    const other = otherFramework(real);
    const exporter = await InfluxExporter.open(influxd.urlFor(DB), "test", "stop");
    for (const s of Object.values(other.scenarios)) await exporter!.level(other, s, {});
    await exporter!.finished(other);

    results = new Map([
      [FRAMEWORK, real],
      [OTHER, other],
    ]);
    const comparison = loadDashboards(path.join(ROOT, "grafana", "dashboards")).find((d) => path.basename(d.file) === "framework-comparison.json")!;
    queries = panelQueries(comparison.dashboard);
  });
  after(async () => {
    await influxd?.stop();
  });

  const panel = (title: string) => {
    const q = queries.find((x) => x.panel === title);
    assert.ok(q, `no panel '${title}'`);
    return q;
  };
  const run = async (q: PanelQuery, variables: Partial<Record<"run_id" | "model" | "framework", string[]>> = {}) => {
    const real = results.get(FRAMEWORK)!;
    const text = substitute(q.query, {
      variables: { run_id: [real.run_id], model: [MODEL], framework: [FRAMEWORK, OTHER], ...variables },
      fromMs: Date.parse(real.started_at) - 60_000,
      toMs: Date.now() + 60_000,
      intervalS: 1,
    });
    const [r] = await client.query(text);
    return r?.series ?? [];
  };
  /** One series per framework (and run), in framework order. */
  const perFramework = (series: InfluxSeries[], where: string) => {
    assert.deepEqual(series.map((s) => s.tags?.["framework"]).sort(), [FRAMEWORK, OTHER].sort(), `${where}: one series per framework`);
    return series.map((s) => [s.tags!["framework"]!, s] as const);
  };

  test("latency p50/p95/p99 vs achieved rate: exactly the open-loop levels of each framework", async () => {
    const series = await run(panel("Open loop: latency p50 / p95 / p99 vs achieved rate"));
    for (const [framework, s] of perFramework(series, "latency vs rate")) {
      assert.equal(s.tags!["run_id"], results.get(framework)!.run_id);
      assert.deepEqual(s.columns, ["time", "achieved_rps", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"]);
      const expected = openLevels(results.get(framework)!).map((l: Scenario) => [l.achieved_rps, l.latency_ms.median, l.latency_ms.p95, l.latency_ms.p99]);
      assert.deepEqual(
        s.values.map((v) => v.slice(1)).sort(byFirst),
        expected.sort(byFirst),
        `${framework}: one point per open-loop level, no closed-loop level`,
      );
    }
  });

  test("open-loop levels table: target, achieved, dropped, VUs, saturated and percentiles per level", async () => {
    const series = await run(panel("Open-loop levels"));
    for (const [framework, s] of perFramework(series, "open-loop table")) {
      const got = rows(s).map(({ time: _time, ...r }) => r);
      const expected = openLevels(results.get(framework)!).map((l) => ({
        target_rps: l.target_rps,
        achieved_rps: l.achieved_rps,
        dropped_iterations: l.dropped_iterations,
        vus_max: l.vus_max,
        saturated: l.validity!.saturated,
        latency_p50_ms: l.latency_ms.median,
        latency_p95_ms: l.latency_ms.p95,
        latency_p99_ms: l.latency_ms.p99,
        server_cpu_percent: l.server_cpu_percent ?? null,
        errors: l.errors,
        error_rate: l.error_rate,
      }));
      const byTarget = (a: { target_rps?: unknown }, b: { target_rps?: unknown }) => (a.target_rps as number) - (b.target_rps as number);
      assert.deepEqual(got.sort(byTarget), expected.sort(byTarget), framework);
    }
  });

  test("capacity at SLO: each framework's capacity, lowest failing rate and levels tried, per objective", async () => {
    const series = await run(panel("Capacity at SLO"));
    for (const [framework, s] of perFramework(series, "capacity")) {
      const c = results.get(framework)!.capacity_at_slo![0]!;
      assert.equal(s.tags!["slo"], SLO);
      assert.deepEqual(
        rows(s).map(({ time: _time, ...r }) => r),
        [{ capacity_rps: c.capacity_rps, lowest_failing_rps: c.lowest_failing_rps, levels_tried: c.tried.length }],
        framework,
      );
    }
  });

  test("the closed-loop panels keep the open-loop levels out", async () => {
    // Every per-level query that is not an open-loop one: a query that lost its mode filter shows here.
    const closed = queries.filter((q) => q.query.includes('FROM "eb_level"') && !isOpenLoopQuery(q.query));
    assert.ok(closed.length >= 5 && closed.every((q) => isClosedLoopQuery(q.query)), `${closed.length} closed-loop queries`);
    for (const q of closed) {
      const series = await run(q);
      for (const [framework, s] of perFramework(series, q.panel)) {
        const vus = rows(s).map((r) => r["concurrency_vus"]);
        assert.deepEqual(
          vus,
          closedLevels(results.get(framework)!).map((l) => l.concurrency),
          `${q.panel} ${framework}: closed-loop levels only`,
        );
      }
    }
  });

  test("the open-loop panels show nothing of another framework, run or model", async () => {
    for (const title of ["Open loop: latency p50 / p95 / p99 vs achieved rate", "Open-loop levels", "Capacity at SLO"]) {
      assert.equal((await run(panel(title), { framework: [FRAMEWORK] })).length, 1, `${title}: one framework selected`);
      for (const other of [{ framework: ["no-such-framework"] }, { run_id: ["19700101-000000-dead"] }, { model: ["no-such-model"] }]) {
        assert.equal((await run(panel(title), other)).length, 0, `${title}: ${JSON.stringify(other)} still returns data`);
      }
    }
  });
});
