import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs } from "../plan/bench-options.ts";
import type { SuiteConfig } from "../plan/config.ts";
import type { ModelConfig } from "../plan/config-schema.ts";
import { UserError } from "../platform/errors.ts";
import { externalServer } from "./external.ts";

const config = { servers: [{ manifest: { name: "onnx-python" } }] } as unknown as SuiteConfig;
const spec = { huggingface_id: "sentence-transformers/all-MiniLM-L6-v2" } as ModelConfig;
const ext = (...argv: string[]) => externalServer(parseArgs(argv), config, ["all-MiniLM-L6-v2"], spec);

test("no --url: no external server", () => {
  assert.equal(ext(), null);
});

test("defaults: the embed API, name external, fp32, not measured; the URL without its trailing slash", () => {
  const e = ext("--url", "http://127.0.0.1:8080/")!;
  assert.equal(e.url, "http://127.0.0.1:8080");
  assert.deepEqual([e.name, e.api.adapter.name, e.api.settings.model, e.pid, e.precision], ["external", "embed", "", null, "fp32"]);
});

test("the served model defaults to what each API's servers expect, and --served-model replaces it", () => {
  assert.equal(ext("--url", "http://h:1", "--api", "openai")!.api.settings.model, "sentence-transformers/all-MiniLM-L6-v2");
  assert.equal(ext("--url", "http://h:1", "--api", "kserve")!.api.settings.model, "all-MiniLM-L6-v2", "a Triton model folder cannot hold a '/'");
  assert.equal(ext("--url", "http://h:1", "--api", "tei")!.api.settings.model, "");
  assert.equal(ext("--url", "http://h:1", "--api", "kserve", "--served-model", "minilm")!.api.settings.model, "minilm");
});

test("--server-pid of this process is measured; a framework's name is refused", () => {
  assert.equal(ext("--url", "http://h:1", "--server-pid", String(process.pid))!.pid, process.pid);
  assert.throws(
    () => ext("--url", "http://h:1", "--name", "onnx-python"),
    (e: Error) => e instanceof UserError && /a framework of this suite has that name/.test(e.message),
  );
  // PID_MAX_LIMIT: the kernel never gives a process this id, and no larger one is accepted.
  assert.throws(
    () => ext("--url", "http://h:1", "--server-pid", String(4_194_304)),
    (e: Error) => e instanceof UserError && /no such process on this machine/.test(e.message),
  );
  assert.throws(
    () => ext("--url", "http://h:1", "--server-pid", String(2 ** 30)),
    (e: Error) => e instanceof UserError && e.message === "--server-pid: must be at most 4194304, got 1073741824",
  );
});

test("a server given by --url serves one model: several --model keys are refused", () => {
  assert.throws(
    () => externalServer(parseArgs(["--url", "http://h:1", "--model", "a", "b"]), config, ["a", "b"], spec),
    (e: unknown) => e instanceof UserError && e.message === "--url benchmarks one server, which serves one model: give one --model, not a, b",
  );
});
