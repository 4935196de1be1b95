// The managed peers in one bench:k6 run with one of our servers, as a user runs them: every peer is
// started from its manifest, verified against the model's reference through its own API's adapter,
// and driven by real k6 through that adapter; the result files name the API. Levels are one VU for
// two seconds: this checks the pipeline, not the figures (README's peers table has those).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadSuiteConfig } from "../../orchestrator/config/load.ts";
import { ROOT } from "../../orchestrator/paths.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { latestRun, runCli, tempDir } from "./helpers.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const PEERS = config.servers.filter((s) => s.manifest.api.name !== "embed" && s.manifest.requires.commands.length === 0).map((s) => s.manifest.name);

test("the peers this machine can run are found by manifest: triton and both infinity engines", () => {
  for (const name of ["triton", "infinity", "infinity-optimum"]) assert.ok(PEERS.includes(name), `${name} among ${PEERS.join(", ")}`);
});

test("bench:k6 --frameworks <every peer> onnx-python: each verified and benchmarked through its own API", { timeout: 1_800_000 }, async () => {
  const dir = tempDir("peers");
  const frameworks = [...PEERS, "onnx-python"];
  const run = await runCli(["--frameworks", ...frameworks, "--levels", "1", "--duration-s", "2", "--warmup-requests", "5", "--window-s", "0", "--results-dir", dir]);
  assert.equal(run.code, 0, run.stderr.slice(-4000));
  for (const name of frameworks) {
    const r = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8")));
    const manifest = config.servers.find((s) => s.manifest.name === name)!.manifest;
    assert.equal(r.status, "completed", `${name}: ${r.failure}`);
    assert.equal(r.api, manifest.api.name, name);
    assert.equal(r.verification?.passed, true, `${name}: ${r.verification?.reason}`);
    assert.ok(r.verification!.min_cosine! >= 0.9999, `${name}: min cosine ${r.verification!.min_cosine}`);
    assert.ok(r.cold_start_ms !== null && r.cold_start_ms > 0, `${name}: the suite started it, so its cold start is known`);
    const level = r.scenarios["concurrency_1"]!;
    assert.ok(level.num_requests > 0 && level.errors === 0, `${name}: ${JSON.stringify(level)}`);
    assert.ok(level.server_memory_mb !== null && level.server_memory_mb > 50, `${name}: server RSS ${level.server_memory_mb}`);
    assert.ok(r.launch?.launcher === "process" && r.server_url.startsWith("http://127.0.0.1:"), name);
  }
  // How each peer ran is recorded from its own API's description of itself.
  const info = (name: string) => FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, `${name}.json`), "utf8"))).server_info;
  const triton = info("triton") as { max_batch_size?: number; dynamic_batching?: { max_queue_delay_microseconds?: number }; instance_group?: { count?: number }[] } | null;
  assert.equal(triton?.max_batch_size, 32, JSON.stringify(triton));
  assert.equal(Number(triton?.dynamic_batching?.max_queue_delay_microseconds), 5000);
  assert.ok((triton?.instance_group?.[0]?.count ?? 0) >= 1);
  for (const name of ["infinity", "infinity-optimum"]) {
    const models = info(name) as { data?: { id?: string }[] } | null;
    assert.equal(models?.data?.length, 1, `${name}: ${JSON.stringify(models)}`);
  }
});
