// Writes docs/cli.md, the command-line reference, from the option schemas themselves (the zod objects
// that parse, validate and print --help). `npm run docs:cli` regenerates it; scripts/cli-reference.test.ts
// fails when the file and the schemas disagree, so an option cannot change without its documentation.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CompareOptions } from "../orchestrator/plan/compare-options.ts";
import { flagSpecs, rangeText, type FlagSpec } from "../orchestrator/plan/flags.ts";
import { LoadOptions } from "../orchestrator/plan/load-options.ts";
import { CliOptions, overheadFlagSpecs } from "../orchestrator/plan/bench-options.ts";
import { INFLUX_ENV } from "../orchestrator/plan/bench-options.ts";
import { MODELS_COMMANDS, modelsFlagSpecs } from "../orchestrator/plan/models-options.ts";
import { ReportOptions } from "../orchestrator/plan/report-options.ts";

export const CLI_REFERENCE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "docs", "cli.md");

/** A table cell: pipes escaped, and angle brackets and asterisks kept literal (not HTML, not emphasis). */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\*/g, "\\*").replace(/\n/g, " ");
/** A code span in a table cell: only pipes need escaping there. */
const codeCell = (text: string) => `\`${text.replace(/\|/g, "\\|")}\``;
const code = (text: string) => `\`${text}\``;

/** `--concurrency-levels <n> [<n> …]`, `--csv [file]`, `--list`, as --help writes them. */
function flagUsage(spec: FlagSpec): string {
  // An option with a finite set of values shows them, as in `--mode closed|open`.
  const p = spec.placeholder === "v" && spec.choices ? spec.choices.join("|") : spec.placeholder;
  const value = { switch: "", value: ` <${p}>`, "optional-value": ` [${p}]`, values: ` <${p}> [<${p}> …]` }[spec.arity];
  return `${spec.flag}${spec.key === "help" ? ", -h" : ""}${value}`;
}

function flagTable(specs: readonly FlagSpec[]): string[] {
  const rows = specs.map((s) => {
    const meaning = cell(s.description.charAt(0).toUpperCase() + s.description.slice(1));
    const dflt = s.default !== undefined && s.default !== false ? codeCell(String(s.default)) : "";
    const range = rangeText(s);
    return `| ${codeCell(flagUsage(s))} | ${meaning}${/[.)]$/.test(s.description) ? "" : "."}${range ? `${s.description.endsWith(")") ? "." : ""} Range: ${range}.` : ""} | ${dflt} |`;
  });
  return ["| flag | meaning | default |", "|---|---|---|", ...rows];
}

interface Command {
  title: string;
  usage: string;
  intro: string[];
  specs: FlagSpec[] | null;
  after?: string[];
}

const COMMANDS: Command[] = [
  {
    title: "bench:k6",
    usage: "npm run bench:k6 -- [options]",
    intro: [
      "Prepares the model, then for each framework starts its server, waits for `/health`, verifies its embeddings against the",
      "model's reference, warms up and drives load at each level, sampling the server's and the load engine's CPU and memory; or,",
      "with `--url`, does the same to a server that is already running. Results: `<results-dir>/runs/<run_id>/` (see",
      "[results.md](results.md)). `--dry-run` runs every check a run makes before its first slow step and prints the plan.",
      "",
      "Every key of a profile (`config/benchmark.yaml`) but its description is also a flag of the same name, which overrides the",
      "profile's value for this run: `concurrency_levels` is `--concurrency-levels`, `rates_rps` `--rates-rps`, `slo_max_steps`",
      "`--slo-max-steps`. `--model`, `--batch-size` and `--seq-len` take several values: a run is their cross product with the",
      "levels (a sweep of operating points, [methodology.md](methodology.md#sweeps)); it prints how many points and their ETA",
      "before it starts, and refuses more than the profile's `max_points` without `--confirm-points`. The earlier spellings",
      "`--levels`, `--rates` and `--slo-steps` are still read, as these, with a warning.",
    ],
    specs: flagSpecs(CliOptions),
    after: [
      "Rules between flags (each refused with the reason, exit 2): `--list`, `--runs`, `--summary-only` and `--run` take only the",
      "flags that make sense with them (and `--dry-run`); `--layout` excludes `--threads`; `--rates-rps` excludes",
      "`--concurrency-levels` and needs `--mode open` (or an open profile), which `--concurrency-levels` excludes; `--dataset`",
      "excludes `--seq-len` (and a profile with `seq_len`); `--url` excludes `--frameworks`, `--threads`, `--layout`, `--launcher`",
      "and `--container-memory-mb`, and takes one `--model`; `--api`, `--name`, `--server-pid`, `--served-model` and `--precision`",
      "need `--url`; `--slo-max-steps` and `--slo-start-rps` need `--slo`; the open-loop keys (`--arrivals`, `--arrival-seed`,",
      "`--expected-latency-ms`, `--vu-headroom`, `--max-vus`, `--saturation-tolerance`) need open mode or `--slo`; the window keys",
      "(`--window-s`, `--stable-windows`, `--stability-tolerance`) refuse open mode; `--container-memory-mb` needs",
      "`--launcher docker`; `--k6-report` needs the k6 engine.",
      "",
      "Exit status: 0 every framework completed (or `--skip-on-error` and one did); 1 a framework failed; 2 bad flags,",
      "configuration, names or toolchain (the message names the file and field); 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.",
      "",
      "Environment: `K6_BIN` (a k6 you installed, for `--engine k6` or `auto`), `EMBEDDING_BENCH_CACHE` (cache folder, default",
      "`~/.cache/embedding-bench`), `EMBEDDING_BENCH_MODELS` (prepared models, default `./models`), `EMBEDDING_BENCH_PYTHON`",
      "(base Python, default `python3`), `EMBEDDING_BENCH_EXTRA_SERVERS` (more folders of server folders, `:`-separated),",
      `\`${INFLUX_ENV}\` (InfluxDB URL when \`--influx\` is not given), \`DOCKER_HOST\` (the engine of \`--launcher docker\`).`,
    ],
  },
  {
    title: "bench:overhead",
    usage: "npm run bench:overhead -- [options]",
    intro: [
      "For each framework with a `ceiling` command in its manifest: the normal run at batch 1, then the same runtime in process",
      "(no HTTP) at the same concurrency; prints server QPS next to the in-process embeddings/s. Writes",
      "`<results-dir>/overhead/<run>/overhead.json`. It takes bench:k6's options that apply to it:",
    ],
    specs: overheadFlagSpecs(),
  },
  {
    title: "compare",
    usage: "npm run compare -- <run A> <run B> [options]",
    intro: [
      "Per framework and level in both runs, the change from run A to run B in throughput and p50/p95/p99 latency, with its",
      "significance; a run is an id from `npm run bench:k6 -- --runs`, or `latest`. See [comparing-runs.md](comparing-runs.md).",
    ],
    specs: flagSpecs(CompareOptions),
    after: ["Exit status: 0 compared, no regression beyond the threshold; 1 a regression beyond `--fail-on-regression`; 2 bad input."],
  },
  {
    title: "report",
    usage: "npm run report -- [run_id …] [options]",
    intro: [
      "One self-contained HTML file (charts and tables, no network) of the newest run, or of the runs named, overlaid. See",
      "[reports-and-dashboards.md](reports-and-dashboards.md).",
    ],
    specs: flagSpecs(ReportOptions),
    after: ["Exit status: 0 written; 2 bad flags, an unknown run id, a run without results, or an output folder that cannot be written."],
  },
  {
    title: "models",
    usage: "npm run models -- <command> [model] [options]",
    intro: [
      `Commands: ${MODELS_COMMANDS.map(code).join(", ")}. \`list\` prints the catalogue and what is prepared; \`prepare <model>\` writes`,
      "`models/<model>/`; `verify <model>` re-hashes every file and checks every format against the reference; `dataset <model>`",
      "turns your corpus into texts of an exact token count. Each option names the commands it applies to. See [models.md](models.md).",
    ],
    specs: modelsFlagSpecs(),
    after: ["Environment: `HF_TOKEN` (gated hub models), `EMBEDDING_BENCH_MODELS`, `EMBEDDING_BENCH_CACHE`."],
  },
  {
    title: "load",
    usage: "npm run load -- --url <url> [--concurrency N | --rate R] [options]",
    intro: [
      "One level of load against a running server with the embedded engine (no k6 needed), every answer checked, then a",
      "k6-like summary. See [load-engines.md](load-engines.md).",
    ],
    specs: flagSpecs(LoadOptions),
    after: ["Exit status: 0 the level held its thresholds; 1 it did not; 2 bad input."],
  },
  {
    title: "k6",
    usage: "npm run k6 -- <k6 arguments>",
    intro: [
      "Runs the k6 you installed (`K6_BIN`, else `k6` on `PATH`) with your arguments, e.g. `npm run k6 -- run build/embed.js -e",
      "BASE_URL=http://127.0.0.1:8000`; without one it says how to install k6 and exits 2. Its options are k6's own. See",
      "[load-engines.md](load-engines.md).",
    ],
    specs: null,
  },
  {
    title: "bench:repeatability, bench:closed-vs-open, bench:engine",
    usage: "npm run bench:repeatability -- [options]",
    intro: [
      "Benchmark scripts of the method itself; they assert nothing and print figures. Their options are plain `node:util` options,",
      "not a schema: `--help` lists them, and a repeatable one is given once per value (`--frameworks onnx-python --frameworks",
      "onnx-rust`). See [methodology.md](methodology.md) and [load-engines.md](load-engines.md).",
    ],
    specs: null,
  },
];

export function renderCliReference(): string {
  const lines = [
    "# Command-line reference",
    "",
    "<!-- Generated by scripts/cli-reference.ts from the option schemas (npm run docs:cli); do not edit by hand.",
    "     scripts/cli-reference.test.ts fails when this file and the schemas disagree. -->",
    "",
    "Every command parses its flags with one zod schema, which also gives `--help`. Flags take their values after a space",
    "(`--concurrency-levels 1 4 8`) or `=` (`--model=all-MiniLM-L6-v2`); a flag that takes several values takes them one after the other.",
    "A mistyped flag, value or name is one line and exit 2, with the closest match.",
    "",
    ...COMMANDS.map((c) => `- [${c.title}](#${anchor(c.title)})`),
  ];
  for (const c of COMMANDS) {
    lines.push("", `## ${c.title}`, "", "```", c.usage, "```", "", ...c.intro);
    if (c.specs) lines.push("", ...flagTable(c.specs));
    if (c.after) lines.push("", ...c.after);
  }
  return `${lines.join("\n")}\n`;
}

/** GitHub's heading anchor: lower case, punctuation but '-' dropped, spaces to '-'. */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(CLI_REFERENCE, renderCliReference());
  console.log(`written: ${path.relative(process.cwd(), CLI_REFERENCE)}`);
}
