import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sampleResult } from "../../../tests/fixtures/results.ts";
import { UserError } from "../../platform/errors.ts";
import { RunFolder, ResultsStore } from "../../store/folders.ts";
import { defaultReportFile, loadReportRun, resolveRuns, writeRunReport } from "./write-report.ts";

/** A results folder with runs/<id>/ holding the sample result, the oldest first. */
function resultsDir(...ids: string[]): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "eb-report-"));
  ids.forEach((id, i) => {
    const dir = path.join(root, "runs", id);
    new RunFolder(dir).saveResult({ ...sampleResult(), started_at: new Date(Date.UTC(2026, 10, 30, 10, i)).toISOString() });
  });
  return root;
}

const userError = (pattern: RegExp) => (e: Error) => e instanceof UserError && pattern.test(e.message);

test("run ids name folders under runs/; no id: the latest", () => {
  const root = resultsDir("r-old", "r-new", "r-mid");
  const store = new ResultsStore(root);
  assert.deepEqual(resolveRuns(store, ["r-old", "r-mid"]), [
    { id: "r-old", dir: path.join(root, "runs", "r-old") },
    { id: "r-mid", dir: path.join(root, "runs", "r-mid") },
  ]);
  symlinkSync(path.join("runs", "r-old"), path.join(root, "latest"));
  assert.deepEqual(resolveRuns(store, []), [{ id: "r-old", dir: path.join(root, "runs", "r-old") }], "latest");
});

test("an unknown run, a path for an id, or no runs at all: one clear error", () => {
  const store = new ResultsStore(resultsDir("20261130-101500-ab12"));
  assert.throws(() => resolveRuns(store, ["20261130-101500-ab13"]), userError(/unknown run '20261130-101500-ab13'.*did you mean 20261130-101500-ab12\?/));
  assert.throws(() => resolveRuns(store, ["../x"]), userError(/unknown run '\.\.\/x'/));
  assert.throws(
    () => resolveRuns(new ResultsStore(mkdtempSync(path.join(os.tmpdir(), "eb-report-"))), []),
    userError(/no runs in .*runs yet: run npm run bench:k6 first/),
  );
});

test("loadReportRun reads every model's results; an unreadable file is a problem, an empty run an error", () => {
  const root = resultsDir("r");
  const dir = path.join(root, "runs", "r");
  writeFileSync(path.join(dir, sampleResult().model_name, "broken.json"), "{");
  const run = loadReportRun({ id: "r", dir });
  assert.deepEqual(run.results, [{ ...sampleResult(), started_at: "2026-11-30T10:00:00.000Z" }]);
  assert.match(run.problems[0]!, /broken\.json: not JSON/);
  mkdirSync(path.join(root, "runs", "empty"));
  assert.throws(() => loadReportRun({ id: "empty", dir: path.join(root, "runs", "empty") }), userError(/run empty: no results in/));
});

test("default files: report.html in the run's folder; several runs under reports/", () => {
  const root = resultsDir("a", "b");
  const store = new ResultsStore(root);
  const [a, b] = resolveRuns(store, ["a", "b"]);
  assert.equal(defaultReportFile(store, [a!]), path.join(root, "runs", "a", "report.html"));
  assert.equal(defaultReportFile(store, [a!, b!]), path.join(root, "reports", "a_vs_b.html"));
});

test("writeRunReport writes report.html into the run's folder with the run's charts inlined", async () => {
  const dir = path.join(resultsDir("r"), "runs", "r");
  const file = await writeRunReport(new RunFolder(dir), "r");
  assert.equal(file, path.join(dir, "report.html"));
  const html = readFileSync(file, "utf8");
  assert.match(html, /<title>embedding-bench report: r<\/title>/);
  assert.match(html, /"framework":"onnx-python"/);
  assert.match(html, /Chart\.js/, "Chart.js bundled in (its licence comment)");
});
