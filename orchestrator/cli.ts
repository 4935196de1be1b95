// `npm run bench:k6 -- …`: the orchestrator's entry point.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { getModel, loadSuiteConfig, selectFrameworks, selectProfile } from "./config/load.ts";
import { CliOptions, helpText, parseArgs } from "./cli/options.ts";
import { INFLUX_ENV, InfluxExporter } from "./influx/export.ts";
import { interruptK6 } from "./k6run.ts";
import { killAllServersNow, stopAllServers } from "./launch/process.ts";
import { log } from "./log.ts";
import { resolveDataset } from "./models/datasets.ts";
import { ensureModel } from "./models/prepare.ts";
import { ROOT } from "./paths.ts";
import { runCommand } from "./proc.ts";
import { csvTimestamp, resultsToCsv } from "./results/csv.ts";
import { describeEnvironment } from "./results/environment.ts";
import type { FrameworkResult } from "./results/schema.ts";
import { loadResults, writeFileAtomic } from "./results/store.ts";
import { renderSummary } from "./results/summary.ts";
import { applyOverrides, interruption, runFramework, settingsFromBenchmark } from "./run.ts";
import { ensureK6 } from "./toolchain/k6.ts";
import { UserError } from "./errors.ts";

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${t}-${randomBytes(2).toString("hex")}`;
}

function writeCsv(opts: CliOptions, resultsDir: string, results: readonly FrameworkResult[]): void {
  if (opts.csv === undefined) return;
  const file =
    opts.csv === true
      ? path.join(resultsDir, `benchmark_results_${csvTimestamp(new Date().toISOString()).replace(/[- :]/g, "").replace(/^(\d{8})/, "$1_")}.csv`)
      : path.resolve(opts.csv);
  writeFileAtomic(file, resultsToCsv(results));
  log.step(`CSV written: ${file}`);
}

async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const config = loadSuiteConfig(ROOT);
  if (opts.help) {
    process.stdout.write(helpText(config.benchmark));
    return 0;
  }
  if (opts.list) {
    console.log("Models (config/models.yaml):");
    for (const [key, m] of Object.entries(config.models.models)) console.log(`  ${key.padEnd(28)} ${m.huggingface_id} (${m.params}, dim ${m.embedding_dim})`);
    console.log("Frameworks (servers/*/manifest.yaml):");
    for (const s of config.servers) console.log(`  ${s.manifest.name.padEnd(28)} ${s.manifest.display_name} / ${s.manifest.language}: ${s.manifest.description}`);
    return 0;
  }
  const modelKey = opts.model ?? config.benchmark.default_model;
  const modelSpec = getModel(config, modelKey);
  const resultsDir = path.resolve(opts.results_dir);

  if (opts.summary_only) {
    const { results, problems } = loadResults(resultsDir, modelKey);
    for (const p of problems) log.warn(p);
    if (results.length === 0) {
      log.error(`no results for ${modelKey} in ${resultsDir}`);
      return 1;
    }
    console.log(renderSummary(modelKey, results));
    writeCsv(opts, resultsDir, results);
    return 0;
  }

  const frameworks = selectFrameworks(config.servers, opts.frameworks);
  if (frameworks.length === 0) throw new UserError("no frameworks found under servers/");
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  const profile = applyOverrides(base, opts);

  // Checked before any slow step, so an unreachable database is known at once.
  const influxUrl = opts.influx ?? process.env[INFLUX_ENV];
  const observer = influxUrl
    ? ((await InfluxExporter.open(influxUrl, opts.influx ? "--influx" : INFLUX_ENV, opts.influx_on_error)) ?? undefined)
    : undefined;

  const k6 = await ensureK6();
  log.step(`k6 ${k6.version} (${k6.source}: ${k6.path})`);
  if (!existsSync(path.join(ROOT, "build", "embed.js"))) await runCommand(process.execPath, [path.join(ROOT, "build", "build.mjs")]);
  const model = await ensureModel(modelKey, modelSpec);
  log.step(`model ${modelKey} ready at ${model.dir}${model.synthetic ? " (SYNTHETIC weights)" : ""}`);
  const datasetFile = resolveDataset(model.dir, opts.seq_len, opts.dataset);

  const runId = newRunId();
  log.step(
    `run ${runId}: ${frameworks.map((f) => f.manifest.name).join(", ")}; profile ${profileName} ` +
      `(levels ${profile.concurrency_levels.join(",")}, ${profile.duration_s}s each, batch ${profile.batch_size})`,
  );
  const environment = describeEnvironment(k6.version);
  const results: FrameworkResult[] = [];
  for (const server of frameworks) {
    if (interruption.requested) break;
    results.push(
      await runFramework(server, {
        runId,
        model,
        modelSpec,
        profileName,
        profile,
        resultsDir,
        k6: k6.path,
        environment,
        ...settingsFromBenchmark(config.benchmark),
        threads: opts.threads,
        observer,
        k6Report: opts.k6_report,
        ...(datasetFile ? { datasetFile } : {}),
      }),
    );
  }
  console.log(renderSummary(modelKey, results));
  writeCsv(opts, resultsDir, results);
  log.step(`results: ${path.join(resultsDir, modelKey)}`);
  if (interruption.requested) return 130;
  const failed = results.filter((r) => r.status !== "completed");
  if (failed.length === 0) return 0;
  if (opts.skip_on_error && failed.length < results.length) {
    log.warn(`skipped after errors: ${failed.map((f) => f.framework).join(", ")}`);
    return 0;
  }
  return 1;
}

let firstSignalAt = 0;
const onSignal = (sig: NodeJS.Signals) => {
  // Ctrl-C reaches us twice (from the terminal and forwarded by tsx/npm): only a later press forces.
  if (firstSignalAt > 0) {
    if (Date.now() - firstSignalAt < 1500) return;
    log.error(`second ${sig}: killing servers and exiting now`);
    killAllServersNow();
    process.exit(130);
  }
  firstSignalAt = Date.now();
  log.warn(`${sig}: stopping the current level and servers (finished levels are already saved); press again to force`);
  interruption.requested = true;
  interruptK6();
  void stopAllServers();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (err: unknown) => {
    await stopAllServers();
    if (err instanceof UserError || err instanceof UserError || err instanceof UserError || err instanceof UserError || err instanceof UserError) {
      log.error(err.message);
      process.exitCode = 2;
    } else {
      log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  });
