import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { UserError } from "../errors.ts";
import { ResultsLayout } from "../results/layout.ts";
import { defaultReportFile, loadRun, resolveRuns, writeRunReport } from "./report.ts";

/** A results folder with runs/<id>/ holding the sample result, the oldest first. */
function resultsDir(...ids: string[]): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "eb-report-"));
  ids.forEach((id, i) => {
    const dir = path.join(root, "runs", id);
    new ResultsLayout(dir).saveResult(sampleResult());
    const t = new Date(Date.UTC(2026, 10, 30, 10, i));
    utimesSync(dir, t, t);
  });
  return root;
}

const userError = (pattern: RegExp) => (e: Error) => e instanceof UserError && pattern.test(e.message);

test("run ids name folders under runs/; no id: latest, else the newest folder", () => {
  const root = resultsDir("r-old", "r-new", "r-mid");
  assert.deepEqual(resolveRuns(root, ["r-old", "r-mid"]), [
    { id: "r-old", dir: path.join(root, "runs", "r-old") },
    { id: "r-mid", dir: path.join(root, "runs", "r-mid") },
  ]);
  assert.deepEqual(resolveRuns(root, []), [{ id: "r-mid", dir: path.join(root, "runs", "r-mid") }], "the most recently written");
  symlinkSync(path.join("runs", "r-old"), path.join(root, "latest"));
  assert.deepEqual(resolveRuns(root, []), [{ id: "r-old", dir: path.join(root, "runs", "r-old") }], "latest wins");
});

test("an unknown run, a path for an id, or no runs at all: one clear error", () => {
  const root = resultsDir("20261130-101500-ab12");
  assert.throws(() => resolveRuns(root, ["20261130-101500-ab13"]), userError(/unknown run '20261130-101500-ab13'.*did you mean 20261130-101500-ab12\?/));
  assert.throws(() => resolveRuns(root, ["../x"]), userError(/a run id is a folder name/));
  assert.throws(() => resolveRuns(mkdtempSync(path.join(os.tmpdir(), "eb-report-")), []), userError(/no runs in .*runs: run npm run bench:k6 first/));
});

test("loadRun reads every model's results; an unreadable file is a problem, an empty run an error", () => {
  const root = resultsDir("r");
  const dir = path.join(root, "runs", "r");
  writeFileSync(path.join(dir, sampleResult().model_name, "broken.json"), "{");
  const run = loadRun({ id: "r", dir });
  assert.deepEqual(run.results, [sampleResult()]);
  assert.match(run.problems[0]!, /broken\.json: not JSON/);
  mkdirSync(path.join(root, "runs", "empty"));
  assert.throws(() => loadRun({ id: "empty", dir: path.join(root, "runs", "empty") }), userError(/run empty: no results in/));
});

test("default files: report.html in the run's folder; several runs under reports/", () => {
  const root = resultsDir("a", "b");
  const [a, b] = resolveRuns(root, ["a", "b"]);
  assert.equal(defaultReportFile(root, [a!]), path.join(root, "runs", "a", "report.html"));
  assert.equal(defaultReportFile(root, [a!, b!]), path.join(root, "reports", "a_vs_b.html"));
});

test("writeRunReport writes report.html into the run's folder with the run's charts inlined", async () => {
  const dir = path.join(resultsDir("r"), "runs", "r");
  const file = await writeRunReport(new ResultsLayout(dir), "r");
  assert.equal(file, path.join(dir, "report.html"));
  const html = readFileSync(file, "utf8");
  assert.match(html, /<title>embedding-bench report: r<\/title>/);
  assert.match(html, /"framework":"onnx-python"/);
  assert.match(html, /Chart\.js/, "Chart.js bundled in (its licence comment)");
});
