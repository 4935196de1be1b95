// `npm run bench:k6 -- …`: the orchestrator's entry point.
import { existsSync } from "node:fs";
import path from "node:path";
import { getModel, loadSuiteConfig, selectFrameworks, selectProfile, type DiscoveredServer, type SuiteConfig } from "./config/load.ts";
import { CliOptions, helpText, launcherOf, layoutOf, parseArgs, profileLines } from "./cli/options.ts";
import { runMain, UserError, type MainContext } from "./errors.ts";
import { INFLUX_ENV, InfluxExporter } from "./influx/export.ts";
import { allowedCpus, cpuSetsFromOption, describeCpuSets } from "./launch/cpus.ts";
import { connectEngine } from "./launch/docker.ts";
import { missingRequirements } from "./launch/system.ts";
import { log } from "./log.ts";
import { checkDatasetFile, resolveDataset } from "./models/datasets.ts";
import { ensureModel, modelDir, readPrepared } from "./models/prepare.ts";
import { ROOT } from "./paths.ts";
import { runCommand } from "./proc.ts";
import { resultsToCsv } from "./results/csv.ts";
import { ResultsLayout, writeFileAtomic } from "./results/layout.ts";
import { ensureWritableDir } from "./results/writable.ts";
import type { FrameworkResult } from "./results/schema.ts";
import { mixedProvenance, renderSummary } from "./results/summary.ts";
import { applyOverrides, newRunContext, runFramework, type RunContext } from "./run.ts";
import { combineTrials } from "./results/trials.ts";
import { describeK6, ensureK6 } from "./toolchain/k6.ts";

function writeCsv(opts: CliOptions, layout: ResultsLayout, results: readonly FrameworkResult[]): void {
  if (opts.csv === undefined) return;
  const file = opts.csv === true ? layout.csvFile(new Date()) : path.resolve(opts.csv);
  writeFileAtomic(file, resultsToCsv(results));
  log.step(`CSV written: ${file}`);
}

function frameworkNeeds(s: DiscoveredServer): string {
  const req = s.manifest.requires;
  const needs = [...req.apt.map((p) => `apt:${p}`), ...req.commands.map((c) => c.name)];
  if (needs.length === 0) return "needs: nothing beyond Python (venv built by the suite)";
  const missing = missingRequirements(req);
  const lacking = [...missing.apt.map((p) => `apt:${p}`), ...missing.commands.map((c) => c.name)];
  return `needs: ${needs.join(" ")}${lacking.length ? ` (MISSING: ${lacking.join(" ")})` : " (all present)"}`;
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
  console.log(`k6: ${describeK6()} (ad hoc: npm run k6 -- run build/embed.js -e BASE_URL=…)`);
}

function summaryOnly(opts: CliOptions, layout: ResultsLayout, modelKey: string): number {
  const { results, problems } = layout.loadResults(modelKey);
  for (const p of [...problems, ...mixedProvenance(results)]) log.warn(p);
  if (results.length === 0) {
    log.error(`no results for ${modelKey} in ${layout.root}`);
    return 1;
  }
  console.log(renderSummary(modelKey, results));
  writeCsv(opts, layout, results);
  return 0;
}

function exitCode(opts: CliOptions, results: readonly FrameworkResult[]): number {
  const failed = results.filter((r) => r.status !== "completed");
  if (failed.length === 0) return 0;
  if (opts.skip_on_error && failed.length < results.length) {
    log.warn(`skipped after errors: ${failed.map((f) => f.framework).join(", ")}`);
    return 0;
  }
  return 1;
}

/**
 * Every framework's sweep, `profile.trials` times, interleaved (A B C A B C …) so that drift on the
 * machine spreads over all frameworks; a framework that did not complete a trial is not run again.
 * With trials, each one is kept under <model>/trials/ and the combination is the framework's result.
 */
async function runTrials(frameworks: readonly DiscoveredServer[], run: RunContext): Promise<FrameworkResult[]> {
  const n = run.profile.trials;
  const trials = new Map<string, FrameworkResult[]>();
  for (let t = 1; t <= n; t++) {
    for (const server of frameworks) {
      const done = trials.get(server.manifest.name) ?? [];
      if (run.signal.aborted || done.some((r) => r.status !== "completed")) continue;
      if (n > 1) log.step(`trial ${t}/${n}: ${server.manifest.name}`);
      trials.set(server.manifest.name, [...done, await runFramework(server, n > 1 ? { ...run, trial: t } : run)]);
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
  if (opts.list) {
    printList(config);
    return 0;
  }
  const modelKey = opts.model ?? config.benchmark.default_model;
  const modelSpec = getModel(config, modelKey);
  const layout = new ResultsLayout(opts.results_dir);
  // Every output path is proven writable before k6, the model or any server is touched.
  if (typeof opts.csv === "string") ensureWritableDir(path.dirname(path.resolve(opts.csv)), "--csv");
  if (opts.summary_only) return summaryOnly(opts, layout, modelKey);
  ensureWritableDir(layout.root, "--results-dir");
  const cpuSets = cpuSetsFromOption(opts.cpus, allowedCpus());
  // A user's dataset file is read now, not minutes into a fresh run; --seq-len's comes with the model.
  if (opts.dataset !== undefined) checkDatasetFile(opts.dataset, "--dataset");

  const frameworks = selectFrameworks(config.servers, opts.frameworks);
  if (frameworks.length === 0) throw new UserError("no frameworks found under servers/");
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  const profile = applyOverrides(base, opts);

  // Checked before any slow step, so an unreachable database is known at once.
  const influxUrl = opts.influx ?? process.env[INFLUX_ENV];
  const observer = influxUrl
    ? ((await InfluxExporter.open(influxUrl, opts.influx ? "--influx" : INFLUX_ENV, opts.influx_on_error)) ?? undefined)
    : undefined;

  if (opts.launcher === "docker") await connectEngine();

  const k6 = await ensureK6(signal);
  log.step(`k6 ${k6.version} (${k6.source}: ${k6.path})`);
  if (!existsSync(path.join(ROOT, "build", "embed.js"))) await runCommand(process.execPath, [path.join(ROOT, "build", "build.mjs")]);
  const model = await ensureModel(modelKey, modelSpec);
  log.step(`model ${modelKey} ready at ${model.dir}${model.synthetic ? " (SYNTHETIC weights)" : ""}`);
  const datasetFile = resolveDataset(model.dir, opts.seq_len, opts.dataset);

  const run = newRunContext({
    profileName,
    profile,
    model,
    modelSpec,
    layout,
    k6,
    benchmark: config.benchmark,
    argv,
    cpuSets,
    launcher: launcherOf(opts),
    k6Report: opts.k6_report,
    signal,
    ...layoutOf(opts),
    ...(observer ? { observer } : {}),
    ...(datasetFile ? { datasetFile } : {}),
  });
  log.step(
    `run ${run.runId}: ${frameworks.map((f) => f.manifest.name).join(", ")}; profile ${profileName} ` +
      `(levels ${profile.concurrency_levels.join(",")}, ${profile.duration_s}s each, batch ${profile.batch_size}` +
      `${profile.trials > 1 ? `, ${profile.trials} trials interleaved` : ""}); ${describeCpuSets(cpuSets)}` +
      `${opts.launcher === "docker" ? `; servers in containers (${opts.container_memory_mb} MiB each)` : ""}`,
  );
  const results = await runTrials(frameworks, run);
  console.log(renderSummary(modelKey, results));
  writeCsv(opts, layout, results);
  log.step(`results: ${layout.modelDir(modelKey)}`);
  return exitCode(opts, results);
}

runMain(main);
