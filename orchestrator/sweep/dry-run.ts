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
import { checkDatasetFile } from "../models/datasets.ts";
import { modelDir, readPrepared } from "../models/prepare-model.ts";
import { checkWritableDir, checkWritableFile } from "../store/writable.ts";
import { applyOverrides, levelsOf, windowSOf } from "../plan/profile.ts";
import { parseSlo } from "../plan/slo.ts";
import { profileOverrides, type CliOptions } from "../plan/bench-options.ts";
import type { Profile } from "../plan/config-schema.ts";
import { checkMaxPoints, describeSweep, sweepSize } from "./sweep-size.ts";

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

/** A level sends one set of texts per text length: a profile's seq_len and a --dataset file cannot both say which. */
export function checkTexts(profile: Profile, dataset: string | undefined): void {
  if (dataset !== undefined && profile.seq_len !== undefined)
    throw new UserError(
      `--dataset sends your file as the texts; the profile's seq_len (${profile.seq_len.join(", ")}) would be ignored: choose a profile without it`,
    );
}

/** The plan of a run, after the checks a real run makes before its first slow step; throws UserError like it. */
export function dryRunPlan(opts: CliOptions, config: SuiteConfig): string[] {
  const head = "dry run: nothing was prepared, built, started, created or contacted";
  if (opts.list || opts.runs || opts.summary_only || opts.run !== undefined) return [head, ...readOnlyPlan(opts)];

  const modelKeys = opts.model ?? [config.benchmark.default_model];
  const modelSpecs = modelKeys.map((key) => getModel(config, key));
  const results = checkWritableDir(opts.results_dir, "--results-dir");
  const cpuSets = cpuSetsFromOption(opts.cpus, allowedCpus());
  if (opts.dataset !== undefined) checkDatasetFile(opts.dataset, "--dataset");
  const external = externalServer(opts, config, modelKeys, modelSpecs[0]!);
  const servers = external ? [] : selectFrameworks(config.servers, opts.frameworks);
  if (!external && servers.length === 0) throw new UserError("no frameworks found under servers/");
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  const profile = applyOverrides(base, profileOverrides(opts), opts.slo !== undefined ? { slo: opts.slo } : {});
  checkTexts(profile, opts.dataset);
  const size = sweepSize(modelKeys, external ? [external.name] : servers.map((s) => s.manifest.name), profile);
  checkMaxPoints(size, profile, opts.confirm_points);
  const influxUrl = opts.influx ?? process.env[INFLUX_ENV];
  const influxSource = opts.influx ? "--influx" : INFLUX_ENV;
  const influx = influxUrl === undefined ? null : parseInfluxOrThrow(influxUrl, influxSource);
  const { engine, why } = chooseEngine(opts.engine);
  checkK6Report(engine.name, opts.k6_report);

  const levels = levelsOf(profile).map((l) => l.value);
  const windowS = windowSOf(profile);
  const loop =
    profile.mode === "open"
      ? `open loop at ${levels.join(", ")} req/s (${profile.arrivals} arrivals), ${profile.duration_s} s each`
      : `closed loop at ${levels.join(", ")} VUs, up to ${profile.duration_s} s each${windowS > 0 ? ` (windows of ${windowS} s; ends once ${profile.stable_windows} agree within ±${Math.round(profile.stability_tolerance * 100)} %)` : " (one window, no stability stop)"}`;
  const texts =
    opts.dataset !== undefined
      ? path.resolve(opts.dataset)
      : profile.seq_len !== undefined
        ? `${profile.seq_len.map((n) => `tokens-${n}.json`).join(", ")} of each model's datasets/ (prepared with the model), tokens counted`
        : "built-in deterministic 24-word texts (tokens not counted)";
  const runFolder = `${results.abs}/runs/<new run id>`;
  const modelLines = modelKeys.map((key, i) => {
    const dir = modelDir(key);
    const prepared = readPrepared(dir);
    const what = `${key} (${modelSpecs[i]!.huggingface_id}): ${prepared ? `prepared in ${dir}${prepared.synthetic ? ", SYNTHETIC weights" : ""}` : `not prepared; the run would prepare it into ${dir}`}`;
    return i === 0 ? row(modelKeys.length > 1 ? "models" : "model", what) : `${"".padEnd(16)}${what}`;
  });
  const lines = [
    head,
    ...modelLines,
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
      `${profileName}: ${loop}; batch ${profile.batch_size.join(", ")}; warmup ${profile.warmup_requests} requests; ${profile.trials} trial${profile.trials > 1 ? "s, interleaved" : ""}`,
    ),
    ...(opts.slo !== undefined
      ? [
          row(
            "SLO search",
            `${parseSlo(opts.slo).text}, at most ${profile.slo_max_steps} levels per framework, model, batch size and text length (${profile.arrivals} arrivals)`,
          ),
        ]
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
    row("sweep", `${describeSweep(size)} (max_points ${profile.max_points}${size.points > profile.max_points ? ", exceeded: --confirm-points given" : ""})`),
    row("CPUs", describeCpuSets(cpuSets)),
    row("load engine", `${engine.name} ${engine.version} (${why})${opts.k6_report ? "; k6 web-dashboard report per level" : ""}`),
    ...(influx
      ? [row("InfluxDB", `${influx.origin}, database ${influx.database} (from ${influxSource}; not contacted; --influx-on-error ${opts.influx_on_error})`)]
      : []),
    row("results", `${modelKeys.map((k) => `${runFolder}/${k}/`).join(", ")}${results.exists ? "" : ` (${results.abs} would be created)`}`),
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
