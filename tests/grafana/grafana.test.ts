import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ROOT } from "../../orchestrator/paths.ts";
import { allPanels, GRAFANA_BUILTINS, groupByTags, isClosedLoopQuery, isOpenLoopQuery, loadDashboards, loadProvisionedDatasources, panelQueries, referencedVariables, regexEscape, substitute } from "./grafana.ts";

const GRAFANA = path.join(ROOT, "grafana");
const dashboards = loadDashboards(path.join(GRAFANA, "dashboards"));
const sub = { variables: { run_id: ["20261123-114705-5d9f"], model: ["all-MiniLM-L6-v2"], framework: ["onnx-python", "candle"] }, fromMs: 1000, toMs: 2000, intervalS: 5 };

test("substitution follows Grafana's InfluxQL interpolation", () => {
  const q = 'SELECT mean("v") FROM "m" WHERE $timeFilter AND "framework" =~ /^$framework$/ AND "run_id" =~ /^${run_id}$/ AND "model" =~ /^[[model]]$/ GROUP BY time($__interval)';
  assert.equal(
    substitute(q, sub),
    'SELECT mean("v") FROM "m" WHERE time >= 1000ms and time <= 2000ms AND "framework" =~ /^(onnx-python|candle)$/ AND "run_id" =~ /^20261123-114705-5d9f$/ AND "model" =~ /^all-MiniLM-L6-v2$/ GROUP BY time(5s)',
  );
  assert.equal(regexEscape("a.b/c(d)"), "a\\.b\\/c\\(d\\)");
  assert.throws(() => substitute("WHERE x =~ /^$nope$/", sub), /\$nope, which has no value/);
});

test("referenced variables and the outer GROUP BY's tags are read off a query", () => {
  assert.deepEqual(referencedVariables('WHERE $timeFilter AND a =~ /^${run_id:regex}$/ AND b =~ /^[[model]]$/ GROUP BY time($__interval)'), ["timeFilter", "run_id", "model", "__interval"]);
  assert.deepEqual(groupByTags('SELECT mean(x) FROM (SELECT sum(v) FROM m GROUP BY time(1s), "a", "b" fill(none)) GROUP BY time($__interval), "framework", "concurrency" fill(none)'), ["framework", "concurrency"]);
  assert.deepEqual(groupByTags('SELECT last(x) FROM m GROUP BY "framework"'), ["framework"]);
  assert.deepEqual(groupByTags("SELECT x FROM m"), []);
});

test("the three dashboards exist: live run, framework comparison, server resources", () => {
  assert.deepEqual(dashboards.map((d) => path.basename(d.file)), ["framework-comparison.json", "live-run.json", "server-resources.json"]);
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
    for (const p of panels) assert.ok((p.targets ?? []).some((t) => t.query.trim() !== ""), `${file}: panel '${p.title}' has no query`);
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
  const provider = parseYaml(readFileSync(path.join(GRAFANA, "provisioning", "dashboards", "embedding-bench.yaml"), "utf8")) as { providers: { options: { path: string } }[] };
  const compose = readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
  assert.ok(compose.includes(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`));
  assert.ok(compose.includes("./grafana/provisioning:/etc/grafana/provisioning:ro"));
});
