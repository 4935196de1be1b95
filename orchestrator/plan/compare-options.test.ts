import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { compareHelpText, parseCompareArgs } from "./compare-options.ts";

const refused = (argv: string[], message: string) =>
  assert.throws(
    () => parseCompareArgs(argv),
    (err: Error) => err instanceof UserError && err.message === message,
  );

test("compare takes two runs and its options", () => {
  const { options, runs } = parseCompareArgs(["20261130-101500-ab12", "latest", "--fail-on-regression", "5", "--pair", "a=b", "c=d", "--json"]);
  assert.deepEqual(runs, ["20261130-101500-ab12", "latest"]);
  assert.deepEqual([options.fail_on_regression, options.pair, options.json, options.results_dir], [5, ["a=b", "c=d"], true, "results"]);
  assert.equal(parseCompareArgs(["--help"]).runs, null);
  assert.match(compareHelpText(), /--fail-on-regression <pct>\n/);
});

test("bad compare input is one clear message", () => {
  refused(["latest"], "compare needs two runs: npm run compare -- <run A> <run B> [options] (run ids from npm run bench:k6 -- --runs, or latest)");
  refused(["a", "b", "c"], "unexpected argument 'c'");
  refused(["a", "b", "--fail-on-regression", "0"], "--fail-on-regression: must be more than 0, got 0");
  refused(["a", "b", "--fail-on-regresion", "5"], "unknown option --fail-on-regresion; did you mean --fail-on-regression?");
});
