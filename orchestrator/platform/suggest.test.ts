import assert from "node:assert/strict";
import { test } from "node:test";
import { closeNames, didYouMean, pickNamed, unknownName } from "./suggest.ts";
import { UserError } from "./errors.ts";

const MODELS = ["all-MiniLM-L6-v2", "all-MiniLM-L12-v2", "all-mpnet-base-v2", "bge-small-en-v1.5", "bge-m3"];

test("typos, case and swapped letters find the intended name", () => {
  assert.deepEqual(closeNames("quik", ["quick", "standard", "full"]), ["quick"]);
  assert.deepEqual(closeNames("stpo", ["stop", "continue"]), ["stop"]);
  assert.deepEqual(closeNames("--prfile", ["--profile", "--model", "--list"]), ["--profile"]);
  assert.deepEqual(closeNames("ALL-MINILM-L6-V2", MODELS), ["all-MiniLM-L6-v2"]);
});

test("a partial name suggests every name that contains it, best first", () => {
  assert.deepEqual(closeNames("minilm", MODELS), ["all-MiniLM-L6-v2", "all-MiniLM-L12-v2"]);
  assert.deepEqual(closeNames("bge", MODELS), ["bge-m3", "bge-small-en-v1.5"]);
});

test("nothing close, nothing suggested", () => {
  assert.deepEqual(closeNames("nope", MODELS), []);
  assert.equal(didYouMean("nope", MODELS), "");
  assert.equal(didYouMean("quik", ["quick"]), "did you mean quick?");
});

test("an unknown name lists what exists and the closest", () => {
  const e = unknownName("profile", "quik", ["quick", "standard", "full"], "config/benchmark.yaml");
  assert.ok(e instanceof UserError);
  assert.equal(e.message, "unknown profile 'quik'; config/benchmark.yaml defines: quick, standard, full (did you mean quick?)");
  assert.equal(unknownName("model", "nope", ["a-model"], "config/models.yaml").message, "unknown model 'nope'; config/models.yaml defines: a-model");
});

test("pickNamed returns the entry, and refuses inherited keys", () => {
  assert.equal(pickNamed("profile", "full", { full: 3 }, "f.yaml"), 3);
  assert.throws(() => pickNamed("profile", "constructor", { full: 3 }, "f.yaml"), /unknown profile 'constructor'; f\.yaml defines: full/);
});
