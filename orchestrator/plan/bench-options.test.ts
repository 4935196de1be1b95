import assert from "node:assert/strict";
import { test } from "node:test";
import { CliOptions, helpText, launcherOf, layoutOf, overheadHelpText, parseArgs, parseOverheadArgs, profileLines, profileOverrides } from "./bench-options.ts";
import { flagSpecs } from "./flags.ts";
import { UserError } from "../platform/errors.ts";
import type { Profile } from "./config-schema.ts";

/** Asserts argv is refused with exactly `message` (a UserError, exit 2). */
function refused(argv: string[], message: string): void {
  assert.throws(
    () => parseArgs(argv),
    (e: Error) => {
      assert.ok(e instanceof UserError, `${e.name}: ${e.message}`);
      assert.equal(e.message, message);
      return true;
    },
  );
}

const profile = (levels: [number, ...number[]], description?: string): Profile => ({
  concurrency_levels: levels,
  duration_s: 10,
  batch_size: [1],
  max_points: 100,
  warmup_requests: 100,
  trials: 1,
  window_s: 5,
  stable_windows: 3,
  stability_tolerance: 0.1,
  pause_between_levels_s: 1,
  mode: "closed",
  expected_latency_ms: 100,
  vu_headroom: 4,
  max_vus: 200,
  saturation_tolerance: 0.05,
  arrivals: "constant",
  arrival_seed: 1,
  slo_start_rps: 10,
  slo_max_steps: 6,
  scrape_interval_ms: 1000,
  ...(description ? { description } : {}),
});
const BENCHMARK = {
  default_profile: "quick",
  profiles: { quick: profile([1, 4], "smoke run"), standard: profile([1, 4, 8]), full: profile([1, 128]), soak: profile([8], "hours at one level") },
};

test("the seed runner's flags parse", () => {
  const o = parseArgs(["--model", "bge-small-en", "--frameworks", "pytorch", "onnx-python", "--skip-on-error", "--csv"]);
  assert.deepEqual(o.model, ["bge-small-en"]);
  assert.deepEqual(o.frameworks, ["pytorch", "onnx-python"]);
  assert.equal(o.skip_on_error, true);
  assert.equal(o.csv, true);
  assert.equal(o.summary_only, false);
});

test("--csv takes an optional file name", () => {
  assert.equal(parseArgs(["--summary-only", "--csv", "out.csv"]).csv, "out.csv");
  assert.equal(parseArgs(["--csv", "--summary-only"]).csv, true);
  assert.equal(parseArgs(["--csv=x.csv"]).csv, "x.csv");
});

test("numbers are converted and validated", () => {
  const o = parseArgs(["--concurrency-levels", "1", "4", "--duration-s", "2", "--threads", "2", "--warmup-requests=0"]);
  assert.deepEqual(o.concurrency_levels, [1, 4]);
  assert.equal(o.duration_s, 2);
  assert.equal(o.threads, 2);
  assert.equal(o.warmup_requests, 0);
  refused(["--concurrency-levels", "0"], "--concurrency-levels: must be more than 0, got 0");
  refused(["--warmup-requests", "-1"], "--warmup-requests: must be at least 0, got -1");
  assert.equal(parseArgs(["--scrape-interval-ms", "0"]).scrape_interval_ms, 0, "0 turns scraping off");
  refused(["--scrape-interval-ms", "50"], "--scrape-interval-ms: must be 0 (no scraping) or at least 100 ms");
});

test("durations are whole seconds of at least 1 (k6 takes no fractions here)", () => {
  refused(["--duration-s", "abc"], "--duration-s: expected a whole number, got 'abc'");
  refused(["--duration-s", "1e-9"], "--duration-s: expected a whole number, got '1e-9'");
  refused(["--duration-s", "2.5"], "--duration-s: expected a whole number, got '2.5'");
  refused(["--duration-s", "0"], "--duration-s: must be at least 1, got 0");
});

test("a value that is not a whole number is echoed back (not 'expected number, received NaN')", () => {
  refused(["--batch-size=abc"], "--batch-size: expected a whole number, got 'abc'");
  refused(["--batch-size", "1.5"], "--batch-size: expected a whole number, got '1.5'");
  refused(["--concurrency-levels", "1", "4x"], "--concurrency-levels: expected a whole number, got '4x'");
  refused(["--batch-size", "8", "300"], "--batch-size: must be at most 256, got 300");
});

test("a value outside a finite set names the allowed values (not 'Invalid input')", () => {
  refused(["--seq-len", "64"], "--seq-len: expected one of 32, 128, 512, got '64'");
  refused(["--seq-len", "32", "64"], "--seq-len: expected one of 32, 128, 512, got '64'");
  refused(["--influx-on-error", "ignore"], "--influx-on-error: expected one of stop, continue, got 'ignore'");
  refused(["--influx-on-error", "stpo"], "--influx-on-error: expected one of stop, continue, got 'stpo' (did you mean stop?)");
  assert.deepEqual(parseArgs(["--seq-len", "128"]).seq_len, [128]);
});

test("every flag with a finite set of values gets it from the schema", () => {
  const withChoices = Object.fromEntries(flagSpecs(CliOptions).flatMap((s) => (s.choices ? [[s.key, s.choices]] : [])));
  assert.deepEqual(withChoices, {
    mode: ["closed", "open"],
    arrivals: ["constant", "poisson"],
    engine: ["auto", "embedded", "k6"],
    seq_len: [32, 128, 512],
    launcher: ["process", "docker"],
    api: ["embed", "openai", "tei", "kserve"],
    precision: ["fp32", "fp16", "bf16", "int8"],
    influx_on_error: ["stop", "continue"],
  });
});

test("--url and the flags that describe its server", () => {
  const o = parseArgs([
    "--url",
    "http://10.0.0.5:8080/",
    "--api",
    "openai",
    "--name",
    "tei-1.8",
    "--server-pid",
    "4242",
    "--served-model",
    "m",
    "--precision",
    "fp16",
  ]);
  assert.deepEqual([o.url, o.api, o.name, o.server_pid, o.served_model, o.precision], ["http://10.0.0.5:8080/", "openai", "tei-1.8", 4242, "m", "fp16"]);
  refused(["--url", "localhost:8080"], "--url: expected an http:// or https:// URL, e.g. http://127.0.0.1:8080");
  refused(["--url", "ftp://host/x"], "--url: expected an http:// or https:// URL, e.g. http://127.0.0.1:8080");
  refused(
    ["--url", "http://h:1", "--name", "../escape"],
    "--name: expected a file-name-safe name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
  );
  refused(
    ["--url", "http://h:1", "--name", ".hidden"],
    "--name: expected a file-name-safe name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
  );
  refused(["--url", "http://h:1", "--api", "grpc"], "--api: expected one of embed, openai, tei, kserve, got 'grpc'");
  refused(["--api", "openai"], "--api needs --url: it describes the server given by --url");
  refused(["--server-pid", "12"], "--server-pid needs --url: it describes the server given by --url");
  refused(
    ["--url", "http://h:1", "--frameworks", "onnx-python"],
    "--frameworks cannot be used with --url: --url benchmarks a server that is already running: the suite starts no framework and sets nothing of it",
  );
  refused(
    ["--url", "http://h:1", "--layout", "1x2"],
    "--layout cannot be used with --url: --url benchmarks a server that is already running: the suite starts no framework and sets nothing of it",
  );
  refused(
    ["--url", "http://h:1", "--launcher", "docker"],
    "--launcher cannot be used with --url: --url benchmarks a server that is already running: the suite starts no framework and sets nothing of it",
  );
});

test("--launcher picks local processes by default, containers with a memory limit on request", () => {
  assert.deepEqual(launcherOf(parseArgs([])), { kind: "process" });
  assert.deepEqual(launcherOf(parseArgs(["--launcher", "docker"])), { kind: "docker", memoryMb: 8192 });
  assert.deepEqual(launcherOf(parseArgs(["--launcher", "docker", "--container-memory-mb", "1024"])), { kind: "docker", memoryMb: 1024 });
  refused(["--launcher", "podman"], "--launcher: expected one of process, docker, got 'podman'");
  refused(["--container-memory-mb", "1024"], "--container-memory-mb needs --launcher docker: a local process has no memory limit");
  refused(["--launcher", "docker", "--container-memory-mb", "10"], "--container-memory-mb: must be at least 64, got 10");
});

test("the profile is any name; it is checked against config/benchmark.yaml when selected", () => {
  assert.equal(parseArgs(["--profile", "soak"]).profile, "soak");
  assert.equal(parseArgs([]).profile, undefined);
});

test("an earlier version's spelling of a profile override is read as the profile's key", () => {
  assert.deepEqual(parseArgs(["--levels", "1", "4"]).concurrency_levels, [1, 4]);
  assert.deepEqual(parseArgs(["--mode", "open", "--rates=5"]).rates_rps, [5]);
  assert.equal(parseArgs(["--slo", "p99<5ms", "--slo-steps", "2"]).slo_max_steps, 2);
  refused(["--levels", "1025"], "--levels (--concurrency-levels): must be at most 1024, got 1025");
});

test("an unknown option suggests the closest one", () => {
  refused(["--prfile", "quick"], "unknown option --prfile; did you mean --profile?");
  refused(["--concurency-levels=1"], "unknown option --concurency-levels; did you mean --concurrency-levels?");
  refused(["--frobnicate"], "unknown option --frobnicate; see --help");
  refused(["-x"], "unknown option -x; see --help");
});

test("stray arguments and missing values are usage errors", () => {
  refused(["pytorch"], "unexpected argument 'pytorch' (options start with --; see --help)");
  refused(["--frameworks"], "--frameworks needs at least one value");
  refused(["--frameworks", "--csv"], "--frameworks needs at least one value");
  refused(["--summary-only=yes"], "--summary-only takes no value");
  // The next flag is never taken as the value.
  refused(["--model", "--k6-report"], "--model needs at least one value");
  refused(["--profile", "--k6-report"], "--profile needs a value");
  refused(["--influx"], "--influx needs a value");
});

test("flags that would be silently ignored together are refused with the reason", () => {
  refused(["--csv", "--list"], "--csv cannot be used with --list: --list only prints the models, frameworks and profiles, then exits");
  refused(["--list", "--model", "m"], "--model cannot be used with --list: --list only prints the models, frameworks and profiles, then exits");
  refused(
    ["--summary-only", "--concurrency-levels", "1"],
    "--concurrency-levels cannot be used with --summary-only: --summary-only runs nothing, it re-prints the results of a stored run (and --csv exports them)",
  );
  refused(
    ["--summary-only", "--profile", "full"],
    "--profile cannot be used with --summary-only: --summary-only runs nothing, it re-prints the results of a stored run (and --csv exports them)",
  );
  refused(
    ["--seq-len", "32", "--dataset", "my.json"],
    "--seq-len cannot be used with --dataset: a level sends one set of texts: either a prepared token length or your file",
  );
  const ok = parseArgs(["--summary-only", "--model", "m", "--results-dir", "r", "--csv", "x.csv"]);
  assert.deepEqual([ok.summary_only, ok.model, ok.results_dir, ok.csv], [true, ["m"], "r", "x.csv"]);
  refused(["--run", "latest", "--concurrency-levels", "1"], "--concurrency-levels cannot be used with --run: --run reads a stored run, it runs nothing");
  refused(["--runs", "--model", "m"], "--model cannot be used with --runs: --runs only lists the stored runs, then exits");
  const stored = parseArgs(["--run", "20261130-101500-ab12", "--summary-only", "--csv", "--results-dir", "r"]);
  assert.deepEqual([stored.run, stored.summary_only, stored.csv], ["20261130-101500-ab12", true, true]);
  assert.equal(parseArgs(["--runs", "--results-dir", "r"]).runs, true);
  assert.equal(parseArgs(["--list", "--help"]).help, true);
});

test("-h and --help ask for the help", () => {
  assert.equal(parseArgs(["-h"]).help, true);
  assert.equal(parseArgs(["--help"]).help, true);
});

test("help is derived from the schema: every option, its description, allowed values and default", () => {
  const help = helpText(BENCHMARK);
  for (const spec of flagSpecs(CliOptions)) {
    assert.ok(help.includes(`  ${spec.flag}`), `help mentions ${spec.flag}`);
    assert.ok(help.includes(spec.description), `help has the description of ${spec.flag}`);
  }
  assert.match(help, /--csv \[file\]\n/);
  assert.match(help, /--concurrency-levels <vus> \[<vus> …\]\n {6}the profile's concurrency_levels for this run: virtual users/);
  assert.match(help, /--seq-len <tokens> \[<tokens> …\]\n.*tokens-<N>\.json.*\n {6}one of: 32 \| 128 \| 512\n/);
  assert.match(help, /--batch-size <n> \[<n> …\]\n/);
  assert.match(help, /--model <key> \[<key> …\]\n/);
  assert.match(help, /--influx-on-error <v>\n.*\n {6}one of: stop \| continue; default: stop\n/);
  assert.match(help, /--results-dir <dir>\n.*\n {6}default: results\n/);
  assert.match(help, /--influx <url>[\s\S]*EMBEDDING_BENCH_INFLUX/);
});

test("help lists the profiles of the loaded config, open ones included, and the default", () => {
  const help = helpText(BENCHMARK);
  assert.match(help, /--profile <name>\n.*\n {6}one of: quick \| standard \| full \| soak\n/);
  assert.match(help, /Profiles \(config\/benchmark\.yaml; default quick\):/);
  assert.match(help, /\n {2}soak {9}levels 8; 10 s per level; hours at one level\n/);
  assert.match(help, /\n {2}quick {8}levels 1, 4; 10 s per level; smoke run\n/);
  assert.deepEqual(
    profileLines(BENCHMARK).map((l) => l.trim().split(" ")[0]),
    ["quick", "standard", "full", "soak"],
    "--list can print the same lines",
  );
});

test("InfluxDB and report flags: URL, a literal on-error choice, a boolean report switch", () => {
  const o = parseArgs(["--influx", "http://127.0.0.1:8086/eb", "--influx-on-error", "continue", "--k6-report"]);
  assert.equal(o.influx, "http://127.0.0.1:8086/eb");
  assert.equal(o.influx_on_error, "continue");
  assert.equal(o.k6_report, true);
  const d = parseArgs([]);
  assert.equal(d.influx, undefined);
  assert.equal(d.influx_on_error, "stop");
  assert.equal(d.k6_report, false);
});

test("--dataset names a file", () => {
  assert.equal(parseArgs(["--dataset", "my.json"]).dataset, "my.json");
});

test("bench:overhead takes bench:k6's options less those it would ignore, and says so", () => {
  const o = parseOverheadArgs(["--frameworks", "onnx-python", "--concurrency-levels", "1", "4", "--duration-s", "10", "--threads", "2", "--profile", "full"]);
  assert.deepEqual([o.frameworks, o.concurrency_levels, o.duration_s, o.threads, o.profile], [["onnx-python"], [1, 4], 10, 2, "full"]);
  assert.throws(() => parseOverheadArgs(["--model", "a", "b"]), { message: "bench:overhead measures one model: give one --model" });
  assert.throws(() => parseOverheadArgs(["--batch-size", "8"]), {
    message: "--batch-size does not apply to bench:overhead: it measures local processes at batch 1 on its built-in texts and prints its own table",
  });
  assert.throws(() => parseOverheadArgs(["--csv"]), /^UserError: --csv does not apply to bench:overhead/);
  assert.throws(() => parseOverheadArgs(["--prfile", "quick"]), { message: "unknown option --prfile; did you mean --profile?" });
  assert.equal(parseOverheadArgs(["-h"]).help, true);
  const help = overheadHelpText(BENCHMARK);
  assert.match(help, /^Usage: npm run bench:overhead/);
  assert.match(help, /--concurrency-levels <vus> \[<vus> …\]\n/);
  assert.match(help, /one of: quick \| standard \| full \| soak\n/);
  for (const absent of ["--batch-size", "--csv", "--seq-len", "--k6-report", "--list", "--max-points", "--mode"])
    assert.ok(!new RegExp(`\\n  ${absent}[ \\n]`).test(help), `${absent} is not offered`);
});

test("--layout TxW gives every server its threads and workers; --layout auto asks for the probe; it excludes --threads", () => {
  assert.deepEqual(layoutOf(parseArgs(["--layout", "1x2"])), { threads: 1, workers: 2 });
  assert.deepEqual(layoutOf(parseArgs(["--layout", "4×1"])), { threads: 4, workers: 1 });
  assert.deepEqual(layoutOf(parseArgs(["--layout", "auto"])), { autoLayout: true });
  assert.deepEqual(layoutOf(parseArgs(["--threads", "3"])), { threads: 3 });
  assert.deepEqual(layoutOf(parseArgs([])), {});
  const expected = "--layout: expected auto or THREADSxWORKERS, e.g. 1x2 (threads per model call × model calls at once)";
  for (const bad of ["2", "0x1", "Auto", "autox1"]) refused(["--layout", bad], expected);
  refused(
    ["--layout", "1x1", "--threads", "2"],
    "--threads cannot be used with --layout: --layout sets every server's threads already (TxW's first number, or the probe's choice with auto)",
  );
  refused(
    ["--layout", "auto", "--threads", "2"],
    "--threads cannot be used with --layout: --layout sets every server's threads already (TxW's first number, or the probe's choice with auto)",
  );
  assert.match(helpText(BENCHMARK), /--layout <TxW\|auto>\n {6}.*or auto: each framework tries 1xN, Nx1 and one between/);
  assert.throws(() => parseOverheadArgs(["--layout", "auto"]), {
    message: "--layout auto does not apply to bench:overhead: its in-process ceiling needs one known layout; give THREADSxWORKERS",
  });
  assert.equal(parseOverheadArgs(["--layout", "1x2"]).layout, "1x2");
});

test("--mode open --rates-rps sets an open-loop sweep; rates without open mode, or open mode without rates, are refused", async () => {
  const { applyOverrides: apply, levelsOf, windowSOf } = await import("./profile.ts");
  const applyOverrides = (p: Profile, o: Parameters<typeof apply>[1]) =>
    apply(p, profileOverrides(o), "slo" in o && typeof o.slo === "string" ? { slo: o.slo } : {});
  const opts = parseArgs(["--mode", "open", "--rates-rps", "20", "40", "80"]);
  assert.equal(opts.mode, "open");
  assert.deepEqual(opts.rates_rps, [20, 40, 80]);
  const base = profile([1, 4]);
  const open = applyOverrides(base, opts);
  assert.deepEqual(
    levelsOf(open),
    [20, 40, 80].map((value) => ({ mode: "open", value })),
  );
  assert.equal(windowSOf(open), 0, "no stability stop in open loop");
  assert.deepEqual(
    levelsOf(applyOverrides(base, {})),
    [1, 4].map((value) => ({ mode: "closed", value })),
  );
  assert.equal(windowSOf(applyOverrides(base, {})), 5);
  const userError = (f: () => unknown, message: string) => assert.throws(f, (e: Error) => e instanceof UserError && e.message === message);
  userError(() => applyOverrides(base, { mode: "open" }), "--mode open needs --rates-rps (requests per second per level), or a profile with rates_rps");
  userError(
    () => applyOverrides(base, { rates_rps: [5] }),
    "--rates-rps needs --mode open (or a profile with mode: open): closed-loop levels are --concurrency-levels",
  );
  assert.deepEqual(applyOverrides({ ...base, mode: "open", rates_rps: [7] }, {}).rates_rps, [7], "a profile's own rates");
  userError(
    () => applyOverrides({ ...base, mode: "open", rates_rps: [7] }, { concurrency_levels: [4] }),
    "--concurrency-levels sets closed-loop levels; this sweep is open loop (--mode open or the profile's mode): give --rates-rps",
  );
  userError(
    () => applyOverrides(base, { mode: "open", rates_rps: [7], window_s: 2 }),
    "--window-s applies to closed-loop levels; an open-loop level always runs its whole duration",
  );
  userError(
    () => applyOverrides(base, { mode: "open", rates_rps: [7], stability_tolerance: 0.2 }),
    "--stability-tolerance applies to closed-loop levels; an open-loop level always runs its whole duration",
  );
  assert.equal(applyOverrides(base, parseArgs(["--mode", "open", "--rates-rps", "20", "--arrivals", "poisson"])).arrivals, "poisson");
  assert.equal(applyOverrides(base, parseArgs(["--slo", "p99<50ms", "--arrivals", "poisson"])).arrivals, "poisson", "the --slo search's levels are open loop");
  assert.equal(applyOverrides(base, opts).arrivals, "constant", "the profile's default");
  userError(() => applyOverrides(base, { arrivals: "poisson" }), "--arrivals applies to open-loop levels: give --mode open --rates-rps (or --slo)");
  userError(() => applyOverrides(base, { max_vus: 50 }), "--max-vus applies to open-loop levels: give --mode open --rates-rps (or --slo)");
  refused(["--arrivals", "poison"], "--arrivals: expected one of constant, poisson, got 'poison' (did you mean poisson?)");
  refused(["--mode", "opn"], "--mode: expected one of closed, open, got 'opn' (did you mean open?)");
  refused(["--rates-rps", "0"], "--rates-rps: must be more than 0, got 0");
  refused(
    ["--rates-rps", "5", "--concurrency-levels", "1"],
    "--concurrency-levels cannot be used with --rates-rps: an open-loop sweep runs at --rates-rps, a closed-loop one at --concurrency-levels",
  );
});

test("--slo is read at once: a bad objective or --slo-max-steps alone is refused", () => {
  assert.equal(parseArgs(["--slo", "p99<50ms", "--slo-max-steps", "3"]).slo_max_steps, 3);
  refused(
    ["--slo", "p99<50"],
    "--slo: cannot read 'p99<50' in 'p99<50'; expected terms like p99<50ms (p50, p95 or p99, in ms) and optionally errors<1%, joined by commas",
  );
  refused(["--slo-max-steps", "3"], "--slo-max-steps needs --slo: it bounds the capacity search");
  refused(["--slo-start-rps", "3"], "--slo-start-rps needs --slo: it bounds the capacity search");
});

test("the profile overrides are the profile's own keys, one flag each, and nothing else of the profile", async () => {
  const { ProfileFields } = await import("./config-schema.ts");
  const flags = new Set(flagSpecs(CliOptions).map((s) => s.key));
  const keys = Object.keys(ProfileFields.shape).filter((k) => k !== "description");
  for (const k of keys) assert.ok(flags.has(k), `--${k.replace(/_/g, "-")} overrides the profile's ${k}`);
  for (const gone of ["levels", "rates", "slo_steps"]) assert.ok(!flags.has(gone), `no second spelling: ${gone}`);
  const o = parseArgs(["--batch-size", "1", "8", "32", "--seq-len", "32", "128", "--model", "a", "b", "--stable-windows", "4"]);
  assert.deepEqual(profileOverrides(o), { batch_size: [1, 8, 32], seq_len: [32, 128], stable_windows: 4 }, "--model is not a profile key");
  assert.deepEqual(o.model, ["a", "b"]);
  const { applyOverrides } = await import("./profile.ts");
  const merged = applyOverrides(profile([1, 4]), profileOverrides(o));
  assert.deepEqual([merged.batch_size, merged.seq_len, merged.stable_windows, merged.concurrency_levels], [[1, 8, 32], [32, 128], 4, [1, 4]]);
  assert.equal(parseArgs([]).batch_size, undefined, "no override: the profile's value stands");
});

test("every numeric flag has a bound, stated in --help; one over it is one line (exit 2)", () => {
  refused(["--concurrency-levels", "99999999999"], "--concurrency-levels: must be at most 1024, got 99999999999");
  refused(["--concurrency-levels", "1", "1025"], "--concurrency-levels: must be at most 1024, got 1025");
  refused(["--mode", "open", "--rates-rps", "10001"], "--rates-rps: must be at most 10000, got 10001");
  refused(["--duration-s", "3601"], "--duration-s: must be at most 3600, got 3601");
  refused(["--window-s", "3601"], "--window-s: must be at most 3600, got 3601");
  refused(["--batch-size", "257"], "--batch-size: must be at most 256, got 257");
  refused(["--trials", "101"], "--trials: must be at most 100, got 101");
  refused(["--warmup-requests", "100001"], "--warmup-requests: must be at most 100000, got 100001");
  refused(["--slo", "p99<50ms", "--slo-max-steps", "51"], "--slo-max-steps: must be at most 50, got 51");
  refused(["--threads", "1025"], "--threads: must be at most 1024, got 1025");
  refused(["--layout", "2000x1"], "--layout: threads and workers must each be at most 1024");
  assert.deepEqual(parseArgs(["--concurrency-levels", "1024", "--batch-size", "256", "--duration-s", "3600", "--trials", "100"]).concurrency_levels, [1024]);
  // (a flag with a finite set of values, like --seq-len, is bounded by its set)
  const numeric = flagSpecs(CliOptions).filter((s) => s.valueType !== "string" && !s.choices);
  assert.ok(numeric.length >= 10);
  const help = helpText({ profiles: {}, default_profile: "quick" });
  for (const spec of numeric) {
    assert.ok(spec.range?.max !== undefined, `${spec.flag} has a maximum`);
    const block = help.slice(help.indexOf(`  ${spec.flag} `));
    assert.match(block.split("\n  --")[0]!, new RegExp(`range: ${spec.range.min ?? ""}[^\\n]*${spec.range.max}`), `${spec.flag}'s bound is in --help`);
  }
});
