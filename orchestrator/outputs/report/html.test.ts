import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../../tests/fixtures/results.ts";
import { buildReport } from "./data.ts";
import { escapeHtml, inlineScript, renderReportHtml, scriptJson } from "./html.ts";

const hostile = `</script><img src=x onerror="alert('x')">&`;

function page(framework: string, script = "/* page */"): string {
  const r = { ...sampleResult(), framework, failure: hostile, status: "failed" as const };
  return renderReportHtml(buildReport([{ id: "run-1", results: [r], problems: [`${hostile}.json: not JSON`] }], new Date("2026-11-30T15:00:00Z")), script);
}

test("escapeHtml leaves no markup", () => {
  assert.equal(escapeHtml(hostile), "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;");
});

test("the chart data and the script cannot close their <script> element", () => {
  assert.doesNotMatch(scriptJson({ label: hostile }), /</);
  assert.deepEqual(JSON.parse(scriptJson({ label: hostile })), { label: hostile }, "still the same JSON");
  assert.equal(inlineScript('var s="</script>";'), 'var s="<\\/script>";');
});

test("text from the results is escaped everywhere: tables, chart titles, problems and the data block", () => {
  const html = page(hostile);
  assert.doesNotMatch(html, /<img/);
  assert.equal(html.match(/<\/script>/g)?.length, 2, "only the data block and the page script close a script element");
  assert.equal(html.match(/<script/g)?.length, 2);
});

test("the page is self-contained: a CSP that forbids every fetch, no external reference, the script inlined", () => {
  const html = page("onnx-python", "console.log('bundle')");
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  assert.doesNotMatch(html, /\s(src|href)="(?!data:)/, "nothing loaded from a URL");
  assert.match(html, /<script>console\.log\('bundle'\)<\/script>/);
});

test("a figure per chart with its expected series count, and every table", () => {
  const html = page("onnx-python");
  const figures = [...html.matchAll(/<figure class="chart" id="chart-([\w.-]+)" data-chart-id="[\w.-]+" data-series="(\d+)">/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(figures, [
    ["throughput", "1"],
    ["latency-p50", "1"],
    ["latency-p95", "1"],
    ["latency-p99", "1"],
    ["efficiency", "1"],
    ["memory", "1"],
    ["startup", "1"],
    ["pareto-all-MiniLM-L6-v2-texts", "2"],
  ]);
  for (const id of ["runs", "verification", "failures", "levels", "environment"]) assert.match(html, new RegExp(`<table data-table="${id}">`));
  assert.match(html, /<td class="ok">pass<\/td>/);
});

test("the verdict comes first; a heatmap's cells carry their shade as a background", async () => {
  const { shadeColour } = await import("./html.ts");
  assert.equal(shadeColour(0), "rgb(247, 251, 255)");
  assert.equal(shadeColour(1), "rgb(66, 146, 198)");
  assert.equal(shadeColour(7), shadeColour(1), "clamped");
  const report = buildReport([{ id: "r", results: [sampleResult(), { ...sampleResult(), framework: "onnx-rust" }], problems: [] }], new Date(0));
  const html = renderReportHtml(report, "");
  assert.ok(html.indexOf('<section id="table-verdict" class="verdict">') < html.indexOf('<section id="table-runs">'), "the verdict before the runs");
  assert.ok(html.indexOf('<table data-table="runs">') < html.indexOf('class="heatmap"'), "the heatmaps after the runs, before the charts");
  assert.ok(html.indexOf('class="heatmap"') < html.indexOf("<h2>Charts</h2>"));
  assert.match(html, /<td class="shaded" style="background: rgb\(\d+, \d+, \d+\)" data-shade="[\d.]+">[\d.]+ @\d+<\/td>/);
});
