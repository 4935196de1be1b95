import assert from "node:assert/strict";
import { test } from "node:test";
import { csvTimestamp, resultsToCsv, SEED_CSV_HEADER } from "./csv.ts";
import { sampleResult } from "../../tests/fixtures/results.ts";
import { levelKey, closedLevel, openLevel } from "../plan/level-key.ts";

test("the header starts with the seed's exact columns", () => {
  const csv = resultsToCsv([sampleResult()]);
  const header = csv.split("\n")[0]!;
  assert.ok(
    header.startsWith(
      "timestamp,model,runtime,language,concurrency,qps,p50_latency_ms,p90_latency_ms,p95_latency_ms,p99_latency_ms,server_cpu_percent,server_memory_mb,client_cpu_percent,client_memory_mb",
    ),
    header,
  );
  assert.equal(header.split(",").slice(0, SEED_CSV_HEADER.length).join(","), SEED_CSV_HEADER.join(","));
});

test("one row per level, sorted by concurrency, with the level's figures", () => {
  const lines = resultsToCsv([sampleResult()]).trim().split("\n");
  assert.equal(lines.length, 3);
  const [c1, c4] = [lines[1]!.split(","), lines[2]!.split(",")];
  assert.deepEqual(
    c1.slice(0, 14),
    ["2026-11-23 11:47:07", "all-MiniLM-L6-v2", "ONNX Runtime", "Python", "1", "145", "6.1", "7.8", "8.7", "12.6", "183.2", "205.4", "10", "43.7"].map(String),
  );
  assert.equal(c4[4], "4");
  assert.equal(c4[5], "163.8");
  const header = lines[0]!.split(",");
  const col = (row: string[], name: string) => row[header.indexOf(name)];
  assert.equal(col(c1, "synthetic_weights"), "false", "synthetic_weights is written as true/false");
  assert.equal(col(c1, "dataset"), "builtin");
});

test("the last column is the framework's declared precision, empty where the result predates it", () => {
  const int8 = sampleResult();
  int8.verification = { ...int8.verification!, precision: "int8", min_cosine_required: 0.99 };
  const [head, row] = resultsToCsv([int8]).trim().split("\n");
  assert.equal(head!.split(",").at(-1), "precision");
  assert.equal(row!.split(",").at(-1), "int8");
  assert.equal(resultsToCsv([sampleResult()]).trim().split("\n")[1]!.split(",").at(-1), "");
});

test("the validity flags follow the seed's columns; a level without them (schema 3) leaves them empty", () => {
  const r = sampleResult();
  const [c1, c4] = [r.scenarios[levelKey(closedLevel(1))]!, r.scenarios[levelKey(closedLevel(4))]!];
  c1.validity = {
    p99_enough_samples: true,
    p999_enough_samples: false,
    client_bound: true,
    noisy: false,
    other_cpu_percent: 3.5,
    stalled: false,
    unstable: false,
    saturated: false,
  };
  delete c4.validity;
  const lines = resultsToCsv([r]).trim().split("\n");
  const header = lines[0]!.split(",");
  const flags = ["p99_enough_samples", "p999_enough_samples", "client_bound", "noisy", "other_cpu_percent", "stalled", "unstable"];
  const at = header.indexOf("p99_enough_samples");
  assert.deepEqual(header.slice(at, at + flags.length), flags);
  assert.ok(at > SEED_CSV_HEADER.length);
  assert.deepEqual(lines[1]!.split(",").slice(at, at + flags.length), ["true", "false", "true", "false", "3.5", "false", "false"]);
  assert.deepEqual(lines[2]!.split(",").slice(at, at + flags.length), ["", "", "", "", "", "", ""]);
});

test("values with commas are quoted", () => {
  const r = sampleResult();
  r.runtime = "ONNX Runtime, CPU";
  const row = resultsToCsv([r]).split("\n")[1]!;
  assert.ok(row.includes('"ONNX Runtime, CPU"'), row);
});

test("timestamps use the seed's 'YYYY-MM-DD HH:MM:SS' form", () => {
  assert.equal(csvTimestamp("2024-11-28T15:30:45.123Z"), "2024-11-28 15:30:45");
  assert.equal(csvTimestamp("2024-11-28T15:30:45Z"), "2024-11-28 15:30:45");
});

test("server resources not measured are empty cells, not 0", () => {
  const r = sampleResult();
  Object.assign(r.scenarios[levelKey(closedLevel(1))]!, { server_cpu_percent: null, server_memory_mb: null });
  const [header, row] = resultsToCsv([r])
    .split("\n")
    .map((l) => l.split(","));
  const col = (name: string) => row![header!.indexOf(name)];
  assert.equal(col("server_cpu_percent"), "");
  assert.equal(col("server_memory_mb"), "");
  assert.equal(col("client_cpu_percent"), "10");
});

test("an open-loop level carries its mode, target and achieved rates, drops and the saturated flag", () => {
  const r = sampleResult();
  const c1 = r.scenarios[levelKey(closedLevel(1))]!;
  r.scenarios[levelKey(openLevel(40))] = {
    ...c1,
    scenario_name: levelKey(openLevel(40)),
    mode: "open",
    concurrency: 17,
    target_rps: 40,
    achieved_rps: 31.5,
    dropped_iterations: 85,
    vus_max: 17,
    validity: {
      p99_enough_samples: false,
      p999_enough_samples: false,
      client_bound: false,
      noisy: false,
      other_cpu_percent: 0,
      stalled: false,
      unstable: false,
      saturated: true,
    },
  };
  const lines = resultsToCsv([r]).trim().split("\n");
  const header = lines[0]!.split(",");
  const rows = lines.slice(1).map((l) => l.split(","));
  const col = (row: string[], name: string) => row[header.indexOf(name)];
  assert.deepEqual(
    rows.map((row) => col(row, "mode")),
    ["closed", "closed", "open"],
    "closed levels first, then open ones",
  );
  const open = rows[2]!;
  assert.deepEqual(
    ["target_rps", "achieved_rps", "dropped_iterations", "vus_max", "saturated"].map((c) => col(open, c)),
    ["40", "31.5", "85", "17", "true"],
  );
  assert.equal(col(rows[0]!, "saturated"), "", "no saturated verdict on a closed-loop level");
  assert.deepEqual(
    ["arrivals", "late_starts", "latency_from_intended_p99_ms"].map((c) => col(open, c)),
    ["constant", "", ""],
  );
  assert.equal(col(rows[0]!, "arrivals"), "");
  assert.ok(header.indexOf("mode") >= SEED_CSV_HEADER.length);
});

test("a Poisson level's row carries its arrivals, late starts and p99 from the scheduled start", () => {
  const r = sampleResult();
  const c1 = r.scenarios[levelKey(closedLevel(1))]!;
  r.scenarios = {
    [levelKey(openLevel(40))]: {
      ...c1,
      scenario_name: levelKey(openLevel(40)),
      mode: "open",
      concurrency: 17,
      target_rps: 40,
      achieved_rps: 40.2,
      dropped_iterations: 0,
      vus_max: 17,
      arrivals: "poisson",
      late_starts: 6,
      latency_from_intended_ms: { median: 20, p95: 60, p99: 95.5, max: 130 },
    },
  };
  const [head, row] = resultsToCsv([r])
    .trim()
    .split("\n")
    .map((l) => l.split(","));
  assert.deepEqual(
    ["arrivals", "late_starts", "latency_from_intended_p99_ms"].map((c) => row![head!.indexOf(c)]),
    ["poisson", "6", "95.5"],
  );
});

test("every row has one cell per column, the engine and the thresholds among them", () => {
  const lines = resultsToCsv([sampleResult()]).trim().split("\n");
  const header = lines[0]!.split(",");
  for (const line of lines.slice(1)) assert.equal(line.split(",").length, header.length, line);
  const row = lines[1]!.split(",");
  assert.equal(row[header.indexOf("load_engine")], "k6 v1.8.1", "a schema 3 result: k6 drove it");
  assert.equal(row[header.indexOf("thresholds_ok")], "true");
});
