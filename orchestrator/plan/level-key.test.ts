// The level codec round-trips: keys, file stems, and the variables a level travels to k6 in.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LevelSpec } from "./level-spec.ts";
import {
  closedLevel,
  closedPoint,
  durationSeconds,
  fromVariables,
  levelKey,
  levelOf,
  levelStem,
  openLevel,
  openPoint,
  parseLevelKey,
  parsePointKey,
  parsePointStem,
  pointKey,
  pointOf,
  pointStem,
  toVariables,
} from "./level-key.ts";

test("keys and stems: concurrency_<N> / c<N> closed, rate_<N> / r<N> open, and back", () => {
  assert.equal(levelKey(closedLevel(4)), "concurrency_4");
  assert.equal(levelKey(openLevel(20)), "rate_20");
  assert.equal(levelStem(closedLevel(4)), "c4");
  assert.equal(levelStem(openLevel(20)), "r20");
  for (const l of [closedLevel(1), closedLevel(128), openLevel(5), openLevel(4000)]) assert.deepEqual(parseLevelKey(levelKey(l)), l);
  for (const bad of ["concurrency_0", "rate_", "concurrency_4x", "c4", "rate_-1", "concurrency_04"]) assert.equal(parseLevelKey(bad), null, bad);
});

test("a sweep's point: its key and its file stem name the whole point (level, batch size, text length), and read back", () => {
  assert.equal(pointKey(closedPoint(4, 8, 128)), "concurrency_4_batch_8_seq_128");
  assert.equal(pointKey(closedPoint(4)), "concurrency_4_batch_1", "texts not cut to a token count: no _seq");
  assert.equal(pointKey(openPoint(20, 32, 512)), "rate_20_batch_32_seq_512");
  assert.equal(pointStem(closedPoint(4, 8, 128)), "c4-b8-s128");
  assert.equal(pointStem(openPoint(20)), "r20-b1");
  const points = [closedPoint(1), closedPoint(128, 256, 32), openPoint(5, 8), openPoint(4000, 1, 512), closedPoint(2, 3, 7)];
  for (const p of points) {
    assert.deepEqual(parsePointKey(pointKey(p)), p);
    assert.deepEqual(parsePointStem(pointStem(p)), p);
  }
  assert.equal(new Set(points.map(pointKey)).size, points.length, "distinct points, distinct keys");
  for (const bad of ["concurrency_4", "concurrency_4_batch_0", "concurrency_4_batch_8_seq_", "concurrency_4_seq_128", "rate_20_batch_08", "c4-b8"])
    assert.equal(parsePointKey(bad), null, bad);
  assert.deepEqual(parseLevelKey("concurrency_4"), closedLevel(4), "a schema 9 key is a level key still");
  for (const bad of ["c4", "c4-b0", "c4-b8-s", "r20-s128"]) assert.equal(parsePointStem(bad), null, bad);
});

const base: LevelSpec = {
  url: "http://127.0.0.1:8000",
  api: "kserve",
  apiSettings: { model: "embedding", kserveInput: "TEXT", kserveOutput: "EMBEDDINGS" },
  datasetFile: "/d/tokens-128.json",
  batchSize: 8,
  seqLen: null,
  normalize: false,
  expectedDim: 384,
  load: { mode: "closed", vus: 4 },
  durationS: 30,
  windowS: 5,
  requestTimeoutS: 60,
  maxErrorRate: 0.02,
  tags: { framework: "triton", model: "m", run_id: "r1" },
  files: { log: "/x.log", summary: "/x.summary.json" },
  cpus: [1],
};

test("a level travels to k6 in variables and is read back whole", () => {
  const open: LevelSpec = {
    ...base,
    seqLen: 128,
    load: { mode: "open", rateRps: 20, arrivals: "poisson", seed: 7, maxInFlight: 9, preAllocated: 3 },
    windowS: 0,
  };
  for (const spec of [base, open]) {
    const back = fromVariables(toVariables(spec));
    const { files, cpus, datasetFile, ...rest } = spec;
    assert.deepEqual({ ...back, datasetFile: back.datasetFile ?? undefined }, { ...rest, datasetFile, summaryFile: files.summary, wordsPerText: 24 });
    assert.deepEqual(levelOf(back), levelOf(spec));
    assert.deepEqual(pointOf(back), pointOf(spec));
  }
});

test("an ad hoc k6 run gets the defaults, and a bad variable is one clear error", () => {
  const v = fromVariables({ BASE_URL: "http://h:1/" });
  assert.equal(v.url, "http://h:1", "trailing slashes dropped");
  assert.deepEqual([v.load, v.durationS, v.batchSize, v.maxErrorRate, v.requestTimeoutS, v.api], [{ mode: "closed", vus: 1 }, 10, 1, 0.01, 60, "embed"]);
  const sized = fromVariables({ BASE_URL: "http://h:1", MODE: "open", RATE: "20" });
  assert.deepEqual(
    sized.load,
    { mode: "open", rateRps: 20, arrivals: "constant", seed: 1, maxInFlight: 9, preAllocated: 3 },
    "Little's law with the default 100 ms and 4x headroom",
  );
  assert.throws(() => fromVariables({}), /BASE_URL/);
  assert.throws(() => fromVariables({ BASE_URL: "http://h", MAX_ERROR_RATE: "abc" }), /MAX_ERROR_RATE must be a number from 0 to 1, got 'abc'/);
  assert.throws(() => fromVariables({ BASE_URL: "http://h", WINDOW_S: "2.5" }), /WINDOW_S must be an integer/);
  assert.throws(() => fromVariables({ BASE_URL: "http://h", ARRIVAL_SEED: "NaN" }), /ARRIVAL_SEED/);
  assert.throws(() => fromVariables({ BASE_URL: "http://h", API: "grpc" }), /API must be one of/);
  assert.throws(() => fromVariables({ BASE_URL: "http://h", ARRIVALS: "burst" }), /ARRIVALS must be one of constant, poisson/);
  assert.equal(durationSeconds("2m"), 120);
  assert.throws(() => durationSeconds("1.5s"), /whole duration/);
});
