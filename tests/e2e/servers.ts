// Starts a framework server through the orchestrator's own launcher, for tests that talk to one
// server directly.
import assert from "node:assert/strict";
import path from "node:path";
import type { DiscoveredServer, SuiteConfig } from "../../orchestrator/plan/config.ts";
import { startHealthyServer, type LaunchedServer } from "../../orchestrator/launch/launcher.ts";
import type { PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { tempDir } from "./helpers.ts";

/** The framework `name` of the suite's config, found by its manifest; fails the test when there is none. */
export function serverNamed(config: SuiteConfig, name: string): DiscoveredServer {
  const found = config.servers.find((s) => s.manifest.name === name);
  assert.ok(found, `servers/${name}/manifest.yaml`);
  return found;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function call(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: init.method ?? "GET",
    body: init.body,
    headers: init.body === undefined ? init.headers : { "content-type": "application/json", ...init.headers },
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface RunningServer {
  base: string;
  proc: LaunchedServer;
  /** Every /health answer received before the first 200. */
  preHealth: Reply[];
}

/** Prepares and starts `server` through the suite's launcher and waits until /health answers 200. */
export async function startServer(
  server: DiscoveredServer,
  model: PreparedModel,
  healthTimeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<RunningServer> {
  const preHealth: Reply[] = [];
  const proc = await startHealthyServer(
    { server, modelDir: model.dir, logFile: path.join(tempDir(`server-${server.manifest.name}`), "server.log"), env: extraEnv },
    {
      timeoutS: healthTimeoutMs / 1000,
      onAnswer: (r) => preHealth.push({ status: r.status, headers: new Headers(), text: JSON.stringify(r.body), json: r.body }),
    },
  );
  return { base: proc.url, proc, preHealth };
}
