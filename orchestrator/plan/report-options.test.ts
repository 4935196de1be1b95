import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../platform/errors.ts";
import { parseReportArgs, reportHelpText } from "./report-options.ts";

test("run ids are positional; --results-dir and --out are optional", () => {
  assert.deepEqual(parseReportArgs([]), { runIds: [], options: { results_dir: "results", help: false } });
  assert.deepEqual(parseReportArgs(["a", "b", "--results-dir", "r", "--out", "x.html"]), {
    runIds: ["a", "b"],
    options: { results_dir: "r", out: "x.html", help: false },
  });
});

test("a mistyped option is one clear error with a suggestion", () => {
  assert.throws(
    () => parseReportArgs(["--result-dir", "r"]),
    (e: Error) => e instanceof UserError && /unknown option --result-dir; did you mean --results-dir\?/.test(e.message),
  );
  assert.throws(
    () => parseReportArgs(["--out"]),
    (e: Error) => e instanceof UserError && /--out needs a value/.test(e.message),
  );
});

test("--help lists every option", () => {
  const help = reportHelpText();
  for (const flag of ["--results-dir <dir>", "--out <file>", "--help, -h"]) assert.ok(help.includes(flag), flag);
});
