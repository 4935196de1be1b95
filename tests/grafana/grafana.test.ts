import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { livePoint } from "../../orchestrator/outputs/influx/points.ts";
import { sampleResult } from "../fixtures/results.ts";
import {
  aggregatedFields,
  allPanels,
  filteredTags,
  GRAFANA_BUILTINS,
  groupByTags,
  isClosedLoopQuery,
  isOpenLoopQuery,
  K6_SERIES_ALLOWED,
  K6_TAGS,
  loadDashboards,
  loadProvisionedDatasources,
  panelQueries,
  queryEngine,
  queryMeasurements,
  referencedVariables,
  regexEscape,
  substitute,
} from "./grafana.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const GRAFANA = path.join(ROOT, "grafana");
const dashboards = loadDashboards(path.join(GRAFANA, "dashboards"));
const sub = {
  variables: { run_id: ["20261123-114705-5d9f"], model: ["all-MiniLM-L6-v2"], framework: ["onnx-python", "candle"] },
  fromMs: 1000,
  toMs: 2000,
  intervalS: 5,
};

test("substitution follows Grafana's InfluxQL interpolation", () => {
  const q =
    'SELECT mean("v") FROM "m" WHERE $timeFilter AND "framework" =~ /^$framework$/ AND "run_id" =~ /^${run_id}$/ AND "model" =~ /^[[model]]$/ GROUP BY time($__interval)';
  assert.equal(
    substitute(q, sub),
    'SELECT mean("v") FROM "m" WHERE time >= 1000ms and time <= 2000ms AND "framework" =~ /^(onnx-python|candle)$/ AND "run_id" =~ /^20261123-114705-5d9f$/ AND "model" =~ /^all-MiniLM-L6-v2$/ GROUP BY time(5s)',
  );
  assert.equal(regexEscape("a.b/c(d)"), "a\\.b\\/c\\(d\\)");
  assert.throws(() => substitute("WHERE x =~ /^$nope$/", sub), /\$nope, which has no value/);
});

test("referenced variables and the outer GROUP BY's tags are read off a query", () => {
  assert.deepEqual(referencedVariables("WHERE $timeFilter AND a =~ /^${run_id:regex}$/ AND b =~ /^[[model]]$/ GROUP BY time($__interval)"), [
    "timeFilter",
    "run_id",
    "model",
    "__interval",
  ]);
  assert.deepEqual(
    groupByTags(
      'SELECT mean(x) FROM (SELECT sum(v) FROM m GROUP BY time(1s), "a", "b" fill(none)) GROUP BY time($__interval), "framework", "concurrency" fill(none)',
    ),
    ["framework", "concurrency"],
  );
  assert.deepEqual(groupByTags('SELECT last(x) FROM m GROUP BY "framework"'), ["framework"]);
  assert.deepEqual(groupByTags("SELECT x FROM m"), []);
});

test("a query's measurements, fields, filtered tags and engine are read off it", () => {
  const sub =
    'SELECT mean("rps") FROM (SELECT sum("value") AS "rps" FROM "http_reqs" WHERE "run_id" =~ /^x$/ AND "expected_response" = \'true\' GROUP BY time(1s)) WHERE $timeFilter';
  assert.deepEqual(queryMeasurements(sub), ["http_reqs"]);
  assert.deepEqual(aggregatedFields(sub), ["rps", "value"]);
  assert.deepEqual(filteredTags(sub), ["run_id", "expected_response"]);
  assert.equal(queryEngine(sub), "k6");
  assert.equal(queryEngine('SELECT max("latency_p95_ms") FROM "eb_live" WHERE "rate" = \'\''), "embedded");
  assert.equal(queryEngine('SELECT mean("requests_per_s") FROM "eb_live"'), "either");
  assert.equal(queryEngine('SELECT mean("latency_p95_ms"), mean("in_flight") FROM "eb_live"'), "either");
  assert.equal(queryEngine('SELECT last("latency_p95_ms") FROM "eb_level"'), "either");
});

test("the three dashboards exist: live run, framework comparison, server resources", () => {
  assert.deepEqual(
    dashboards.map((d) => path.basename(d.file)),
    ["framework-comparison.json", "live-run.json", "server-resources.json"],
  );
  assert.equal(new Set(dashboards.map((d) => d.dashboard.uid)).size, 3);
});

test("every datasource reference resolves to the provisioned InfluxDB", () => {
  const provisioned = loadProvisionedDatasources(path.join(GRAFANA, "provisioning", "datasources", "influxdb.yaml"));
  const known = new Map(provisioned.map((d) => [d.uid, d.type]));
  for (const { file, dashboard } of dashboards) {
    const refs = [
      ...allPanels(dashboard).flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]),
      ...dashboard.templating.list.map((v) => v.datasource),
    ].filter((r) => r !== undefined);
    assert.ok(refs.length > 0);
    for (const ref of refs) assert.equal(known.get(ref.uid), ref.type, `${file}: datasource ${JSON.stringify(ref)}`);
  }
});

test("every panel has a query, ids are unique, every variable used is defined", () => {
  for (const { file, dashboard } of dashboards) {
    const panels = allPanels(dashboard).filter((p) => p.type !== "row");
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, `${file}: duplicate panel id`);
    for (const p of panels)
      assert.ok(
        (p.targets ?? []).some((t) => t.query.trim() !== ""),
        `${file}: panel '${p.title}' has no query`,
      );
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    assert.deepEqual([...defined].sort(), ["framework", "model", "run_id"], file);
    const queries = [...panelQueries(dashboard).map((q) => q.query), ...dashboard.templating.list.map((v) => v.query)];
    for (const q of queries) {
      for (const v of referencedVariables(q)) assert.ok(defined.has(v) || GRAFANA_BUILTINS.has(v), `${file}: '${q}' uses undefined variable $${v}`);
    }
    // A variable may only refer to variables defined before it (Grafana resolves them in order).
    dashboard.templating.list.forEach((v, i) => {
      const before = new Set(dashboard.templating.list.slice(0, i).map((x) => x.name));
      for (const r of referencedVariables(v.query)) assert.ok(before.has(r), `${file}: variable ${v.name} uses $${r} before it is defined`);
    });
  }
});

test("every panel query is time-bounded and filtered by run, model and framework", () => {
  for (const { file, dashboard } of dashboards) {
    for (const q of panelQueries(dashboard)) {
      const vars = referencedVariables(q.query);
      for (const v of ["timeFilter", "run_id", "model", "framework"]) assert.ok(vars.includes(v), `${file}: '${q.panel}' ${q.refId} lacks $${v}`);
      // k6 stores vu, iter and url as fields, not tags: grouping by them returns nothing useful.
      for (const t of groupByTags(q.query)) assert.ok(!["vu", "iter", "url"].includes(t), `${file}: '${q.panel}' groups by field ${t}`);
    }
  }
});

test("every panel works with either engine, and reads k6's own series only where eb_live lacks the figure, never twice", () => {
  // What livePoint writes (nulls are left out of a point, not its field list).
  const liveFields = new Set(
    Object.keys(
      livePoint(
        sampleResult(),
        { scenario_name: pointKey(closedPoint(1)), mode: "closed", concurrency: 1, target_rps: undefined, batch_size: 1, seq_len: null },
        { t_ms: 500, requests: 9, ok: 9, vus: 1, median_ms: 5, interval: { p50_ms: 5, p95_ms: 6, p99_ms: 7 } },
        undefined,
        0,
      ).fields,
    ),
  );
  let k6Queries = 0;
  for (const { file, dashboard } of dashboards) {
    for (const p of allPanels(dashboard).filter((x) => x.type !== "row")) {
      const where = `${path.basename(file)} '${p.title}'`;
      const targets = (p.targets ?? []).map((t) => ({ ...t, engine: queryEngine(t.query) }));
      const engines = new Set(targets.map((t) => t.engine));
      assert.ok(
        engines.has("either") || (engines.has("embedded") && engines.has("k6")),
        `${where}: no data for one of the engines (${[...engines].join(", ")})`,
      );
      for (const t of targets) {
        for (const _m of queryMeasurements(t.query).filter((x) => x === "eb_live")) {
          for (const f of aggregatedFields(t.query)) assert.ok(liveFields.has(f), `${where} ${t.refId}: eb_live has no field ${f}`);
        }
        if (t.engine !== "k6") continue;
        k6Queries++;
        for (const m of queryMeasurements(t.query))
          assert.ok(K6_SERIES_ALLOWED.has(m), `${where} ${t.refId}: reads k6's ${m}; eb_live holds that figure for both engines`);
        assert.deepEqual(aggregatedFields(t.query), ["value"], `${where} ${t.refId}: k6 writes its samples in the field "value"`);
        for (const tag of [...filteredTags(t.query), ...groupByTags(t.query)])
          assert.ok(K6_TAGS.has(tag), `${where} ${t.refId}: k6's samples have no tag ${tag}`);
      }
      // One line per legend entry whichever engine ran: queries that share one are the embedded engine's and k6's.
      for (const alias of new Set(targets.map((t) => t.alias).filter((a) => a !== undefined))) {
        const same = targets.filter((t) => t.alias === alias);
        if (same.length > 1)
          assert.deepEqual(same.map((t) => t.engine).sort(), ["embedded", "k6"], `${where}: '${alias}' is drawn by ${same.map((t) => t.refId).join(", ")}`);
      }
    }
  }
  assert.ok(k6Queries >= 4, `${k6Queries} k6 queries`);
});

test("live run: requests, errors and in flight from eb_live; latency from eb_live (embedded) and http_req_duration (k6)", () => {
  const live = dashboards.find((d) => path.basename(d.file) === "live-run.json")!.dashboard;
  const byTitle = new Map(allPanels(live).map((p) => [p.title, p.targets ?? []]));
  for (const [title, field] of [
    ["Requests per second", "requests_per_s"],
    ["Errors per second", "errors_per_s"],
    ["Requests in flight", "in_flight"],
  ] as const) {
    const targets = byTitle.get(title);
    assert.ok(targets && targets.length === 1, title);
    assert.deepEqual([queryMeasurements(targets[0]!.query), aggregatedFields(targets[0]!.query)], [["eb_live"], [field]], title);
  }
  const latency = byTitle.get("Latency p50 / p95 / p99 (successful requests)")!;
  const sources = latency.map((t) => `${queryMeasurements(t.query).join()} ${aggregatedFields(t.query).join()} ${t.alias!.split(" ").at(-1)!}`).sort();
  assert.deepEqual(sources, [
    "eb_live latency_p50_ms p50",
    "eb_live latency_p95_ms p95",
    "eb_live latency_p99_ms p99",
    "http_req_duration value p50",
    "http_req_duration value p95",
    "http_req_duration value p99",
  ]);
  for (const t of latency.filter((x) => queryMeasurements(x.query)[0] === "http_req_duration"))
    assert.match(t.query, /"expected_response" = 'true'/, "k6: successful requests only");
});

test("framework comparison: every per-level panel shows one loop mode; open loop has latency vs achieved rate and capacity at SLO", () => {
  const comparison = dashboards.find((d) => path.basename(d.file) === "framework-comparison.json")!.dashboard;
  const queries = panelQueries(comparison);
  // eb_level holds both modes; an open-loop level's concurrency_vus is its VU cap, not a concurrency level.
  for (const q of queries.filter((x) => x.query.includes('FROM "eb_level"'))) {
    assert.ok(isOpenLoopQuery(q.query) !== isClosedLoopQuery(q.query), `'${q.panel}' must select exactly one mode: ${q.query}`);
  }
  const byTitle = new Map(allPanels(comparison).map((p) => [p.title, p]));
  const latency = byTitle.get("Open loop: latency p50 / p95 / p99 vs achieved rate");
  assert.ok(latency && latency.type === "xychart");
  assert.match(latency.targets![0]!.query, /^SELECT "achieved_rps", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms" FROM "eb_level"/);
  assert.equal((latency as unknown as { options: { series: { x: { matcher: { options: string } } }[] } }).options.series[0]!.x.matcher.options, "achieved_rps");
  const capacity = byTitle.get("Capacity at SLO");
  assert.ok(capacity && capacity.type === "barchart" && isOpenLoopQuery(capacity.targets![0]!.query));
  assert.deepEqual(groupByTags(capacity.targets![0]!.query), ["framework", "slo"]);
  assert.ok(byTitle.get("Open-loop levels"));
});

test("the dashboard provider's path is where docker-compose mounts grafana/dashboards", () => {
  const provider = parseYaml(readFileSync(path.join(GRAFANA, "provisioning", "dashboards", "embedding-bench.yaml"), "utf8")) as {
    providers: { options: { path: string } }[];
  };
  const compose = readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
  assert.ok(compose.includes(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`));
  assert.ok(compose.includes("./grafana/provisioning:/etc/grafana/provisioning:ro"));
});
