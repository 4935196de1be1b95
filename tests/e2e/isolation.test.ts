// CPU isolation and the validity flags against real load: a CPU burner on the server's CPU during
// a level makes it noisy; a burner on the load engine's CPU leaves it no headroom, which is flagged client-bound.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { allowedCpus } from "../../orchestrator/platform/affinity.ts";
import { FrameworkResult } from "../../orchestrator/results/schema.ts";
import { isAlive, latestRun, runCli, tempDir } from "./helpers.ts";
import { closedPoint, pointKey } from "../../orchestrator/plan/level-key.ts";

const MODEL = "all-MiniLM-L6-v2";

/** A process that spins on one CPU until killed. */
function burner(cpu: number): ChildProcess {
  return spawn("taskset", ["--cpu-list", String(cpu), process.execPath, "-e", "for (;;) {}"], { stdio: "ignore" });
}

test("a burner on the server's CPU makes the level noisy; one on the load engine's CPU makes it client-bound", { timeout: 900_000 }, async () => {
  const cpus = allowedCpus();
  assert.ok(cpus.length >= 2, `needs two CPUs to split, has ${cpus.join(",")}`);
  const [server, client] = [cpus[0]!, cpus.at(-1)!];
  const dir = tempDir("isolation");
  const burners: ChildProcess[] = [];
  const run = await runCli(
    [
      "--frameworks",
      "onnx-python",
      "--concurrency-levels",
      "1",
      "2",
      "--duration-s",
      "8",
      "--warmup-requests",
      "5",
      "--cpus",
      `server=${server}`,
      `client=${client}`,
      "--results-dir",
      dir,
    ],
    {
      onStderr: (text) => {
        if (burners.length === 0 && text.includes("level 1/2")) burners.push(burner(server));
        if (burners.length === 1 && text.includes("level 2/2")) {
          burners[0]!.kill("SIGKILL");
          burners.push(burner(client));
        }
      },
    },
  ).finally(() => burners.forEach((b) => b.kill("SIGKILL")));
  assert.equal(burners.length, 2, "both levels ran with their burner");
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const result = FrameworkResult.parse(JSON.parse(readFileSync(path.join(latestRun(dir), MODEL, "onnx-python.json"), "utf8")));
  assert.deepEqual(result.environment.cpu_sets, { mode: "split", server: String(server), client: String(client) });
  assert.equal(result.server_info?.["cpu_count"], 1, "the server sized itself from its affinity");
  const [burnedServer, burnedClient] = [result.scenarios[pointKey(closedPoint(1))]!.validity!, result.scenarios[pointKey(closedPoint(2))]!.validity!];
  assert.equal(burnedServer.noisy, true, JSON.stringify(burnedServer));
  assert.ok(burnedServer.other_cpu_percent > 50, `other processes' CPU ${burnedServer.other_cpu_percent}`);
  assert.equal(burnedClient.client_bound, true, JSON.stringify(burnedClient));
  assert.match(run.stdout, /onnx-python\s+2\s.*client-bound/);
  assert.equal(isAlive(Number(result.server_info?.["pid"])), false);
});
