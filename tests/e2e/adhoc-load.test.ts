// README's ad hoc use: `npm run load -- --url … --concurrency N --duration 5s` against a running
// server, with the suite's embedded engine (no k6 on this machine). Its request count must be the
// server's own (embed_requests_total); `npm run k6` without a k6 says how to install one; bad flags
// are refused in one line.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { parseExposition, total } from "../../servers/contract/prometheus.ts";
import { startServer } from "./servers.ts";

const run = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run -s <script> -- <args>` from the repository root, as README shows it; never throws on a non-zero exit. */
const npm = (script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> =>
  run("npm", ["run", "-s", script, "--", ...args], { cwd: ROOT, env, maxBuffer: 16 << 20 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

/** The LevelOutcome JSON of `npm run load -- --json`, with the driver's additions. */
interface LoadJson {
  engine: { name: string; version: string };
  requests: number;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  latencyMs: { median: number; p99: number } | null;
  serverInferenceMs: { median: number } | null;
  open: { dropped: number; lateStarts: number; maxInFlight: number } | null;
  bytesSent: number;
  end: { kind: string };
  thresholds_ok: boolean;
}

test("npm run load works ad hoc against a running onnx-python server, and counts what the server counts", { timeout: 1_800_000 }, async () => {
  const config = loadSuiteConfig(ROOT);
  const model = await ensureModel("all-MiniLM-L6-v2", getModel(config, "all-MiniLM-L6-v2"));
  const server = config.servers.find((s) => s.manifest.name === "onnx-python")!;
  const { base: url, proc } = await startServer(server, model, config.benchmark.health_timeout_s * 1000);
  const served = async () => total(parseExposition(await (await fetch(`${url}/metrics`)).text()), "embed_requests_total");
  try {
    // README's line, with --json: the figures of the level, and exactly the requests the server answered.
    const before = await served();
    const closed = await npm("load", ["--url", url, "--concurrency", "2", "--duration", "5s", "--dim", "384", "--json"]);
    assert.equal(closed.code, 0, closed.stderr);
    const after = await served();
    assert.match(closed.stderr, /embedded engine .*: 2 VUs for 5s against http:\/\/127\.0\.0\.1:\d+ \(embed API\), batch 1/);
    const o = JSON.parse(closed.stdout) as LoadJson;
    assert.equal(o.engine.name, "embedded");
    assert.ok(o.requests > 5, `${o.requests} requests in 5 s`);
    assert.equal(o.requests, after - before, "the engine's request count is the server's embed_requests_total delta");
    assert.equal(o.ok, o.requests);
    assert.equal(o.errors, 0);
    assert.deepEqual(o.errorsByKind, {});
    assert.ok(o.latencyMs && o.latencyMs.median > 0 && o.latencyMs.p99 >= o.latencyMs.median);
    assert.ok(o.serverInferenceMs && o.serverInferenceMs.median > 0, "onnx-python sends x-inference-time");
    assert.equal(o.open, null, "closed loop");
    assert.equal(o.end.kind, "full");
    assert.equal(o.thresholds_ok, true);
    const dir = /engine log and figures: (\S+)/.exec(closed.stderr)?.[1];
    assert.ok(dir && existsSync(path.join(dir, "engine.log")) && existsSync(path.join(dir, "outcome.json")), closed.stderr);

    // Without --json: the k6-like summary.
    const summary = await npm("load", ["--url", url, "--concurrency", "2", "--duration", "2s", "--dim", "384"]);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /embedded engine /);
    assert.match(summary.stdout, /\(embed API\): 2 VUs, closed loop, 2s, batch 1/);
    assert.match(summary.stdout, /checks \.+: 100\.00% ✓ [1-9]\d* ✗ 0/);
    assert.match(summary.stdout, /http_req_duration \.+: avg=[\d.]+ms/);
    assert.match(summary.stdout, /http_reqs \.+: [1-9]\d* /);

    // README's open-loop line: --rate 10 for 3 s schedules 30 starts; a fast server keeps up.
    const beforeOpen = await served();
    const open = await npm("load", ["--url", url, "--rate", "10", "--duration", "3s", "--dim", "384", "--json"]);
    assert.equal(open.code, 0, open.stderr);
    const oo = JSON.parse(open.stdout) as LoadJson;
    assert.ok(oo.requests > 15 && oo.requests <= 30, `10 req/s for 3 s: ${oo.requests} requests`);
    assert.equal(oo.requests + oo.open!.dropped, 30, "every scheduled start is sent or dropped");
    assert.equal(oo.requests, (await served()) - beforeOpen);
    assert.equal(oo.errors, 0);

    // A wrong expected dimension fails the checks: every request counted as such, and exit 1.
    const wrong = await npm("load", ["--url", url, "--duration", "2s", "--dim", "999", "--json"]);
    assert.equal(wrong.code, 1, wrong.stderr);
    const w = JSON.parse(wrong.stdout) as LoadJson;
    assert.ok(w.errors > 0 && w.errors === w.requests, wrong.stdout);
    assert.deepEqual(w.errorsByKind, { "wrong dimension": w.errors });
    assert.equal(w.thresholds_ok, false);
    assert.equal(wrong.stderr.split("\n").filter((l) => l.includes('[engine] first "wrong dimension"')).length, 1, wrong.stderr);
  } finally {
    await proc.stop(config.benchmark.stop_timeout_s);
  }
});

test("npm run k6 without a k6 installed exits 2 and says how to install k6", { timeout: 120_000 }, async () => {
  // PATH without any directory holding a k6, and no K6_BIN.
  const PATH = (process.env["PATH"] ?? "")
    .split(path.delimiter)
    .filter((d) => d && !existsSync(path.join(d, "k6")))
    .join(path.delimiter);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH };
  delete env["K6_BIN"];
  const r = await npm("k6", ["version"], env);
  assert.equal(r.code, 2, r.stderr);
  const errors = r.stderr.split("\n").filter((l) => l.includes("ERROR"));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, /needs k6, and none was found/);
  assert.match(errors[0]!, /Install k6 from Grafana \(https:\/\/grafana\.com\/docs\/k6\/latest\/set-up\/install-k6\/\)/);
  assert.doesNotMatch(r.stdout + r.stderr, /k6 v\d/, "no k6 ran");
});

test("npm run load refuses bad flags with one line and exit 2, before any load", { timeout: 120_000 }, async () => {
  for (const [args, reason] of [
    [["--url", "http://127.0.0.1:9", "--concurrency", "0"], /--concurrency: must be more than 0/],
    [["--url", "http://127.0.0.1:9", "--rate", "5", "--concurrency", "2"], /--concurrency \(closed loop\) and --rate \(open loop\) exclude each other/],
    [["--concurrency", "2", "--duration", "1s"], /--url is required/],
    [["--url", "http://127.0.0.1:9", "--duration", "ten"], /--duration: expected whole seconds/],
    [["--url", "http://127.0.0.1:9", "--arrivals", "poisson"], /--max-in-flight and --arrivals need --rate/],
    [["--url", "http://127.0.0.1:9", "--api", "kserve"], /--api kserve needs --served-model/],
  ] as const) {
    const r = await npm("load", [...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: one line, got:\n${r.stderr}`);
    assert.match(lines[0]!, reason);
    assert.doesNotMatch(r.stderr, /embedded engine/, "no load started");
    assert.equal(r.stdout, "");
  }
});
