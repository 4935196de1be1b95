import assert from "node:assert/strict";
import { test } from "node:test";
import { helpText, parseArgs } from "./options.ts";
import { UserError } from "../errors.ts";

test("the seed runner's flags parse", () => {
  const o = parseArgs(["--model", "bge-small-en", "--frameworks", "pytorch", "onnx-python", "--skip-on-error", "--csv"]);
  assert.equal(o.model, "bge-small-en");
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

test("numbers are coerced and validated", () => {
  const o = parseArgs(["--levels", "1", "4", "--duration-s", "2.5", "--threads", "2"]);
  assert.deepEqual(o.levels, [1, 4]);
  assert.equal(o.duration_s, 2.5);
  assert.equal(o.threads, 2);
  assert.throws(() => parseArgs(["--levels", "0"]), /--levels: .*>0/);
  assert.throws(() => parseArgs(["--duration-s", "abc"]), /--duration-s: .*expected number/);
});

test("the profile is any name; it is checked against config/benchmark.yaml when selected", () => {
  assert.equal(parseArgs(["--profile", "standard"]).profile, "standard");
  assert.equal(parseArgs(["--profile", "soak"]).profile, "soak");
});

test("unknown options and stray arguments are usage errors", () => {
  assert.throws(() => parseArgs(["--frobnicate"]), (e: Error) => e instanceof UserError && /unknown option --frobnicate/.test(e.message));
  assert.throws(() => parseArgs(["pytorch"]), /unexpected argument 'pytorch'/);
  assert.throws(() => parseArgs(["--frameworks"]), /--frameworks needs at least one value/);
  assert.throws(() => parseArgs(["--summary-only=yes"]), /takes no value/);
});

test("help lists every option with its description", () => {
  const help = helpText();
  for (const flag of ["--model", "--frameworks", "--skip-on-error", "--summary-only", "--csv [file]", "--profile", "--help", "--levels"]) {
    assert.ok(help.includes(flag), `help mentions ${flag}`);
  }
  assert.match(help, /quick \| standard \| full/);
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
  assert.throws(() => parseArgs(["--influx-on-error", "ignore"]), /--influx-on-error: Invalid option: expected one of "stop"\|"continue"/);
  assert.throws(() => parseArgs(["--influx"]), /--influx needs exactly one value/);
  assert.match(helpText(), /--influx <v>[\s\S]*EMBEDDING_BENCH_INFLUX/);
});

test("--seq-len is one of the prepared token lengths; --dataset names a file", () => {
  assert.equal(parseArgs(["--seq-len", "128"]).seq_len, 128);
  assert.throws(() => parseArgs(["--seq-len", "64"]), /--seq-len: /);
  assert.equal(parseArgs(["--dataset", "my.json"]).dataset, "my.json");
  assert.match(helpText(), /--seq-len <v>[\s\S]*tokens-<N>\.json/);
});
