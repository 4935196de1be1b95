import assert from "node:assert/strict";
import { test } from "node:test";
import { modelsHelpText, parseModelsArgs } from "./models-options.ts";
import { UserError } from "../platform/errors.ts";

test("commands and model keys are positional, options are flags", () => {
  assert.deepEqual(parseModelsArgs(["list"]).command, "list");
  const p = parseModelsArgs(["prepare", "all-MiniLM-L6-v2", "--from", "/tmp/m", "--force"]);
  assert.equal(p.command, "prepare");
  assert.equal(p.model, "all-MiniLM-L6-v2");
  assert.equal(p.options.from, "/tmp/m");
  assert.equal(p.options.force, true);
  assert.equal(p.options.synthetic, false);
  const s = parseModelsArgs(["prepare", "qwen3-embedding-0.6b", "--synthetic", "--layers=2", "--seed", "7"]);
  assert.equal(s.options.synthetic, true);
  assert.equal(s.options.layers, 2);
  assert.equal(s.options.seed, 7);
});

test("bad input is a usage error that says what to do", () => {
  const usage = (argv: string[], re: RegExp) =>
    assert.throws(
      () => parseModelsArgs(argv),
      (e: Error) => e instanceof UserError && re.test(e.message),
    );
  usage([], /command must be one of list \| prepare \| verify \| dataset/);
  usage(["frobnicate"], /command must be one of/);
  usage(["prepare"], /prepare needs a model key/);
  usage(["list", "x"], /list takes no model/);
  usage(["prepare", "m", "--layers", "2"], /--layers only applies with --synthetic/);
  usage(["prepare", "m", "--synthetic", "--from", "/x"], /exclude each other/);
  usage(["prepare", "m", "--synthetic", "--layers", "0"], /--layers: /);
  usage(["prepare", "m", "--bogus"], /unknown option --bogus/);
  usage(["prepare", "m", "--from"], /--from needs a value/);
  usage(["dataset", "m"], /dataset needs --corpus/);
  usage(["verify", "m", "x"], /unexpected argument 'x'/);
});

test("--help lists every option of the schema with its description", () => {
  const help = modelsHelpText();
  for (const flag of [
    "--from <v>",
    "--synthetic",
    "--layers <v>",
    "--seed <v>",
    "--force",
    "--no-torch",
    "--corpus <v>",
    "--tokens <v>",
    "--out <v>",
    "--json",
  ]) {
    assert.ok(help.includes(flag), flag);
  }
  assert.match(help, /seeded random weights/);
  assert.equal(parseModelsArgs(["--help"]).options.help, true);
});

test("an unknown command suggests the closest one", () => {
  assert.throws(() => parseModelsArgs(["prepar", "m"]), {
    message: "command must be one of list | prepare | verify | dataset, got 'prepar' (did you mean prepare?)",
  });
  assert.throws(() => parseModelsArgs(["frobnicate"]), {
    message: "command must be one of list | prepare | verify | dataset, got 'frobnicate' (see npm run models -- --help)",
  });
});

test("unknown options and values get the same messages as bench:k6", () => {
  assert.throws(() => parseModelsArgs(["prepare", "m", "--synthtic"]), { message: "unknown option --synthtic; did you mean --synthetic?" });
  assert.throws(() => parseModelsArgs(["dataset", "m", "--corpus", "c.tsv", "--count=many"]), { message: "--count: expected a whole number, got 'many'" });
  assert.throws(() => parseModelsArgs(["verify", "m", "--no-torch=yes"]), { message: "--no-torch takes no value" });
  assert.equal(parseModelsArgs(["verify", "m", "--no-torch"]).options.no_torch, true);
});

test("an option given to a command that ignores it is refused", () => {
  assert.throws(() => parseModelsArgs(["list", "--force"]), { message: "--force applies to prepare, not list" });
  assert.throws(() => parseModelsArgs(["verify", "m", "--corpus", "c.tsv"]), { message: "--corpus applies to dataset, not verify" });
  assert.throws(() => parseModelsArgs(["prepare", "m", "--json"]), { message: "--json applies to list and verify, not prepare" });
  assert.equal(parseModelsArgs(["verify", "m", "--json"]).options.json, true);
});

test("--help says which commands each option applies to and shows schema defaults", () => {
  const help = modelsHelpText();
  assert.match(help, /--force\n {6}prepare: prepare again/);
  assert.match(help, /--json\n {6}list\/verify: print JSON/);
  assert.match(help, /--count <v>\n {6}dataset: number of texts\n {6}range: 1 to 1000000; default: 256\n/);
  assert.match(help, /--help, -h\n {6}show this help\n/);
});
