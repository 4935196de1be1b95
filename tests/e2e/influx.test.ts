// InfluxDB export and the Grafana dashboards against real parts: a real influxd, the real CLI
// driving real k6 against the real onnx-python server, then every panel query of every dashboard.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { InfluxClient, parseInfluxUrl, type InfluxSeries } from "../../orchestrator/influx/client.ts";
import { groupByTags, isOpenLoopQuery, loadDashboards, panelQueries, substitute, type Substitution } from "../grafana/grafana.ts";
import { freePort } from "../../orchestrator/http.ts";
import { ROOT } from "../../orchestrator/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir, type CliRun } from "./helpers.ts";
import { startInfluxd, type Influxd } from "./influxd.ts";

const MODEL = "all-MiniLM-L6-v2";
const FRAMEWORK = "onnx-python";
const LEVELS = ["1", "2"];
const DB = "eb_e2e";

type Scenario = FrameworkResult["scenarios"][string];
const numbers = (s: InfluxSeries, column = 1) => s.values.map((r) => r[column]).filter((v): v is number => typeof v === "number");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Beyond "returns data": panels whose numbers can be checked against the result file. */
const SEMANTIC_CHECKS: Record<string, (s: InfluxSeries, level: Scenario | undefined, where: string) => void> = {
  // Mean of the 1 s request counts of a level is its throughput (edges of the level pull it down a little).
  "Requests per second": (s, level, where) => {
    const rps = mean(numbers(s));
    assert.ok(level && rps > level.throughput_qps * 0.5 && rps < level.throughput_qps * 1.5, `${where}: ${rps} req/s vs ${level?.throughput_qps}`);
  },
  "Virtual users": (s, level, where) => assert.equal(Math.max(...numbers(s)), level?.concurrency, where),
  "Errors per second": (s, _level, where) => assert.equal(Math.max(...numbers(s)), 0, `${where}: the run had no errors`),
  "Server CPU": (s, level, where) => {
    const cpu = mean(numbers(s));
    const measured = level?.server_cpu_percent ?? null;
    assert.ok(measured !== null && cpu > measured * 0.5 && cpu < measured * 1.5, `${where}: ${cpu}% vs ${measured}%`);
  },
};

describe("--influx and --k6-report on a real run", { timeout: 1_800_000 }, () => {
  let influxd: Influxd;
  let client: InfluxClient;
  let run: CliRun;
  let dir: string;
  let result: FrameworkResult;

  before(async () => {
    influxd = await startInfluxd();
    client = new InfluxClient(parseInfluxUrl(influxd.urlFor(DB)));
    dir = tempDir("influx");
    // 4 s levels: the web dashboard needs more than three aggregation periods (1 s here) for graphs.
    run = await runCli(["--frameworks", FRAMEWORK, "--levels", ...LEVELS, "--duration-s", "4", "--warmup-requests", "10", "--results-dir", dir, "--influx", influxd.urlFor(DB), "--k6-report"]);
    assert.equal(run.code, 0, run.stderr.slice(-4000));
    result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${FRAMEWORK}.json`), "utf8")));
  });
  after(async () => {
    await influxd?.stop();
  });

  const rows = (s: InfluxSeries) => s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
  const one = async (q: string) => {
    const [r] = await client.query(q);
    return r?.series ?? [];
  };
  const sub = (variables: Substitution["variables"]): Substitution => ({ variables, fromMs: Date.parse(result.started_at) - 60_000, toMs: Date.now() + 60_000, intervalS: 1 });

  test("the run says where it exports", () => {
    assert.match(run.stderr, new RegExp(`InfluxDB export: ${influxd.origin}, database ${DB}`));
  });

  test("k6 wrote every request with the run's tags", async () => {
    for (const level of LEVELS) {
      const [series] = await one(`SELECT count("value") FROM "http_reqs" WHERE "run_id" = '${result.run_id}' AND "framework" = '${FRAMEWORK}' AND "model" = '${MODEL}' AND "concurrency" = '${level}' AND "scenario" = 'concurrency_${level}'`);
      assert.ok(series, `no http_reqs for concurrency ${level}`);
      assert.equal(rows(series)[0]!["count"], result.scenarios[`concurrency_${level}`]!.num_requests, `level ${level}: InfluxDB holds every request k6 counted`);
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
      const sc = result.scenarios[`concurrency_${level}`]!;
      const r = byLevel.get(level)!;
      assert.equal(r["scenario"], `concurrency_${level}`);
      assert.equal(r["throughput_qps"], sc.throughput_qps);
      assert.equal(r["latency_p95_ms"], sc.latency_ms.p95);
      assert.equal(r["latency_p99_ms"], sc.latency_ms.p99);
      assert.equal(r["server_cpu_percent"], sc.server_cpu_percent);
      assert.equal(r["client_memory_mb"], sc.client_memory_mb);
      assert.equal(r["errors"], sc.errors);
    }

    for (const proc of ["server", "client"]) {
      const series = await one(`SELECT count("cpu_percent"), max("rss_mb") FROM "eb_resource" WHERE "run_id" = '${result.run_id}' AND "process" = '${proc}' GROUP BY "concurrency"`);
      assert.deepEqual(series.map((x) => x.tags?.["concurrency"]).sort(), LEVELS, `${proc} samples per level`);
      for (const x of series) {
        const r = rows(x)[0]!;
        assert.ok((r["count"] as number) >= 3, `${proc} c=${x.tags?.["concurrency"]}: ${String(r["count"])} samples`);
        assert.ok((r["max"] as number) > (proc === "server" ? 50 : 5), `${proc} RSS ${String(r["max"])} MiB`);
      }
    }
    const [status] = await one(`SELECT "status", "levels_completed" FROM "eb_run" WHERE "run_id" = '${result.run_id}'`);
    assert.deepEqual(rows(status!).map((r) => [r["status"], r["levels_completed"]]), [["completed", 2]]);
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
        assert.ok(series.length > 0, `${where}: no series\n${q.query}`);
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
        const semantic = SEMANTIC_CHECKS[q.panel];
        if (semantic) {
          for (const s of series) semantic(s, result.scenarios[`concurrency_${s.tags?.["concurrency"] ?? ""}`], where);
          semanticChecked.add(q.panel);
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
    assert.ok(checked >= 20, `${checked} panel queries checked`);
    assert.deepEqual([...semanticChecked].sort(), Object.keys(SEMANTIC_CHECKS).sort());
  });

  test("--k6-report saves k6's web-dashboard HTML report of each level", () => {
    for (const level of LEVELS) {
      const file = path.join(latestRun(dir), MODEL, "k6", `${FRAMEWORK}-c${level}.report.html`);
      assert.ok(existsSync(file), file);
      const html = readFileSync(file, "utf8");
      assert.match(html, /<html/i);
      // The report embeds its data as gzipped, base64 JSON lines: config, metric names, snapshots.
      const data = /<script id="data" type="application\/json; charset=utf-8; gzip; base64">([^<]+)<\/script>/.exec(html);
      assert.ok(data, "embedded data");
      const events = gunzipSync(Buffer.from(data[1]!.trim(), "base64"))
        .toString("utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string; data: unknown });
      const param = events.find((e) => e.event === "param")!.data as { scenarios: string[] };
      assert.deepEqual(param.scenarios, [`concurrency_${level}`]);
      assert.ok(events.filter((e) => e.event === "snapshot").length >= 3, "graphs need at least three snapshots");
      // Snapshot rows follow the metric names in sorted order.
      const metricNames = events
        .filter((e) => e.event === "metric")
        .flatMap((e) => Object.keys(e.data as object))
        .sort();
      const cumulative = [...events].reverse().find((e) => e.event === "cumulative")!.data as number[][];
      const httpReqs = cumulative[metricNames.indexOf("http_reqs")]!;
      assert.equal(httpReqs[0], result.scenarios[`concurrency_${level}`]!.num_requests, "the report counts the level's requests");
      assert.ok(metricNames.includes("server_inference_ms"));
    }
  });
});

test("unreachable InfluxDB stops the run at the start by default (URL from the environment)", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const started = Date.now();
  const run = await runCli(["--frameworks", FRAMEWORK, "--results-dir", tempDir("influx-down")], { env: { EMBEDDING_BENCH_INFLUX: `http://127.0.0.1:${port}/bench` } });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, new RegExp(`InfluxDB at http://127.0.0.1:${port} \\(from EMBEDDING_BENCH_INFLUX\\) is not usable: .*ECONNREFUSED`));
  assert.match(run.stderr, /--influx-on-error continue/);
  assert.doesNotMatch(run.stderr, /starting on/, "no server was started");
  assert.ok(Date.now() - started < 60_000);
});

test("--influx-on-error continue runs without export and says so", { timeout: 1_800_000 }, async () => {
  const port = await freePort();
  const dir = tempDir("influx-continue");
  const run = await runCli(["--frameworks", FRAMEWORK, "--levels", "1", "--duration-s", "1", "--warmup-requests", "1", "--results-dir", dir, "--influx", `http://127.0.0.1:${port}/bench`, "--influx-on-error", "continue"]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  assert.match(run.stderr, /WARNING: InfluxDB at .* is not usable: .*\nContinuing WITHOUT InfluxDB export/);
  // k6 got no --out influxdb: it would have logged write errors against the dead port.
  assert.doesNotMatch(run.stderr, /output=InfluxDB/i);
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${FRAMEWORK}.json`), "utf8")));
  assert.equal(result.status, "completed");
});
