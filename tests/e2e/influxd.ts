// A throwaway InfluxDB 1.x for the end-to-end tests: Debian's `influxd` with its default config
// rewritten to temporary data folders and free loopback ports. Missing binary = failure, not a skip:
// the InfluxDB export is only tested against the real thing.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../orchestrator/platform/http.ts";
import { tempDir } from "./helpers.ts";

export interface Influxd {
  origin: string;
  /** URL of a database for --influx (and k6's --out influxdb when k6 drives the load). */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

function findInfluxd(): string {
  for (const dir of [...(process.env["PATH"] ?? "").split(path.delimiter), "/usr/bin", "/usr/sbin"]) {
    if (dir && existsSync(path.join(dir, "influxd"))) return path.join(dir, "influxd");
  }
  throw new Error(
    "influxd not found: these tests need a real InfluxDB 1.x. Install the Debian package: apt-get install influxdb (it is listed in tests/apt-packages.txt)",
  );
}

/** `influxd config` with every /var/lib/influxdb path moved to `dir` and both listeners on loopback ports. */
export function influxdConfig(defaults: string, dir: string, httpPort: number, rpcPort: number): string {
  const out = defaults
    .replaceAll("/var/lib/influxdb", dir)
    .replace(/^bind-address = .*$/m, `bind-address = "127.0.0.1:${rpcPort}"`)
    .replace(/^(\[http\][^[]*?)\n\s*bind-address = [^\n]*/m, `$1\n  bind-address = "127.0.0.1:${httpPort}"`)
    .replace(/^reporting-(enabled|disabled) = .*$/m, "reporting-disabled = true")
    // The _internal monitor database would add writes nobody reads.
    .replace(/^(\s*)store-enabled = true/m, "$1store-enabled = false")
    .replace(/^(\s*)query-log-enabled = true/m, "$1query-log-enabled = false");
  if (!out.includes(`127.0.0.1:${httpPort}`)) throw new Error("could not set the HTTP bind address in influxd's default config");
  return out;
}

export async function startInfluxd(): Promise<Influxd> {
  const bin = findInfluxd();
  const dir = tempDir("influxd");
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const config = path.join(dir, "influxdb.conf");
  writeFileSync(config, influxdConfig(execFileSync(bin, ["config"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }), dir, httpPort, rpcPort));
  const logFile = path.join(dir, "influxd.log");
  const out = openSync(logFile, "a");
  const child = spawn(bin, ["-config", config], { stdio: ["ignore", out, out] });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const origin = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${origin}/ping`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 204,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`influxd did not answer /ping on ${origin}:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    origin,
    urlFor: (database) => `${origin}/${database}`,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
