// `npm run bench:k6 -- …`: the orchestrator's entry point.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Profile } from "./config/schema.ts";
import { getModel, loadSuiteConfig, selectFrameworks, selectProfile, type SuiteConfig } from "./config/load.ts";
import { CliOptions, helpText, launcherOf, layoutOf, parseArgs, profileLines } from "./cli/options.ts";
import { dryRunPlan, frameworkNeeds } from "./cli/dryrun.ts";
import { exitCode } from "./cli/exit.ts";
import { runMain, UserError, type MainContext } from "./errors.ts";
import { externalServer, runExternal } from "./external.ts";
import { writeRunReport } from "./report/report.ts";
import { INFLUX_ENV, InfluxExporter } from "./influx/export.ts";
import { allowedCpus, cpuSetsFromOption, describeCpuSets } from "./launch/cpus.ts";
import { connectEngine } from "./launch/docker.ts";
import { log } from "./log.ts";
import { checkDatasetFile, resolveDataset } from "./models/datasets.ts";
import { ensureModel, modelDir, readPrepared } from "./models/prepare.ts";
import { ROOT } from "./paths.ts";
import { runCommand } from "./proc.ts";
import { resultsToCsv } from "./results/csv.ts";
import { createRun, latestRunId, listRuns, openStore, renderRuns, resolveRun } from "./results/history.ts";
import { type ResultsLayout, type ResultsStore, writeFileAtomic } from "./results/layout.ts";
import { ensureWritableDir } from "./results/writable.ts";
import type { FrameworkResult } from "./results/schema.ts";
import { mixedProvenance, renderSummary } from "./results/summary.ts";
import { Progress, type ProgressPlan } from "./progress.ts";
import { applyOverrides, levelsOf, newRunContext, newRunId, runFramework, windowSOf, type RunContext } from "./run.ts";
import { combineTrials } from "./results/trials.ts";
import { parseSlo } from "./slo.ts";
import { checkK6Report, chooseEngine } from "./level/choose.ts";
import { findK6, INSTALL_K6 } from "./level/k6/find.ts";

function writeCsv(opts: CliOptions, layout: ResultsLayout, results: readonly FrameworkResult[]): void {
  if (opts.csv === undefined) return;
  const file = opts.csv === true ? layout.csvFile(new Date()) : path.resolve(opts.csv);
  writeFileAtomic(file, resultsToCsv(results));
  log.step(`CSV written: ${file}`);
}

function printList(config: SuiteConfig): void {
  console.log("Models (config/models.yaml):");
  for (const [key, m] of Object.entries(config.models.models)) {
    const prepared = readPrepared(modelDir(key));
    const state = prepared ? (prepared.synthetic ? "prepared, SYNTHETIC weights" : "prepared") : "not prepared";
    console.log(`  ${key.padEnd(28)} ${m.huggingface_id} (${m.params}, dim ${m.embedding_dim}) [${state}]`);
  }
  console.log("Frameworks (servers/*/manifest.yaml):");
  for (const s of config.servers) {
    console.log(`  ${s.manifest.name.padEnd(28)} ${s.manifest.display_name} / ${s.manifest.language}: ${s.manifest.description}`);
    console.log(`  ${"".padEnd(28)} ${frameworkNeeds(s)}`);
  }
  console.log(`Profiles (config/benchmark.yaml; default ${config.benchmark.default_profile}):`);
  for (const line of profileLines(config.benchmark)) console.log(line);
  const k6 = findK6();
  console.log(`Load engine: the embedded engine always; k6 ${k6 ? `${k6.version} at ${k6.path} (from ${k6.source}): --engine auto uses it` : `not found (K6_BIN, PATH): --engine auto uses the embedded engine. ${INSTALL_K6}`}`);
  console.log("Ad hoc load: npm run load -- --url http://127.0.0.1:<port> --concurrency 4 --duration 10s");
}

function printRuns(store: ResultsStore): number {
  const runs = listRuns(store);
  for (const p of runs.flatMap((r) => r.problems)) log.warn(p);
  if (runs.length === 0) {
    console.log(`no runs in ${store.runsDir} yet`);
    return 0;
  }
  console.log(renderRuns(runs, latestRunId(store)));
  console.log("\n* = latest. Re-print one: --summary-only --run <id>; compare two: npm run compare -- <run A> <run B>");
  return 0;
}

/** The summary of a stored run (latest unless --run says which), of --model or of every model in it. */
function summaryOnly(opts: CliOptions, store: ResultsStore): number {
  const layout = resolveRun(store, opts.run ?? "latest");
  log.step(`run ${layout.runId}: ${layout.root}`);
  const models = opts.model !== undefined ? [opts.model] : layout.models();
  const all: FrameworkResult[] = [];
  for (const model of models) {
    const { results, problems } = layout.loadResults(model);
    for (const p of [...problems, ...mixedProvenance(results)]) log.warn(p);
    if (results.length > 0) console.log(renderSummary(model, results));
    all.push(...results);
  }
  if (all.length === 0) {
    log.error(`no results${opts.model !== undefined ? ` for ${opts.model}` : ""} in run ${layout.runId} (${layout.root})`);
    return 1;
  }
  writeCsv(opts, layout, all);
  return 0;
}

function progressPlan(subjects: readonly Subject[], p: Profile): ProgressPlan {
  return {
    frameworks: subjects.map((f) => f.name),
    trials: p.trials,
    levels: levelsOf(p).map((l) => l.value),
    levelUnit: p.mode === "open" ? "req/s" : "VUs",
    durationS: p.duration_s,
    windowS: windowSOf(p),
    pauseS: p.pause_between_levels_s,
  };
}

/** One thing to benchmark: a framework the suite starts, or a server given by --url. */
interface Subject {
  name: string;
  run(ctx: RunContext): Promise<FrameworkResult>;
}

/**
 * Every framework's sweep, `profile.trials` times, interleaved (A B C A B C …) so that drift on the
 * machine spreads over all frameworks; a framework that did not complete a trial is not run again.
 * With trials, each one is kept under <model>/trials/ and the combination is the framework's result.
 */
async function runTrials(subjects: readonly Subject[], run: RunContext, progress: Progress): Promise<FrameworkResult[]> {
  const n = run.profile.trials;
  const trials = new Map<string, FrameworkResult[]>();
  for (let t = 1; t <= n; t++) {
    for (const subject of subjects) {
      const name = subject.name;
      const done = trials.get(name) ?? [];
      if (run.signal.aborted || done.some((r) => r.status !== "completed")) continue;
      if (n > 1) log.step(`trial ${t}/${n}: ${name}`);
      progress.frameworkStarted(name, t);
      const result = await subject.run(n > 1 ? { ...run, trial: t } : run);
      progress.frameworkFinished(name, result.status === "completed");
      trials.set(name, [...done, result]);
    }
  }
  return [...trials.values()].map((list) => {
    const combined = combineTrials(list);
    if (list.length > 1) run.layout.saveResult(combined);
    return combined;
  });
}

async function main(argv: string[], { signal }: MainContext): Promise<number> {
  const opts = parseArgs(argv);
  const config = loadSuiteConfig(ROOT);
  if (opts.help) {
    process.stdout.write(helpText(config.benchmark));
    return 0;
  }
  if (opts.dry_run) {
    console.log(dryRunPlan(opts, config).join("\n"));
    return 0;
  }
  if (opts.list) {
    printList(config);
    return 0;
  }
  if (opts.runs) return printRuns(openStore(opts.results_dir, log.warn));
  // Every output path is proven writable before the engine, the model or any server is touched.
  if (typeof opts.csv === "string") ensureWritableDir(path.dirname(path.resolve(opts.csv)), "--csv");
  if (opts.summary_only || opts.run !== undefined) return summaryOnly(opts, openStore(opts.results_dir, log.warn));
  const modelKey = opts.model ?? config.benchmark.default_model;
  const modelSpec = getModel(config, modelKey);
  ensureWritableDir(opts.results_dir, "--results-dir");
  const store = openStore(opts.results_dir, log.warn);
  const cpuSets = cpuSetsFromOption(opts.cpus, allowedCpus());
  // A user's dataset file is read now, not minutes into a fresh run; --seq-len's comes with the model.
  if (opts.dataset !== undefined) checkDatasetFile(opts.dataset, "--dataset");

  const external = externalServer(opts, config, modelKey, modelSpec);
  const subjects: Subject[] = external
    ? [{ name: external.name, run: (ctx) => runExternal(external, ctx) }]
    : selectFrameworks(config.servers, opts.frameworks).map((server) => ({ name: server.manifest.name, run: (ctx) => runFramework(server, ctx) }));
  if (subjects.length === 0) throw new UserError("no frameworks found under servers/");
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  const profile = applyOverrides(base, opts);

  // Checked before any slow step, so an unreachable database is known at once.
  checkK6Report(opts.engine, opts.k6_report);
  const influxUrl = opts.influx ?? process.env[INFLUX_ENV];
  const observer = influxUrl
    ? ((await InfluxExporter.open(influxUrl, opts.influx ? "--influx" : INFLUX_ENV, opts.influx_on_error)) ?? undefined)
    : undefined;

  if (opts.launcher === "docker") await connectEngine();

  const { engine, why } = chooseEngine(opts.engine, observer?.k6Args() ?? []);
  log.step(`load engine: ${engine.name} ${engine.version} (${why})`);
  if (engine.name === "k6" && !existsSync(path.join(ROOT, "build", "embed.js"))) await runCommand(process.execPath, [path.join(ROOT, "build", "build.mjs")]);
  const model = await ensureModel(modelKey, modelSpec);
  log.step(`model ${modelKey} ready at ${model.dir}${model.synthetic ? " (SYNTHETIC weights)" : ""}`);
  const datasetFile = resolveDataset(model.dir, opts.seq_len, opts.dataset);

  const runId = newRunId();
  const layout = createRun(store, runId);
  const progress = new Progress(progressPlan(subjects, profile), { tty: process.stderr.isTTY === true, status: log.status, line: log.step });
  const run = newRunContext({
    runId,
    progress,
    profileName,
    profile,
    model,
    modelSpec,
    layout,
    engine,
    benchmark: config.benchmark,
    argv,
    cpuSets,
    launcher: launcherOf(opts),
    k6Report: opts.k6_report,
    signal,
    ...(opts.slo ? { slo: parseSlo(opts.slo) } : {}),
    ...layoutOf(opts),
    ...(observer ? { observer } : {}),
    ...(datasetFile ? { datasetFile } : {}),
  });
  log.step(
    `run ${run.runId}: ${subjects.map((f) => f.name).join(", ")}; profile ${profileName} ` +
      `(${profile.mode === "open" ? `open loop at ${levelsOf(profile).map((l) => l.value).join(",")} req/s` : `levels ${profile.concurrency_levels.join(",")}`}, ${profile.duration_s}s each, batch ${profile.batch_size}` +
      `${profile.trials > 1 ? `, ${profile.trials} trials interleaved` : ""}); ${describeCpuSets(cpuSets)}` +
      `${opts.launcher === "docker" ? `; servers in containers (${opts.container_memory_mb} MiB each)` : ""}`,
  );
  progress.start();
  const results = await runTrials(subjects, run, progress).finally(() => progress.stop());
  console.log(renderSummary(modelKey, results));
  writeCsv(opts, layout, results);
  log.step(`results: ${layout.modelDir(modelKey)} (run ${runId}; ${store.latest} points at it)`);
  // The figures are on disk already: a report that cannot be drawn is a warning, not a failed run.
  await writeRunReport(layout, runId).catch((err: unknown) => log.warn(`report not written: ${(err as Error).message}`));
  return exitCode(opts, results);
}

runMain(main);
