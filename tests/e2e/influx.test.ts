// InfluxDB export and the Grafana dashboards against real parts: a real influxd, the real CLI
// driving the embedded load engine against the real onnx-python server, then every panel query of
// every dashboard. No k6 exists here: the queries on k6's own series are checked to return nothing
// on this run (tests/grafana/grafana.test.ts checks them against what k6 writes), and --k6-report is
// checked to be refused without k6.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { InfluxClient, parseInfluxUrl, type InfluxSeries } from "../../orchestrator/outputs/influx/client.ts";
import { allPanels, groupByTags, isOpenLoopQuery, loadDashboards, panelQueries, queryEngine, substitute, type Substitution } from "../grafana/grafana.ts";
import { freePort } from "../../orchestrator/platform/http.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir, type CliRun } from "./helpers.ts";
import { startInfluxd, type Influxd } from "./influxd.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";
const FRAMEWORK = "onnx-python";
const LEVELS = ["1", "2"];
const DB = "eb_e2e";

type Scenario = FrameworkResult["scenarios"][string];
const numbers = (s: InfluxSeries, column = 1) => s.values.map((r) => r[column]).filter((v): v is number => typeof v === "number");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const LATENCY = "Latency p50 / p95 / p99 (successful requests)";

/**
 * Beyond "returns data": panels whose numbers can be checked against the result file, by panel
 * title or by "title refId". Loose where the figure is a live one: the machine may be loaded.
 */
const SEMANTIC_CHECKS: Record<string, (s: InfluxSeries, level: Scenario | undefined, where: string) => void> = {
  // Mean of the live request rates of a level is its throughput (edges of the level pull it down a little).
  "Requests per second": (s, level, where) => {
    const rps = mean(numbers(s));
    assert.ok(level && rps > level.throughput_qps * 0.5 && rps < level.throughput_qps * 1.5, `${where}: ${rps} req/s vs ${level?.throughput_qps}`);
  },
  "Requests in flight": (s, level, where) => assert.equal(Math.max(...numbers(s)), level?.concurrency, where),
  "Errors per second": (s, _level, where) => assert.equal(Math.max(...numbers(s)), 0, `${where}: the run had no errors`),
  // The 500 ms samples' medians average out near the level's median.
  [`${LATENCY} A`]: (s, level, where) => {
    const p50 = mean(numbers(s));
    assert.ok(level && p50 > level.latency_ms.median * 0.5 && p50 < level.latency_ms.median * 2, `${where}: mean p50 ${p50} ms vs ${level?.latency_ms.median}`);
  },
  // No 500 ms sample's tail beyond the level's slowest request (HDR: 0.1 % resolution).
  [`${LATENCY} C`]: (s, level, where) => {
    const p99 = Math.max(...numbers(s));
    assert.ok(
      level && p99 >= level.latency_ms.median && p99 <= level.latency_ms.max * 1.01,
      `${where}: highest p99 ${p99} ms vs level median ${level?.latency_ms.median}, max ${level?.latency_ms.max}`,
    );
  },
  // The finished level's figures, exactly as the result file has them.
  "Server-reported inference time A": (s, level, where) => {
    assert.deepEqual(s.columns, ["time", "p50", "p95"], where);
    assert.ok(level?.server_inference_ms, `${where}: the server sent x-inference-time`);
    assert.deepEqual(
      s.values.map((r) => r.slice(1)),
      [[level.server_inference_ms.median, level.server_inference_ms.p95]],
      where,
    );
  },
  "Server CPU": (s, level, where) => {
    const cpu = mean(numbers(s));
    const measured = level?.server_cpu_percent ?? null;
    assert.ok(measured !== null && cpu > measured * 0.5 && cpu < measured * 1.5, `${where}: ${cpu}% vs ${measured}%`);
  },
};

describe("--influx on a real run of the embedded engine", { timeout: 1_800_000 }, () => {
  let influxd: Influxd;
  let client: InfluxClient;
  let run: CliRun;
  let dir: string;
  let result: FrameworkResult;

  before(async () => {
    influxd = await startInfluxd();
    client = new InfluxClient(parseInfluxUrl(influxd.urlFor(DB)));
    dir = tempDir("influx");
    // 4 s levels: several 500 ms live samples per level, and per display interval of 1 s.
    run = await runCli([
      "--frameworks",
      FRAMEWORK,
      "--concurrency-levels",
      ...LEVELS,
      "--duration-s",
      "4",
      "--warmup-requests",
      "10",
      "--results-dir",
      dir,
      "--influx",
      influxd.urlFor(DB),
      "--engine",
      "embedded",
    ]);
    assert.equal(run.code, 0, run.stderr.slice(-4000));
    result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${FRAMEWORK}.json`), "utf8")));
    assert.equal(result.environment.load_engine?.name, "embedded");
  });
  after(async () => {
    await influxd?.stop();
  });

  const rows = (s: InfluxSeries) => s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
  const one = async (q: string) => {
    const [r] = await client.query(q);
    return r?.series ?? [];
  };
  const sub = (variables: Substitution["variables"]): Substitution => ({
    variables,
    fromMs: Date.parse(result.started_at) - 60_000,
    toMs: Date.now() + 60_000,
    intervalS: 1,
  });

  test("the run says where it exports", () => {
    assert.match(run.stderr, new RegExp(`InfluxDB export: ${influxd.origin}, database ${DB}`));
  });

  test("the engine's live samples went to eb_live every 500 ms with the run's tags", async () => {
    for (const level of LEVELS) {
      const sc = result.scenarios[pointKey(closedPoint(Number(level)))]!;
      const [series] = await one(
        `SELECT count("requests_per_s") AS "samples", max("requests_per_s") AS "rps", sum("errors_per_s") AS "errors", max("in_flight") AS "in_flight", count("latency_p50_ms") AS "latency", max("latency_p99_ms") AS "p99" FROM "eb_live" ` +
          `WHERE "run_id" = '${result.run_id}' AND "framework" = '${FRAMEWORK}' AND "model" = '${MODEL}' AND "concurrency" = '${level}' AND "scenario" = '${pointKey(closedPoint(Number(level)))}'`,
      );
      assert.ok(series, `no eb_live for concurrency ${level}`);
      const r = rows(series)[0]!;
      // About 8 samples in a 4 s level; a loaded machine may delay the timer.
      assert.ok((r["samples"] as number) >= 4 && (r["samples"] as number) <= 12, `level ${level}: ${String(r["samples"])} live samples`);
      assert.ok((r["rps"] as number) > 0, `level ${level}: requests/s`);
      assert.equal(r["errors"], 0, `level ${level}: no errors`);
      assert.equal(r["in_flight"], Number(level), `level ${level}: in flight`);
      // Latency comes with every sample that saw a success: the embedded engine's interval percentiles.
      assert.ok((r["latency"] as number) >= (r["samples"] as number) - 2, `level ${level}: ${String(r["latency"])} samples with latency`);
      assert.ok((r["p99"] as number) > 0 && (r["p99"] as number) <= sc.latency_ms.max * 1.01, `level ${level}: p99 ${String(r["p99"])} ms`);
    }
  });

  test("the orchestrator's series match the result file", async () => {
    const [startup] = await one(`SELECT * FROM "eb_startup" WHERE "run_id" = '${result.run_id}'`);
    const s = rows(startup!)[0]!;
    assert.equal(s["framework"], FRAMEWORK);
    assert.equal(s["cold_start_ms"], result.cold_start_ms);
    assert.equal(s["first_inference_ms"], result.first_inference_ms);
    assert.equal(s["model_load_time_ms"], result.server_info?.["model_load_time_ms"]);

    const [levels] = await one(`SELECT * FROM "eb_level" WHERE "run_id" = '${result.run_id}' AND "model" = '${MODEL}'`);
    const byLevel = new Map(rows(levels!).map((r) => [String(r["concurrency"]), r]));
    assert.deepEqual([...byLevel.keys()].sort(), LEVELS);
    for (const level of LEVELS) {
      const sc = result.scenarios[pointKey(closedPoint(Number(level)))]!;
      const r = byLevel.get(level)!;
      assert.equal(r["scenario"], pointKey(closedPoint(Number(level))));
      assert.equal(r["throughput_qps"], sc.throughput_qps);
      assert.equal(r["latency_p95_ms"], sc.latency_ms.p95);
      assert.equal(r["latency_p99_ms"], sc.latency_ms.p99);
      assert.equal(r["server_cpu_percent"], sc.server_cpu_percent);
      assert.equal(r["client_memory_mb"], sc.client_memory_mb);
      assert.equal(r["errors"], sc.errors);
    }

    for (const proc of ["server", "client"]) {
      const series = await one(
        `SELECT count("cpu_percent"), max("rss_mb") FROM "eb_resource" WHERE "run_id" = '${result.run_id}' AND "process" = '${proc}' GROUP BY "concurrency"`,
      );
      assert.deepEqual(series.map((x) => x.tags?.["concurrency"]).sort(), LEVELS, `${proc} samples per level`);
      for (const x of series) {
        const r = rows(x)[0]!;
        assert.ok((r["count"] as number) >= 3, `${proc} c=${x.tags?.["concurrency"]}: ${String(r["count"])} samples`);
        assert.ok((r["max"] as number) > (proc === "server" ? 50 : 5), `${proc} RSS ${String(r["max"])} MiB`);
      }
    }
    const [status] = await one(`SELECT "status", "levels_completed" FROM "eb_run" WHERE "run_id" = '${result.run_id}'`);
    assert.deepEqual(
      rows(status!).map((r) => [r["status"], r["levels_completed"]]),
      [["completed", 2]],
    );
  });

  test("every dashboard variable query lists this run, model and framework", async () => {
    for (const { file, dashboard } of loadDashboards(path.join(ROOT, "grafana", "dashboards"))) {
      const values: Record<string, string[]> = {};
      for (const v of dashboard.templating.list) {
        const [series] = await one(substitute(v.query, sub(values)));
        const found = (series?.values ?? []).map((row) => String(row[1]));
        const expected = { run_id: result.run_id, model: MODEL, framework: FRAMEWORK }[v.name];
        assert.ok(expected !== undefined && found.includes(expected), `${file}: $${v.name} offers ${JSON.stringify(found)}`);
        // A fresh database holds one run of one framework: more values would mean a leaky filter.
        assert.deepEqual(found, [expected], `${file}: $${v.name}`);
        values[v.name] = [expected];
      }
    }
  });

  test("every panel query of every dashboard returns series with the expected tags", async () => {
    const expectedTag: Record<string, (v: string) => boolean> = {
      framework: (v) => v === FRAMEWORK,
      model: (v) => v === MODEL,
      run_id: (v) => v === result.run_id,
      concurrency: (v) => LEVELS.includes(v),
    };
    let checked = 0;
    let k6Checked = 0;
    const withData = new Set<string>();
    const semanticChecked = new Set<string>();
    for (const { file, dashboard } of loadDashboards(path.join(ROOT, "grafana", "dashboards"))) {
      for (const q of panelQueries(dashboard)) {
        const where = `${path.basename(file)} '${q.panel}' ${q.refId}`;
        const series = await one(substitute(q.query, sub({ run_id: [result.run_id], model: [MODEL], framework: [FRAMEWORK] })));
        if (isOpenLoopQuery(q.query)) {
          // Open-loop levels and --slo capacity: this closed-loop run has none (checked with data in grafana-openloop.test.ts).
          assert.equal(series.length, 0, `${where}: a closed-loop run shows up in an open-loop panel`);
          continue;
        }
        if (queryEngine(q.query) === "k6") {
          // k6's own series: InfluxDB took the query (a statement error throws), and this run, which k6 did not drive, has none.
          assert.equal(series.length, 0, `${where}: k6's series hold data of an embedded-engine run`);
          k6Checked++;
          continue;
        }
        assert.ok(series.length > 0, `${where}: no series\n${q.query}`);
        withData.add(`${file} ${q.panel}`);
        const tagKeys = groupByTags(q.query);
        assert.ok(tagKeys.includes("framework"), `${where}: not split by framework`);
        for (const s of series) {
          for (const key of tagKeys) {
            const value = s.tags?.[key];
            assert.ok(value !== undefined && (expectedTag[key] ?? (() => false))(value), `${where}: tag ${key}=${String(value)}`);
          }
          const numbers = s.values.flatMap((row) => row.slice(1)).filter((v) => typeof v === "number" && Number.isFinite(v));
          assert.ok(numbers.length > 0 || s.values.some((row) => row.slice(1).some((v) => typeof v === "string" && v !== "")), `${where}: only nulls`);
        }
        const key = [`${q.panel} ${q.refId}`, q.panel].find((k) => SEMANTIC_CHECKS[k]);
        if (key) {
          for (const s of series) SEMANTIC_CHECKS[key]!(s, result.scenarios[pointKey(closedPoint(Number(s.tags?.["concurrency"] ?? "")))], where);
          semanticChecked.add(key);
        }
        // Panels split by level show both levels of the run.
        if (tagKeys.includes("concurrency")) assert.deepEqual([...new Set(series.map((s) => s.tags!["concurrency"]))].sort(), LEVELS, where);
        // Another framework's or another run's dashboard shows nothing of this run.
        for (const other of [{ framework: ["no-such-framework"] }, { run_id: ["19700101-000000-dead"] }, { model: ["no-such-model"] }]) {
          const none = await one(substitute(q.query, sub({ run_id: [result.run_id], model: [MODEL], framework: [FRAMEWORK], ...other })));
          assert.equal(none.length, 0, `${where}: ${JSON.stringify(other)} still returns data`);
        }
        checked++;
      }
    }
    assert.ok(checked >= 19, `${checked} panel queries checked`);
    assert.ok(k6Checked >= 4, `${k6Checked} k6 queries checked`);
    assert.deepEqual([...semanticChecked].sort(), Object.keys(SEMANTIC_CHECKS).sort());
    // Every panel shows this run, open-loop ones excepted.
    for (const { file, dashboard } of loadDashboards(path.join(ROOT, "grafana", "dashboards"))) {
      for (const p of allPanels(dashboard).filter((x) => x.type !== "row" && !(x.targets ?? []).every((t) => isOpenLoopQuery(t.query)))) {
        assert.ok(withData.has(`${file} ${p.title}`), `${path.basename(file)} '${p.title}': no query returned data`);
      }
    }
  });

  test("live latency: p50 <= p95 <= p99 in every display interval of every level", async () => {
    const live = loadDashboards(path.join(ROOT, "grafana", "dashboards")).find((d) => path.basename(d.file) === "live-run.json")!.dashboard;
    const byRef = new Map(
      panelQueries(live)
        .filter((q) => q.panel === LATENCY && queryEngine(q.query) === "embedded")
        .map((q) => [q.refId, q]),
    );
    const points = new Map<string, number[]>();
    for (const [i, refId] of ["A", "B", "C"].entries()) {
      const series = await one(substitute(byRef.get(refId)!.query, sub({ run_id: [result.run_id], model: [MODEL], framework: [FRAMEWORK] })));
      for (const s of series) {
        for (const [t, v] of s.values) {
          const key = `${s.tags!["concurrency"]} ${String(t)}`;
          if (!points.has(key)) points.set(key, []);
          points.get(key)![i] = v as number;
        }
      }
    }
    assert.ok(points.size >= 4, `${points.size} intervals`);
    for (const [key, [p50, p95, p99]] of points) {
      assert.ok(p50 !== undefined && p95 !== undefined && p99 !== undefined, `${key}: ${String([p50, p95, p99])}`);
      assert.ok(p50 <= p95 && p95 <= p99, `${key}: p50 ${p50}, p95 ${p95}, p99 ${p99}`);
    }
  });
});

// k6's web-dashboard report itself needs a k6 (unit level: webDashboardEnv in orchestrator/level/k6/k6-engine.test.ts).
test("--k6-report with the embedded engine exits 2 with one line before anything starts", { timeout: 120_000 }, async () => {
  const dir = tempDir("k6-report");
  const run = await runCli([
    "--frameworks",
    FRAMEWORK,
    "--concurrency-levels",
    "1",
    "--duration-s",
    "1",
    "--results-dir",
    dir,
    "--engine",
    "embedded",
    "--k6-report",
  ]);
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /--k6-report saves k6's own web dashboard: it needs the k6 engine \(--engine k6/);
  assert.match(lines[0]!, /Install k6 from Grafana/);
  assert.doesNotMatch(run.stderr, /load engine:|starting on|model .* ready/, "nothing started");
  assert.deepEqual(readdirSync(dir), [], "no run was created");
});

test("unreachable InfluxDB stops the run at the start by default (URL from the environment)", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const started = Date.now();
  const run = await runCli(["--frameworks", FRAMEWORK, "--results-dir", tempDir("influx-down")], {
    env: { EMBEDDING_BENCH_INFLUX: `http://127.0.0.1:${port}/bench` },
  });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`InfluxDB at http://127.0.0.1:${port} \\(from EMBEDDING_BENCH_INFLUX\\) is not usable: .*ECONNREFUSED`));
  assert.match(run.stderr, /--influx-on-error continue/);
  assert.doesNotMatch(run.stderr, /starting on/, "no server was started");
  assert.ok(Date.now() - started < 60_000);
});

test("--influx-on-error continue runs without export and says so", { timeout: 1_800_000 }, async () => {
  const port = await freePort();
  const dir = tempDir("influx-continue");
  const run = await runCli([
    "--frameworks",
    FRAMEWORK,
    "--concurrency-levels",
    "1",
    "--duration-s",
    "1",
    "--warmup-requests",
    "1",
    "--results-dir",
    dir,
    "--influx",
    `http://127.0.0.1:${port}/bench`,
    "--influx-on-error",
    "continue",
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  assert.match(run.stderr, /WARNING: InfluxDB at .* is not usable: .*\nContinuing WITHOUT InfluxDB export/);
  // Nothing wrote to the dead port: the exporter would log failed writes, k6 (when it drives the load) its output's errors.
  assert.doesNotMatch(run.stderr, /InfluxDB export of .* failed|output=InfluxDB/i);
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${FRAMEWORK}.json`), "utf8")));
  assert.equal(result.status, "completed");
});
