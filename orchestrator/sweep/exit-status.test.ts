import assert from "node:assert/strict";
import { test } from "node:test";
import type { FrameworkResult } from "../results/schema.ts";
import { exitCode } from "./exit-status.ts";

const outcome = (framework: string, status: FrameworkResult["status"]) => ({ framework, status }) as FrameworkResult;
const done = outcome("onnx-python", "completed");
const skipped = outcome("tei", "skipped");
const failed = outcome("candle", "failed");

test("the default run (every framework) is not failed by a framework this machine cannot run", () => {
  assert.equal(exitCode({ skip_on_error: false }, [done, skipped]), 0);
  assert.equal(exitCode({ skip_on_error: false }, [done, skipped, failed]), 1, "a failure still fails it");
  assert.equal(exitCode({ skip_on_error: false }, [skipped]), 1, "nothing measured");
});

test("a framework asked for by name and skipped fails the run; --skip-on-error tolerates it if another completed", () => {
  assert.equal(exitCode({ skip_on_error: false, frameworks: ["onnx-python", "tei"] }, [done, skipped]), 1);
  assert.equal(exitCode({ skip_on_error: true, frameworks: ["onnx-python", "tei"] }, [done, skipped]), 0);
  assert.equal(exitCode({ skip_on_error: true, frameworks: ["tei"] }, [skipped]), 1);
  assert.equal(exitCode({ skip_on_error: false, frameworks: ["onnx-python"] }, [done]), 0);
  assert.equal(exitCode({ skip_on_error: true }, [done, failed]), 0);
});
