import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { RunFolder, ResultsStore } from "./folders.ts";

test("every path of a run is under the results root, named after model, framework and level", () => {
  const layout = new RunFolder("some/results");
  const root = path.resolve("some/results");
  assert.equal(layout.root, root);
  assert.equal(layout.resultFile("m", "onnx-rust"), path.join(root, "m", "onnx-rust.json"));
  assert.equal(layout.serverLog("m", "onnx-rust"), path.join(root, "m", "logs", "onnx-rust.log"));
  assert.deepEqual(layout.levelFiles("m", "onnx-rust", "c4"), {
    summary: path.join(root, "m", "levels", "onnx-rust-c4.summary.json"),
    log: path.join(root, "m", "levels", "onnx-rust-c4.log"),
    report: path.join(root, "m", "levels", "onnx-rust-c4.report.html"),
  });
  assert.equal(layout.serverLog("m", "onnx-rust", 2), path.join(root, "m", "logs", "onnx-rust.trial-2.log"), "each trial keeps its log");
  assert.equal(layout.levelFiles("m", "onnx-rust", "c4", 2).summary, path.join(root, "m", "levels", "onnx-rust-c4.trial-2.summary.json"));
  assert.equal(
    layout.levelFiles("m", "onnx-rust", "r20").summary,
    path.join(root, "m", "levels", "onnx-rust-r20.summary.json"),
    "an open-loop level is named by its rate",
  );
  assert.equal(layout.trialFile("m", "onnx-rust", 2), path.join(root, "m", "trials", "onnx-rust.trial-2.json"));
  assert.equal(layout.csvFile(new Date("2026-11-30T09:05:07.123Z")), path.join(root, "benchmark_results_20261130_090507.csv"));
  assert.equal(
    layout.probeFiles("m", "onnx-rust", "1x2").serverLog,
    path.join(root, "m", "layout-probe", "onnx-rust-1x2.server.log"),
    "a layout probe's files are apart",
  );
  assert.equal(layout.probeFiles("m", "onnx-rust", "1x2").level.summary, path.join(root, "m", "layout-probe", "onnx-rust-1x2.summary.json"));
  assert.equal(layout.reportFile(), path.join(root, "report.html"));
  assert.equal(layout.runId, "results");
});

test("the store owns the top of the results folder: runs, latest, bench:overhead runs", () => {
  const store = new ResultsStore("some/results");
  const root = path.resolve("some/results");
  assert.equal(store.runsDir, path.join(root, "runs"));
  assert.equal(store.latest, path.join(root, "latest"));
  assert.equal(store.run("20261130-101500-ab12").root, path.join(root, "runs", "20261130-101500-ab12"));
  assert.equal(store.run("20261130-101500-ab12").runId, "20261130-101500-ab12");
  assert.equal(store.comparisonReportFile(["a", "b"]), path.join(root, "reports", "a_vs_b.html"));
  assert.equal(store.overheadDir("overhead-x"), path.join(root, "overhead", "overhead-x"));
});

test("saveResult then loadResults gives the result back; a broken file is reported, not skipped silently", () => {
  const layout = new RunFolder(mkdtempSync(path.join(os.tmpdir(), "eb-layout-")));
  const result = sampleResult();
  const file = layout.saveResult(result);
  assert.equal(file, layout.resultFile(result.model_name, result.framework));
  writeFileSync(path.join(layout.modelDir(result.model_name), "broken.json"), "{");
  const { results, problems } = layout.loadResults(result.model_name);
  assert.deepEqual(results, [result]);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /broken\.json: not JSON/);
  assert.deepEqual(layout.models(), [result.model_name]);
});
