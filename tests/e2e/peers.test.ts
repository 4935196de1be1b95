// The managed peers in one bench:k6 run with one of our servers, as a user runs them: every peer is
// started from its manifest, verified against the model's reference through its own API's adapter,
// and driven by the embedded load engine through that adapter; the result files name the API, and
// each level what the peer's own metrics said (scraped at its own endpoint, read through its API's
// names). Levels are one VU for two seconds: this checks the pipeline, not the figures (README's peers
// table has those).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { prepareServer } from "../../orchestrator/launch/build-server.ts";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const PEERS = config.servers.filter((s) => s.manifest.api.name !== "embed" && s.manifest.requires.commands.length === 0).map((s) => s.manifest.name);

test("the peers this machine can run are found by manifest: triton and both infinity engines", () => {
  for (const name of ["triton", "infinity", "infinity-optimum"]) assert.ok(PEERS.includes(name), `${name} among ${PEERS.join(", ")}`);
});

test("bench:k6 --frameworks <every peer> onnx-python: each verified and benchmarked through its own API", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("peers");
  const frameworks = [...PEERS, "onnx-python"];
  const run = await runCli([
    "--frameworks",
    ...frameworks,
    "--concurrency-levels",
    "1",
    "--duration-s",
    "2",
    "--warmup-requests",
    "5",
    "--window-s",
    "0",
    "--results-dir",
    dir,
  ]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  for (const name of frameworks) {
    const r = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8")));
    const manifest = config.servers.find((s) => s.manifest.name === name)!.manifest;
    assert.equal(r.status, "completed", `${name}: ${r.failure}`);
    assert.equal(r.api, manifest.api.name, name);
    assert.equal(r.verification?.passed, true, `${name}: ${r.verification?.reason}`);
    assert.ok(r.verification!.min_cosine! >= 0.9999, `${name}: min cosine ${r.verification!.min_cosine}`);
    assert.ok(r.cold_start_ms !== null && r.cold_start_ms > 0, `${name}: the suite started it, so its cold start is known`);
    const level = r.scenarios[pointKey(closedPoint(1))]!;
    assert.ok(level.num_requests > 0 && level.errors === 0, `${name}: ${JSON.stringify(level)}`);
    assert.ok(level.server_memory_mb !== null && level.server_memory_mb > 50, `${name}: server RSS ${level.server_memory_mb}`);
    assert.ok(r.launch?.launcher === "process" && r.server_url.startsWith("http://127.0.0.1:"), name);
    // Where the time goes: every level has the server's own metrics, scraped while it ran.
    for (const s of Object.values(r.scenarios)) {
      const m = s.server_metrics;
      assert.ok(m && m.scrapes >= 2 && m.failed_scrapes === 0, `${name} c=${s.concurrency}: server_metrics ${JSON.stringify(m)}`);
      assert.equal(m.totals["requests"], s.num_requests, `${name}: the server counted the engine's requests`);
      assert.equal(m.totals["errors"], 0, name);
    }
  }
  const metricsOf = (name: string) =>
    FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8"))).scenarios[pointKey(closedPoint(1))]!
      .server_metrics!;
  // Triton (its metrics port): rows, executions, per-request model and queue time; one request in flight, one per execution.
  const tm = metricsOf("triton");
  assert.deepEqual(tm.missing, [], JSON.stringify(tm));
  assert.equal(tm.totals["embeddings"], tm.totals["requests"], "batch 1: a row per request");
  assert.equal(tm.mean_batch_size, 1, "one VU: nothing to merge");
  assert.ok(tm.mean_model_ms! > 0 && tm.mean_queue_ms! >= 0, JSON.stringify(tm));
  assert.equal(tm.model_time_fraction, null, "Triton sums model time per request");
  assert.ok("queue_depth" in tm.gauges);
  // infinity's metrics are HTTP only: requests and errors, the rest named missing.
  for (const name of ["infinity", "infinity-optimum"]) {
    assert.deepEqual(metricsOf(name).missing, ["embeddings", "model_calls", "model_ms", "queue_calls", "queue_ms", "batch_calls", "batch_texts"], name);
  }
  // How each peer ran is recorded from its own API's description of itself.
  const info = (name: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8"))).server_info;
  const triton = info("triton") as {
    max_batch_size?: number;
    dynamic_batching?: { max_queue_delay_microseconds?: number };
    instance_group?: { count?: number }[];
  } | null;
  assert.equal(triton?.max_batch_size, 32, JSON.stringify(triton));
  assert.equal(Number(triton?.dynamic_batching?.max_queue_delay_microseconds), 5000);
  assert.ok((triton?.instance_group?.[0]?.count ?? 0) >= 1);
  for (const name of ["infinity", "infinity-optimum"]) {
    const models = info(name) as { data?: { id?: string }[] } | null;
    assert.equal(models?.data?.length, 1, `${name}: ${JSON.stringify(models)}`);
  }
});

test("tei runs the text-embeddings-router that TEI_BIN names, with TEI's arguments, through the tei API", { timeout: 600_000 }, async () => {
  // No TEI builds here: onnx-python, which answers TEI's /embed body in TEI's shape, stands in for the
  // router. The script records the arguments the manifest's launcher gave it.
  const model = await ensureModel(MODEL, getModel(config, MODEL));
  const onnx = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  const { python } = await prepareServer(onnx, model.dir);
  const dir = tempDir("tei");
  const argsFile = path.join(dir, "args.txt");
  const router = path.join(dir, "text-embeddings-router");
  writeFileSync(router, `#!/bin/sh\necho "$@" > ${argsFile}\nexec ${python} ${path.join(onnx.dir, "server.py")}\n`, { mode: 0o755 });
  const run = await runCli(
    ["--frameworks", "tei", "--concurrency-levels", "1", "--duration-s", "2", "--warmup-requests", "5", "--window-s", "0", "--results-dir", dir],
    {
      env: { TEI_BIN: router },
    },
  );
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  const r = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "tei.json"), "utf8")));
  assert.equal(r.status, "completed", r.failure ?? "");
  assert.equal(r.api, "tei");
  assert.equal(r.verification?.passed, true, r.verification?.reason ?? "");
  assert.ok(r.scenarios[pointKey(closedPoint(1))]!.num_requests > 0 && r.scenarios[pointKey(closedPoint(1))]!.errors === 0);
  const port = new URL(r.server_url).port;
  assert.equal(readFileSync(argsFile, "utf8").trim(), `--model-id ${model.dir}/sentence-transformers --hostname 127.0.0.1 --port ${port}`);

  const missing = await runCli(["--frameworks", "tei", "--concurrency-levels", "1", "--results-dir", dir], {
    env: { TEI_BIN: path.join(dir, "nothing-here") },
  });
  assert.equal(missing.code, 1, "asked for by name and skipped");
  assert.match(missing.stderr, /tei needs 'text-embeddings-router' at TEI_BIN=.*nothing-here, which is not an executable file/);
});
