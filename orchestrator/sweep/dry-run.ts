// `bench:k6 -- … --dry-run`: every check a run makes before its first slow step (flags and their
// rules, the configuration files, model, framework and profile names, the profile after overrides,
// --name against the suite's frameworks, the URL forms, CPU sets, the dataset file, output folders,
// the engine --engine would choose), then the plan, and nothing else: no model is prepared, nothing
// is built, started, created or contacted (no server, InfluxDB or container engine). An input a real
// run refuses fails here with the same message and exit status 2. The docs check
// (scripts/docs-check.ts) runs every bench:k6 command of the documentation this way.
import path from "node:path";
import type { DiscoveredServer, SuiteConfig } from "../plan/config.ts";
import { getModel, selectFrameworks, selectProfile } from "../plan/config.ts";
import { UserError } from "../platform/errors.ts";
import { externalServer } from "./external.ts";
import { INFLUX_ENV } from "../plan/bench-options.ts";
import { parseInfluxUrl } from "../outputs/influx/client.ts";
import { cpuSetsFromOption, describeCpuSets } from "../plan/cpu-sets.ts";
import { allowedCpus } from "../platform/affinity.ts";
import { engineAddress } from "../launch/docker.ts";
import { missingRequirements } from "../launch/system.ts";
import { checkK6Report, chooseEngine } from "../level/choose.ts";
import { checkDatasetFile, tokenDatasetPath } from "../models/datasets.ts";
import { modelDir, readPrepared } from "../models/prepare-model.ts";
import { checkWritableDir, checkWritableFile } from "../store/writable.ts";
import { applyOverrides, levelsOf, windowSOf } from "../plan/profile.ts";
import { parseSlo } from "../plan/slo.ts";
import type { CliOptions } from "../plan/bench-options.ts";

/** One framework's system requirements and which of them this machine lacks (also --list's line). */
export function frameworkNeeds(s: DiscoveredServer): string {
  const req = s.manifest.requires;
  const command = (c: (typeof req.commands)[number]) => (c.env === undefined ? c.name : `${c.name} (or ${c.env})`);
  const needs = [...req.apt.map((p) => `apt:${p}`), ...req.commands.map(command)];
  if (needs.length === 0) return "needs: nothing beyond Python (venv built by the suite)";
  const missing = missingRequirements(req);
  const lacking = [...missing.apt.map((p) => `apt:${p}`), ...missing.commands.map(command)];
  return `needs: ${needs.join(" ")}${lacking.length ? ` (MISSING: ${lacking.join(" ")})` : " (all present)"}`;
}

const row = (label: string, text: string) => `  ${`${label}:`.padEnd(13)} ${text}`;

function outputLines(opts: CliOptions, runFolder: string): string[] {
  const lines: string[] = [];
  if (typeof opts.csv === "string") {
    const dir = checkWritableFile(opts.csv, "--csv", "results.csv");
    lines.push(row("CSV", `${path.resolve(opts.csv)}${dir.exists ? "" : " (its folder would be created)"}`));
  } else if (opts.csv === true) {
    lines.push(row("CSV", `${runFolder}/benchmark_results_<timestamp>.csv`));
  }
  return lines;
}

/** --list, --runs, --summary-only and --run with --dry-run: what they would read. */
function readOnlyPlan(opts: CliOptions): string[] {
  const results = path.resolve(opts.results_dir);
  if (opts.list) return [row("would", "list the models, frameworks and profiles found, and the load engines")];
  if (opts.runs) return [row("would", `list the runs in ${results}/runs/`)];
  const run = opts.run ?? "latest";
  return [
    row("would", `print the summary of run ${run} in ${results}/runs/${opts.model !== undefined ? `, model ${opts.model}` : ""}`),
    ...outputLines(opts, `${results}/runs/${run}`),
  ];
}

/** The plan of a run, after the checks a real run makes before its first slow step; throws UserError like it. */
export function dryRunPlan(opts: CliOptions, config: SuiteConfig): string[] {
  const head = "dry run: nothing was prepared, built, started, created or contacted";
  if (opts.list || opts.runs || opts.summary_only || opts.run !== undefined) return [head, ...readOnlyPlan(opts)];

  const modelKey = opts.model ?? config.benchmark.default_model;
  const modelSpec = getModel(config, modelKey);
  const results = checkWritableDir(opts.results_dir, "--results-dir");
  const cpuSets = cpuSetsFromOption(opts.cpus, allowedCpus());
  if (opts.dataset !== undefined) checkDatasetFile(opts.dataset, "--dataset");
  const external = externalServer(opts, config, modelKey, modelSpec);
  const servers = external ? [] : selectFrameworks(config.servers, opts.frameworks);
  if (!external && servers.length === 0) throw new UserError("no frameworks found under servers/");
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  const profile = applyOverrides(base, opts);
  const influxUrl = opts.influx ?? process.env[INFLUX_ENV];
  const influxSource = opts.influx ? "--influx" : INFLUX_ENV;
  const influx = influxUrl === undefined ? null : parseInfluxOrThrow(influxUrl, influxSource);
  const { engine, why } = chooseEngine(opts.engine);
  checkK6Report(engine.name, opts.k6_report);

  const dir = modelDir(modelKey);
  const prepared = readPrepared(dir);
  const levels = levelsOf(profile).map((l) => l.value);
  const windowS = windowSOf(profile);
  const loop =
    profile.mode === "open"
      ? `open loop at ${levels.join(", ")} req/s (${profile.arrivals} arrivals), ${profile.duration_s} s each`
      : `closed loop at ${levels.join(", ")} VUs, up to ${profile.duration_s} s each${windowS > 0 ? ` (windows of ${windowS} s; ends once ${profile.stable_windows} agree within ±${Math.round(profile.stability_tolerance * 100)} %)` : " (one window, no stability stop)"}`;
  const texts =
    opts.dataset !== undefined
      ? path.resolve(opts.dataset)
      : opts.seq_len !== undefined
        ? `${tokenDatasetPath(dir, opts.seq_len)} (prepared with the model)`
        : "built-in deterministic 24-word texts";
  const runFolder = `${results.abs}/runs/<new run id>`;
  const lines = [
    head,
    row(
      "model",
      `${modelKey} (${modelSpec.huggingface_id}): ${prepared ? `prepared in ${dir}${prepared.synthetic ? ", SYNTHETIC weights" : ""}` : `not prepared; the run would prepare it into ${dir}`}`,
    ),
    ...(external
      ? [
          row(
            "server",
            `${external.url}, ${external.api.adapter.name} API${external.api.settings.model ? `, served model ${external.api.settings.model}` : ""}, as '${external.name}', precision ${external.precision}`,
          ),
          row("resources", external.pid === null ? "not measured (no --server-pid)" : `process tree of pid ${external.pid}`),
        ]
      : [
          row("frameworks", servers.map((s) => s.manifest.name).join(", ")),
          ...servers.map((s) => `${"".padEnd(16)}${s.manifest.name}: ${frameworkNeeds(s)}`),
          row(
            "launcher",
            opts.launcher === "docker" ? `docker at ${engineAddress()} (not contacted), ${opts.container_memory_mb} MiB per container` : "process",
          ),
        ]),
    row(
      "profile",
      `${profileName}: ${loop}; batch ${profile.batch_size}; warmup ${profile.warmup_requests} requests; ${profile.trials} trial${profile.trials > 1 ? "s, interleaved" : ""}`,
    ),
    ...(opts.slo !== undefined
      ? [row("SLO search", `${parseSlo(opts.slo).text}, at most ${profile.slo_max_steps} levels per framework (${profile.arrivals} arrivals)`)]
      : []),
    ...(opts.layout !== undefined || opts.threads !== undefined
      ? [
          row(
            "layout",
            opts.layout === "auto" ? "auto: probe each framework's candidate layouts, then benchmark the best" : (opts.layout ?? `THREADS=${opts.threads}`),
          ),
        ]
      : []),
    row("texts", texts),
    row("CPUs", describeCpuSets(cpuSets)),
    row("load engine", `${engine.name} ${engine.version} (${why})${opts.k6_report ? "; k6 web-dashboard report per level" : ""}`),
    ...(influx
      ? [row("InfluxDB", `${influx.origin}, database ${influx.database} (from ${influxSource}; not contacted; --influx-on-error ${opts.influx_on_error})`)]
      : []),
    row("results", `${runFolder}/${modelKey}/${results.exists ? "" : ` (${results.abs} would be created)`}`),
    ...outputLines(opts, runFolder),
  ];
  return lines;
}

function parseInfluxOrThrow(url: string, source: string): ReturnType<typeof parseInfluxUrl> {
  try {
    return parseInfluxUrl(url);
  } catch (err) {
    throw new UserError(`${source}: ${(err as Error).message}`);
  }
}
