// A sweep of batch size × text length × level over two real frameworks with trials, end to end: the
// size printed before it starts, every point's result and figures, the CSV's point columns, the
// summary ending with the verdict, and the report (verdict first, heatmaps, Pareto charts) in
// Chromium. Then --slo and --layout auto in a sweep, and a sweep above max_points refused.
// A smaller product than issue 22's done-when command, which was run once by hand (docs/measurements).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { closedPoint, openPoint, pointKey } from "../../orchestrator/plan/level-key.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { openReport } from "./open-report.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const MODEL = "all-MiniLM-L6-v2";
const FRAMEWORKS = ["onnx-python", "openvino"];
const BATCHES = [1, 8];
const SEQS = [32, 128];
const VUS = [1, 2];

/** One CSV row's cells: a quoted cell may hold commas (e.g. the load engine's description). */
function cells(row: string): string[] {
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < row.length; i++) {
    const ch = row[i]!;
    if (quoted && ch === '"' && row[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      out.push(cell);
      cell = "";
    } else cell += ch;
  }
  return [...out, cell];
}

const read = (run: string, framework: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(run, MODEL, `${framework}.json`), "utf8")));

test("a sweep of 2 frameworks × 2 batch sizes × 2 text lengths × 2 levels, 2 trials: every point keyed, its figures, the CSV, the verdict, the report in Chromium", {
  timeout: 900_000,
}, async () => {
  const dir = tempDir("sweep");
  const args = [
    "--frameworks",
    ...FRAMEWORKS,
    "--batch-size",
    ...BATCHES.map(String),
    "--seq-len",
    ...SEQS.map(String),
    "--concurrency-levels",
    ...VUS.map(String),
    "--trials",
    "2",
    "--duration-s",
    "1",
    "--window-s",
    "0",
    "--warmup-requests",
    "8",
    "--pause-between-levels-s",
    "0",
    "--csv",
    "--results-dir",
    dir,
  ];
  const started = Date.now();
  const run = await runCli(args);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const seconds = (Date.now() - started) / 1000;
  // Printed before anything started: the size of the whole product and its estimate.
  const sizeLine =
    /sweep: 16 operating points \(1 model × 2 frameworks × 2 batch sizes × 2 text lengths × 2 levels\), 2 trials: 32 levels; ETA (\S+) of load at most \+ 4 server start-ups/;
  assert.match(run.stderr, sizeLine);
  assert.ok(run.stderr.search(sizeLine) < run.stderr.search(/model \S+ ready/), "the size comes before the model and any server");
  assert.match(run.stderr, /progress: onnx-python \(trial 1\/2\): point \d+\/8, batch \d+ · \d+ tokens · \d VUs/);

  const folder = latestRun(dir);
  for (const framework of FRAMEWORKS) {
    const r = read(folder, framework);
    assert.equal(r.status, "completed", `${framework}: ${r.failure}`);
    const trials = [1, 2].map((t) =>
      FrameworkResult.parse(JSON.parse(readFileSync(path.join(folder, MODEL, "trials", `${framework}.trial-${t}.json`), "utf8"))),
    );
    const keys = SEQS.flatMap((seq) => BATCHES.flatMap((batch) => VUS.map((vus) => pointKey(closedPoint(vus, batch, seq)))));
    assert.deepEqual(Object.keys(r.scenarios).sort(), [...keys].sort(), `${framework}: one level per point, keyed by the whole point`);
    for (const seq of SEQS) {
      for (const vus of VUS) {
        const one = r.scenarios[pointKey(closedPoint(vus, 1, seq))]!;
        const eight = r.scenarios[pointKey(closedPoint(vus, 8, seq))]!;
        for (const s of [one, eight]) {
          assert.equal(s.trials?.n, 2);
          assert.deepEqual([s.seq_len, s.tokens_per_text], [seq, seq], "tokens counted with the model's tokenizer when the dataset was built");
          assert.ok(Math.abs(s.input_tokens_per_sec! - s.embeddings_per_sec * seq) <= 0.01 * s.input_tokens_per_sec! + 1, "input tokens/s = emb/s × tokens");
          // Each trial's memory per 1k embeddings from its own peak and idle RSS; the result holds their mean.
          const perTrial = trials.map((t) => {
            const l = t.scenarios[s.scenario_name]!;
            assert.ok(l.server_idle_memory_mb! > 0, "idle RSS sampled after warm-up");
            const expected = ((l.server_memory_peak_mb! - l.server_idle_memory_mb!) * 1000) / (vus * l.batch_size);
            assert.ok(Math.abs(l.memory_per_1k_embeddings_mb! - expected) < 0.01, `memory per 1k: ${l.memory_per_1k_embeddings_mb} vs ${expected}`);
            return l.memory_per_1k_embeddings_mb!;
          });
          assert.ok(Math.abs(s.memory_per_1k_embeddings_mb! - (perTrial[0]! + perTrial[1]!) / 2) < 0.01);
        }
        assert.equal(one.batching_speedup, 1);
        assert.equal(eight.batching_speedup, Number((eight.embeddings_per_sec / one.embeddings_per_sec).toFixed(3)), "speed-up = emb/s at 8 ÷ emb/s at 1");
      }
    }
    assert.equal(readdirSync(path.join(folder, MODEL, "trials")).filter((f) => f.startsWith(`${framework}.trial-`)).length, 2);
    assert.ok(existsSync(path.join(folder, MODEL, "levels", `${framework}-c2-b8-s128.trial-2.summary.json`)), "each point's engine files named by its stem");
  }

  // The CSV: one row per framework and point, with the point's columns.
  const csvFile = readdirSync(folder).find((f) => /^benchmark_results_\d{8}_\d{6}\.csv$/.test(f))!;
  const [header, ...rows] = readFileSync(path.join(folder, csvFile), "utf8").trim().split("\n");
  const cols = cells(header!);
  for (const c of [
    "model",
    "framework",
    "batch_size",
    "seq_len",
    "concurrency",
    "point",
    "input_tokens_per_sec",
    "batching_speedup",
    "memory_per_1k_embeddings_mb",
  ])
    assert.ok(cols.includes(c), `CSV column ${c}`);
  assert.equal(rows.length, FRAMEWORKS.length * 8);
  const at = (row: string, c: string) => cells(row)[cols.indexOf(c)];
  assert.deepEqual(
    [...new Set(rows.map((r) => `${at(r, "batch_size")}/${at(r, "seq_len")}/${at(r, "concurrency")}`))].length,
    8,
    "every point once per framework",
  );
  for (const row of rows) assert.ok(at(row, "dataset")!.endsWith(`tokens-${at(row, "seq_len")}.json`), `a row names its own texts: ${at(row, "dataset")}`);

  // The summary: the sweep's figures, then the verdict last.
  assert.match(run.stdout, /Sweep \(docs\/results\.md defines each figure/);
  const verdict = run.stdout.slice(run.stdout.lastIndexOf("Verdict per operating point"));
  const lines = verdict.split("\n").filter((l) => /^ {2}batch /.test(l));
  assert.equal(lines.length, 8, verdict);
  for (const l of lines)
    assert.match(
      l,
      /^ {2}batch \d+ · \d+ tokens · \d VUs: \S+ leads \([\d.]+ emb\/s, 2 trials\); (significantly ahead of|cannot be separated from) \S+ \(p[=<]/,
    );
  assert.match(run.stdout, /Verdict per operating point[\s\S]*\n\n=+\s*$/, "the summary ends with the verdict");

  // The report, in Chromium: the verdict on top, a heatmap and a Pareto chart per text length.
  const file = path.join(folder, "report.html");
  const { browser, page } = await openReport(file);
  try {
    const sections = await page.$$eval("body > section, body > h2", (els) => els.map((e) => e.id || e.textContent || ""));
    assert.equal(sections[0], "table-verdict", `the verdict comes first: ${sections.join(", ")}`);
    const verdictRows = await page.$$eval('table[data-table="verdict"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    assert.equal(verdictRows.length, 8);
    for (const row of verdictRows) {
      assert.ok(FRAMEWORKS.includes(row[1]!), row.join(" | "));
      assert.match(row[3]!, /significantly ahead of|cannot be separated from/);
    }

    const heatmaps = await page.$$eval("table.heatmap", (ts) =>
      ts.map((t) => ({
        id: t.getAttribute("data-table"),
        header: [...t.querySelectorAll("thead th")].map((th) => th.textContent),
        rows: t.querySelectorAll("tbody tr").length,
        shaded: t.querySelectorAll("td[data-shade]").length,
        background: getComputedStyle(t.querySelector("td[data-shade]")!).backgroundColor,
      })),
    );
    assert.deepEqual(
      heatmaps.map((h) => h.id),
      SEQS.map((s) => `heatmap-${MODEL}-${s}`),
    );
    for (const h of heatmaps) {
      assert.deepEqual(h.header, ["framework", "batch 1", "batch 8"]);
      assert.equal(h.rows, FRAMEWORKS.length);
      assert.equal(h.shaded, FRAMEWORKS.length * BATCHES.length, "every cell has a value and its shade");
      assert.match(h.background, /^rgb\(/);
    }

    const pareto = await page.$$eval('figure.chart[data-chart-id^="pareto-"]', (fs) =>
      fs.map((f) => ({
        id: f.getAttribute("data-chart-id"),
        series: f.getAttribute("data-rendered-series"),
        points: Number(f.getAttribute("data-rendered-points")),
        width: f.querySelector("canvas")?.width ?? 0,
      })),
    );
    assert.deepEqual(
      pareto.map((p) => p.id),
      SEQS.map((s) => `pareto-${MODEL}-${s}`),
    );
    for (const p of pareto) {
      assert.equal(p.series, String(FRAMEWORKS.length + 1), "a series per framework and the frontier");
      const operating = FRAMEWORKS.length * BATCHES.length * VUS.length;
      assert.ok(p.points > operating && p.points <= 2 * operating, `${p.points} points: ${operating} operating points and the frontier's`);
      assert.ok(p.width > 0);
    }
  } finally {
    await browser.close();
  }
  console.log(`# sweep of 32 levels: ${seconds.toFixed(0)} s`);
});

test("--slo searches at each batch size, --layout auto probes once per framework and model, in one sweep", { timeout: 600_000 }, async () => {
  const dir = tempDir("sweep-slo");
  const run = await runCli([
    "--frameworks",
    "onnx-python",
    "--batch-size",
    "1",
    "4",
    "--concurrency-levels",
    "1",
    "--duration-s",
    "2",
    "--warmup-requests",
    "4",
    "--slo",
    "p99<5000ms",
    "--slo-max-steps",
    "2",
    "--layout",
    "auto",
    "--results-dir",
    dir,
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const r = read(latestRun(dir), "onnx-python");
  assert.deepEqual(
    r.capacity_at_slo?.map((c) => [c.batch_size, c.seq_len, c.start_from]),
    [
      [1, null, "closed_loop_qps"],
      [4, null, "closed_loop_qps"],
    ],
  );
  for (const c of r.capacity_at_slo!) {
    assert.ok(c.tried.length >= 1 && c.tried.length <= 2);
    assert.equal(
      c.start_rps,
      Math.max(1, Math.round(r.scenarios[pointKey(closedPoint(1, c.batch_size))]!.throughput_qps)),
      "from that batch size's closed-loop QPS",
    );
    for (const t of c.tried) assert.equal(r.scenarios[pointKey(openPoint(t.rate_rps, c.batch_size))]?.batch_size, c.batch_size);
  }
  assert.ok(r.layout_probe?.chosen, "the layout was chosen once, before the sweep");
  assert.equal(run.stderr.match(/onnx-python: layout \S+ chosen/g)?.length, 1);
  assert.match(run.stdout, /Capacity at SLO[^\n]*\n {2}onnx-python \(batch 1\): p99<5000ms: [\s\S]*\n {2}onnx-python \(batch 4\): p99<5000ms:/);
});

test("a sweep above the profile's max_points is refused before anything starts, with its size", { timeout: 60_000 }, async () => {
  const dir = tempDir("sweep-max");
  const run = await runCli([
    "--frameworks",
    "onnx-python",
    "--batch-size",
    "1",
    "2",
    "4",
    "--concurrency-levels",
    "1",
    "2",
    "--max-points",
    "5",
    "--results-dir",
    dir,
  ]);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /this sweep has 6 operating points \(1 model × 1 framework × 3 batch sizes × 1 text length × 2 levels\); ETA .*more than the profile's max_points \(5\)/,
  );
  assert.ok(!existsSync(path.join(dir, "runs")), "no run folder");
});
