// The HTML report of two real short runs of onnx-python, opened from disk in Debian's Chromium
// (driven by playwright-core): no console error, no request beyond the file itself, every chart drawn
// with one series per run, flagged levels marked, the verification table complete.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { cliArgs } from "../../orchestrator/platform/bundle.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { levelFlags, levelsOf } from "../../orchestrator/outputs/report/data.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { openReport } from "./open-report.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey, pointStem } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";

function report(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [...cliArgs(ROOT, "orchestrator/main/report.ts"), ...args], { cwd: ROOT })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}

interface Figure {
  id: string;
  expected: string;
  rendered: string;
  flagged: string;
  canvasWidth: number;
}

test("the report of two real runs opens from file:// with every chart drawn, a series per run, offline", { timeout: 600_000 }, async () => {
  const root = tempDir("report");
  for (let i = 0; i < 2; i++) {
    const run = await runCli([
      "--frameworks",
      "onnx-python",
      "--concurrency-levels",
      "1",
      "2",
      "--duration-s",
      "3",
      "--warmup-requests",
      "5",
      "--results-dir",
      root,
    ]);
    assert.equal(run.code, 0, run.stderr.slice(-3000));
    // Every run ends with its own report, in its folder.
    const own = path.join(latestRun(root), "report.html");
    assert.ok(existsSync(own), `${own} written at the end of the run`);
    assert.match(run.stderr, new RegExp(`report: ${own.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  }
  const RUNS = readdirSync(path.join(root, "runs")).sort();
  assert.equal(RUNS.length, 2, "two run folders");
  const results = RUNS.map((id) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(root, "runs", id, MODEL, "onnx-python.json"), "utf8"))));

  const made = await report([...RUNS, "--results-dir", root]);
  assert.equal(made.code, 0, made.stderr);
  const file = made.stdout.trim();
  assert.equal(file, path.join(root, "reports", `${RUNS.join("_vs_")}.html`));

  const { browser, page } = await openReport(file);
  try {
    const figures: Figure[] = await page.$$eval("figure.chart", (fs) =>
      fs.map((f) => ({
        id: f.getAttribute("data-chart-id") ?? "",
        expected: f.getAttribute("data-series") ?? "",
        rendered: f.getAttribute("data-rendered-series") ?? "",
        flagged: f.getAttribute("data-flagged-points") ?? "",
        canvasWidth: f.querySelector("canvas")?.width ?? 0,
      })),
    );
    const windowed = [1, 2].filter((c) => results.some((r) => (r.scenarios[pointKey(closedPoint(c))]?.windows.length ?? 0) > 0));
    assert.deepEqual(
      figures.map((f) => f.id),
      [
        "throughput",
        "latency-p50",
        "latency-p95",
        "latency-p99",
        "efficiency",
        "memory",
        "startup",
        "time-split",
        `pareto-${MODEL}-texts`,
        ...windowed.map((c) => `windows-${pointStem(closedPoint(c))}`),
      ],
    );
    for (const f of figures) {
      const c = windowed.find((w) => f.id === `windows-${pointStem(closedPoint(w))}`);
      const perLevel: number =
        c !== undefined
          ? results.filter((r) => (r.scenarios[pointKey(closedPoint(c))]?.windows.length ?? 0) > 0).length
          : f.id.startsWith("pareto-")
            ? RUNS.length + 1 // and the frontier
            : f.id === "time-split"
              ? 3 // queue, model, the rest: stacked parts, one bar per run and level
              : RUNS.length;
      assert.equal(f.expected, String(perLevel), `${f.id}: one series per run`);
      assert.equal(f.rendered, f.expected, `${f.id}: Chart.js drew every series`);
      assert.ok(f.canvasWidth > 0, `${f.id}: canvas laid out`);
    }
    // 3 s levels hold fewer than 1,000 requests: "too few samples" on every point, on the chart and in the table.
    const flaggedLevels = results.flatMap((r) => levelsOf(r).filter((s) => levelFlags(s).length > 0));
    assert.ok(flaggedLevels.length > 0);
    assert.equal(figures.find((f) => f.id === "throughput")!.flagged, String(flaggedLevels.length));
    const flagCells = await page.$$eval('table[data-table="levels"] tbody tr td:last-child', (tds) => tds.map((td) => td.textContent ?? ""));
    assert.equal(flagCells.filter((t) => t.includes("too few samples")).length, flaggedLevels.filter((s) => levelFlags(s).includes("too few samples")).length);

    const verified = await page.$$eval('table[data-table="verification"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    assert.deepEqual(
      verified.map((row) => [row[0], row[1]]),
      RUNS.map((id) => [`onnx-python · ${id}`, "pass"]),
    );

    const shot = path.join(root, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 20_000, "a screenshot with content");
  } finally {
    await browser.close();
  }

  const unknown = await report(["run-c", "--results-dir", root]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown run 'run-c'/);
});
