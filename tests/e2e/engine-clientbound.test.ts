// The client-bound flag with the embedded engine, through the suite's own validity computation (the
// resource monitor's busy share of the client CPU, then scenarioFromLevel → levelValidity), as
// run.ts computes it for every level: nginx (Debian's nginx-light, a fixed batch-1 answer) on one
// CPU, the engine pinned to another. A heavy closed-loop level keeps the engine's core busy: the flag
// is set. A light open-loop level (20 req/s) leaves it idle: the flag is not set. The second level
// needs a machine whose other work leaves the client CPU mostly idle; its message says when not.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startNullServer, type NullServer } from "../../scripts/engine-bench/nullserver.ts";
import { allowedCpus } from "../../orchestrator/platform/affinity.ts";
import type { ResourceSummary } from "../../orchestrator/platform/procfs.ts";
import { driveLevel, type DrivenLevel } from "../../orchestrator/level/drive.ts";
import { EmbeddedEngine } from "../../orchestrator/level/embedded/embedded-engine.ts";
import type { LevelSpec } from "../../orchestrator/plan/level-spec.ts";
import { closedLevel, openLevel } from "../../orchestrator/plan/level-key.ts";
import { scenarioFromLevel } from "../../orchestrator/level/result.ts";
import { ResourceMonitor } from "../../orchestrator/level/monitor.ts";
import type { ScenarioResult } from "../../orchestrator/results/schema.ts";
import { DEFAULT_API_SETTINGS } from "../../scenario/apis/index.ts";
import path from "node:path";
import { tempDir } from "./helpers.ts";

const cpus = allowedCpus();
const SERVER_CPU = cpus[0]!;
const CLIENT_CPU = cpus[cpus.length - 1]!;
const skip = cpus.length < 2 ? `needs 2 CPUs to pin nginx and the engine apart (this process may use ${cpus.join(",")})` : false;

let nginx: NullServer;
before(async () => {
  if (!skip) nginx = await startNullServer([SERVER_CPU]);
});
after(async () => {
  await nginx?.stop();
});

/** One level as run.ts measures it: the engine's pid watched as the client, the client CPU's busy share. */
async function level(name: string, load: LevelSpec["load"]): Promise<{ s: ScenarioResult; busy: number }> {
  const dir = tempDir(`clientbound-${name}`);
  const spec: LevelSpec = {
    url: nginx.url,
    api: "embed",
    apiSettings: DEFAULT_API_SETTINGS,
    batchSize: 1,
    seqLen: null,
    normalize: true,
    expectedDim: 384,
    load,
    durationS: 5,
    windowS: 0,
    requestTimeoutS: 10,
    maxErrorRate: 0.01,
    tags: { framework: "nginx-null", model: "null", run_id: name },
    files: { log: path.join(dir, "engine.log"), summary: path.join(dir, "outcome.json") },
    cpus: [CLIENT_CPU],
  };
  const monitor = new ResourceMonitor(250);
  monitor.watch("server", nginx.proc.usage);
  monitor.start();
  const startedAt = new Date();
  let driven: DrivenLevel;
  let resources: Record<string, ResourceSummary>;
  try {
    driven = await driveLevel(new EmbeddedEngine(), spec, { signal: new AbortController().signal, onStart: (pid) => monitor.watch("client", pid) });
  } finally {
    resources = monitor.stop();
  }
  assert.ok(resources["client"], "the engine's process was measured as the client");
  const busy = monitor.busyPercent([CLIENT_CPU]);
  const s = scenarioFromLevel(driven, {
    point: { level: load.mode === "closed" ? closedLevel(load.vus) : openLevel(load.rateRps), batchSize: 1, seqLen: null },
    concurrency: load.mode === "closed" ? load.vus : load.maxInFlight,
    tokensPerText: null,
    serverIdleMb: null,
    maxErrorRate: spec.maxErrorRate,
    startedAt,
    server: resources["server"] ?? null,
    client: resources["client"],
    clientCpus: 1,
    clientCpusBusyPercent: busy,
    machineCpuPercent: monitor.busyPercent(),
    ...(load.mode === "open" ? { open: { targetRps: load.rateRps, saturationTolerance: 0.05, arrivals: load.arrivals, durationS: spec.durationS } } : {}),
  });
  return { s, busy };
}

const describe = ({ s, busy }: { s: ScenarioResult; busy: number }) =>
  `client CPU ${CLIENT_CPU} ${busy.toFixed(1)} % busy; ${s.num_requests} requests, ${s.throughput_qps.toFixed(0)} req/s, engine CPU ${s.client_cpu_percent} %, ` +
  `nginx CPU ${s.server_cpu_percent} %, other processes ${s.validity?.other_cpu_percent} %, errors ${JSON.stringify(s.errors_by_kind)}`;

// 128 VUs: nginx answers about ten times faster than the engine reads, so a deep backlog of answers
// keeps the engine busy through the moments nginx's own CPU is taken by something else.
test("a heavy level against nginx sets client_bound: the engine fills its core", { skip, timeout: 120_000 }, async () => {
  const m = await level("heavy", { mode: "closed", vus: 128 });
  assert.equal(m.s.errors, 0, `every answer passed the checks: ${describe(m)}`);
  assert.ok(m.s.num_requests > 1000, describe(m));
  assert.equal(m.s.validity?.client_bound, true, `client CPU ${CLIENT_CPU} should be ≥ 90 % busy: ${describe(m)}`);
});

test("a light level (20 req/s) does not set client_bound", { skip, timeout: 120_000 }, async () => {
  const m = await level("light", { mode: "open", rateRps: 20, arrivals: "constant", seed: 1, maxInFlight: 4, preAllocated: 1 });
  assert.equal(m.s.errors, 0, describe(m));
  assert.ok(m.s.num_requests >= 95, describe(m));
  assert.equal(
    m.s.validity?.client_bound,
    false,
    `client CPU ${CLIENT_CPU} was ≥ 90 % busy at 20 req/s: ${describe(m)}; with the engine this light, other processes on the machine must have filled that CPU`,
  );
});
