// `npm run bench:k6 -- …`: the orchestrator's entry point.
import { existsSync } from "node:fs";
import path from "node:path";
import { getModel, loadSuiteConfig, selectFrameworks, selectProfile, type SuiteConfig } from "../plan/config.ts";
import { helpText, launcherOf, layoutOf, parseArgs, profileLines, profileOverrides } from "../plan/bench-options.ts";
import { checkTexts, dryRunPlan, frameworkNeeds } from "../sweep/dry-run.ts";
import { checkMaxPoints, describeSweep, sweepSize } from "../sweep/sweep-size.ts";
import type { RunContext } from "../sweep/context.ts";
import { exitCode } from "../sweep/exit-status.ts";
import { printRuns, summaryOnly } from "./runs.ts";
import { runTrials, type Subject } from "../sweep/trials.ts";
import { writeCsv } from "../outputs/csv.ts";
import { runMain, UserError, type MainContext } from "../platform/errors.ts";
import { externalServer, runExternal } from "../sweep/external.ts";
import { writeRunReport } from "../outputs/report/write-report.ts";
import { InfluxExporter } from "../outputs/influx/export.ts";
import { INFLUX_ENV } from "../plan/bench-options.ts";
import { cpuSetsFromOption, describeCpuSets } from "../plan/cpu-sets.ts";
import { allowedCpus } from "../platform/affinity.ts";
import { connectEngine } from "../launch/docker.ts";
import { log } from "../platform/log.ts";
import { checkDatasetFile, resolveTextSets, type TextSet } from "../models/datasets.ts";
import { ensureModel, modelDir, readPrepared, type PreparedModel } from "../models/prepare-model.ts";
import { ROOT } from "../platform/paths.ts";
import { runCommand } from "../platform/proc.ts";
import { createRun, endRun, openStore } from "../store/history.ts";
import { ensureWritableDir, ensureWritableFile } from "../store/writable.ts";
import { renderSummary } from "../outputs/summary.ts";
import { Progress, progressPlan } from "../outputs/progress.ts";
import { applyOverrides, levelsOf } from "../plan/profile.ts";
import { newRunContext } from "../sweep/context.ts";
import { newRunId } from "../store/run-id.ts";
import { runFramework } from "../sweep/framework.ts";
import { parseSlo } from "../plan/slo.ts";
import { checkK6Report, chooseEngine } from "../level/choose.ts";
import { findK6, INSTALL_K6 } from "../level/k6/find.ts";

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
    for (const [model, why] of Object.entries(s.manifest.cannot_serve)) console.log(`  ${"".padEnd(28)} cannot serve ${model}: ${why}`);
  }
  console.log(`Profiles (config/benchmark.yaml; default ${config.benchmark.default_profile}):`);
  for (const line of profileLines(config.benchmark)) console.log(line);
  const k6 = findK6();
  console.log(
    `Load engine: the embedded engine always; k6 ${k6 ? `${k6.version} at ${k6.path} (from ${k6.source}): --engine auto uses it` : `not found (K6_BIN, PATH): --engine auto uses the embedded engine. ${INSTALL_K6}`}`,
  );
  console.log("Ad hoc load: npm run load -- --url http://127.0.0.1:<port> --concurrency 4 --duration 10s");
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
  if (typeof opts.csv === "string") ensureWritableFile(opts.csv, "--csv", "results.csv");
  if (opts.summary_only || opts.run !== undefined) return summaryOnly(opts, openStore(opts.results_dir, log.warn));
  const modelKeys = opts.model ?? [config.benchmark.default_model];
  const modelSpecs = new Map(modelKeys.map((key) => [key, getModel(config, key)]));
  ensureWritableDir(opts.results_dir, "--results-dir");
  const store = openStore(opts.results_dir, log.warn);
  const cpuSets = cpuSetsFromOption(opts.cpus, allowedCpus());
  // A user's dataset file is read now, not minutes into a fresh run; --seq-len's come with the model.
  if (opts.dataset !== undefined) checkDatasetFile(opts.dataset, "--dataset");

  const external = externalServer(opts, config, modelKeys, modelSpecs.get(modelKeys[0]!)!);
  const frameworks = external ? [] : selectFrameworks(config.servers, opts.frameworks);
  const names = external ? [external.name] : frameworks.map((s) => s.manifest.name);
  if (names.length === 0) throw new UserError("no frameworks found under servers/");
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  const profile = applyOverrides(base, profileOverrides(opts), opts.slo !== undefined ? { slo: opts.slo } : {});
  checkTexts(profile, opts.dataset);
  // The size of the sweep, and its refusal above max_points, before anything slow starts.
  const size = sweepSize(modelKeys, names, profile);
  checkMaxPoints(size, profile, opts.confirm_points);
  checkK6Report(opts.engine, opts.k6_report);

  // Checked before any slow step, so an unreachable database is known at once.
  const influxUrl = opts.influx ?? process.env[INFLUX_ENV];
  const observer = influxUrl ? ((await InfluxExporter.open(influxUrl, opts.influx ? "--influx" : INFLUX_ENV, opts.influx_on_error)) ?? undefined) : undefined;

  if (opts.launcher === "docker") await connectEngine();

  const { engine, why } = chooseEngine(opts.engine, observer?.k6Args() ?? []);
  log.step(`load engine: ${engine.name} ${engine.version} (${why})`);
  // Said once every check that can refuse the run has passed, so that a refusal stays one line.
  log.step(`sweep: ${describeSweep(size)}`);
  if (engine.name === "k6" && !existsSync(path.join(ROOT, "build", "embed.js"))) await runCommand(process.execPath, [path.join(ROOT, "build", "build.mjs")]);
  const prepared: { key: string; model: PreparedModel; texts: TextSet[] }[] = [];
  for (const key of modelKeys) {
    const model = await ensureModel(key, modelSpecs.get(key)!);
    log.step(`model ${key} ready at ${model.dir}${model.synthetic ? " (SYNTHETIC weights)" : ""}`);
    prepared.push({ key, model, texts: resolveTextSets(model.dir, profile.seq_len, opts.dataset) });
  }

  const runId = newRunId();
  const folder = createRun(store, runId);
  const progress = new Progress(progressPlan(names, profile, modelKeys), { tty: process.stderr.isTTY === true, status: log.status, line: log.step });
  const subjects: Subject[] = prepared.flatMap(({ key, model, texts }) => {
    const context = newRunContext({
      runId,
      progress,
      profileName,
      profile,
      model,
      modelSpec: modelSpecs.get(key)!,
      texts,
      folder,
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
    });
    return external
      ? [{ name: external.name, context, run: (ctx: RunContext) => runExternal(external, ctx) }]
      : frameworks.map((server) => ({ name: server.manifest.name, context, run: (ctx: RunContext) => runFramework(server, ctx) }));
  });
  log.step(
    `run ${runId}: ${names.join(", ")}${modelKeys.length > 1 ? ` × models ${modelKeys.join(", ")}` : ""}; profile ${profileName} ` +
      `(${
        profile.mode === "open"
          ? `open loop at ${levelsOf(profile)
              .map((l) => l.value)
              .join(",")} req/s`
          : `levels ${profile.concurrency_levels.join(",")}`
      }, ${profile.duration_s}s each, batch ${profile.batch_size.join(",")}${profile.seq_len ? `, ${profile.seq_len.join(",")} tokens` : ""}` +
      `${profile.trials > 1 ? `, ${profile.trials} trials interleaved` : ""}); ${describeCpuSets(cpuSets)}` +
      `${opts.launcher === "docker" ? `; servers in containers (${opts.container_memory_mb} MiB each)` : ""}`,
  );
  progress.start();
  const results = await runTrials(subjects, profile.trials, progress).finally(() => {
    progress.stop();
    endRun(folder);
  });
  for (const key of modelKeys) {
    const ofModel = results.filter((r) => r.model_name === key);
    if (ofModel.length > 0) console.log(renderSummary(key, ofModel));
  }
  writeCsv(opts.csv, folder, results);
  const levelsDone = results.some((r) => Object.keys(r.scenarios).length > 0);
  log.step(
    `results: ${modelKeys.map((k) => folder.modelDir(k)).join(", ")} (run ${runId}; ${levelsDone ? `${store.latest} points at it` : `no level finished, so ${store.latest} is unchanged`})`,
  );
  // The figures are on disk already: a report that cannot be drawn is a warning, not a failed run.
  await writeRunReport(folder, runId).catch((err: unknown) => log.warn(`report not written: ${(err as Error).message}`));
  return exitCode(opts, results);
}

runMain(main);
