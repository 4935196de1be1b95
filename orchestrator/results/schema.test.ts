// Results of earlier schema versions still read, as schema 10 sees them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { FrameworkResult, RESULT_SCHEMA_VERSION } from "./schema.ts";

/** A result as an earlier version wrote it: without the sweep's fields, capacity_at_slo a single object. */
function older(version: number, dataset: string, capacity: boolean): unknown {
  const r = structuredClone(sampleResult()) as unknown as Record<string, unknown>;
  const scenarios = r["scenarios"] as Record<string, Record<string, unknown>>;
  for (const s of Object.values(scenarios)) {
    for (const k of ["seq_len", "tokens_per_text", "input_tokens_per_sec", "batching_speedup", "server_idle_memory_mb", "memory_per_1k_embeddings_mb"])
      delete s[k];
    s["batch_size"] = 4;
  }
  return {
    ...r,
    schema_version: version,
    dataset,
    ...(capacity
      ? {
          capacity_at_slo: { slo: "p99<50ms", capacity_rps: 20, lowest_failing_rps: 40, start_rps: 40, start_from: "closed_loop_qps", max_steps: 3, tried: [] },
        }
      : {}),
  };
}

test("schema 10 is written; schema 9 and before read: the sweep's figures not measured, keys as written", () => {
  assert.equal(RESULT_SCHEMA_VERSION, 10);
  const r = FrameworkResult.parse(older(9, "builtin", false));
  assert.equal(r.schema_version, 9);
  assert.deepEqual(Object.keys(r.scenarios), ["concurrency_4", "concurrency_1"], "keys stay as written");
  const s = r.scenarios["concurrency_1"]!;
  assert.deepEqual(
    [s.seq_len, s.tokens_per_text, s.input_tokens_per_sec, s.batching_speedup, s.server_idle_memory_mb, s.memory_per_1k_embeddings_mb],
    [null, null, null, null, null, null],
  );
  assert.equal(r.capacity_at_slo, undefined);
});

test("an older --seq-len run gets its text length from the dataset's name; its single capacity search becomes a list of one", () => {
  const r = FrameworkResult.parse(older(8, "/x/models/all-MiniLM-L6-v2/datasets/tokens-128.json", true));
  assert.ok(Object.values(r.scenarios).every((s) => s.seq_len === 128 && s.tokens_per_text === null));
  assert.deepEqual(
    r.capacity_at_slo?.map((c) => [c.slo, c.batch_size, c.seq_len, c.capacity_rps]),
    [["p99<50ms", 4, 128, 20]],
  );
  const mine = FrameworkResult.parse(older(8, "/home/me/collection-tokens-128.json", false));
  assert.ok(
    Object.values(mine.scenarios).every((s) => s.seq_len === null),
    "a user's own file is not a prepared token set",
  );
});

test("a schema 10 result round-trips unchanged", () => {
  const r = FrameworkResult.parse({ ...sampleResult(), schema_version: 10, capacity_at_slo: [] });
  assert.deepEqual(FrameworkResult.parse(JSON.parse(JSON.stringify(r))), r);
  assert.throws(() => FrameworkResult.parse({ ...sampleResult(), schema_version: 11 }), /schema_version/);
});
