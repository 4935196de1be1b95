import path from "node:path";
import type { DiscoveredServer } from "../plan/config.ts";
import { manifestApi } from "./api-client.ts";
import { startHealthyServer, type LaunchedServer } from "../launch/launcher.ts";
import { log } from "../platform/log.ts";
import type { FrameworkResult } from "../results/schema.ts";
import type { RunContext } from "./context.ts";
import { filesOf, newResult, runPhases } from "./phases.ts";
import type { FrameworkRun } from "./context.ts";
import { layoutPhase } from "./layout-probe.ts";
import type { Target } from "./target.ts";

async function startPhase(fw: FrameworkRun, server: DiscoveredServer): Promise<LaunchedServer> {
  const { run } = fw;
  const logFile = fw.files.serverLog;
  const launched = await startHealthyServer(
    {
      server,
      modelDir: run.model.dir,
      logFile,
      signal: run.signal,
      cpus: run.cpuSets.server,
      launcher: run.launcher,
      ...(run.threads !== undefined ? { threads: run.threads } : {}),
      ...(run.workers !== undefined ? { workers: run.workers } : {}),
    },
    { timeoutS: run.limits.healthTimeoutS },
    run.limits.stopTimeoutS,
  );
  fw.result.server_url = launched.url;
  fw.result.launch = launched.launch;
  log.step(`${server.manifest.name}: started on ${launched.url} (log: ${path.relative(process.cwd(), logFile)})`);
  return launched;
}

/** A server the suite started, as the phases see it. */
function launchedTarget(s: LaunchedServer, server: DiscoveredServer): Target {
  return {
    url: s.url,
    metricsUrl: s.metricsUrl,
    api: manifestApi(server.manifest.api),
    usage: s.usage,
    startedAt: s.startedAt,
    hasExited: () => s.hasExited(),
    logTail: () => s.logTail(),
  };
}

export async function runFramework(server: DiscoveredServer, run: RunContext): Promise<FrameworkResult> {
  const m = server.manifest;
  const result = newResult({ framework: m.name, runtime: m.display_name, language: m.language, api: m.api.name }, run);
  const files = filesOf(run, m.name);
  const fw: FrameworkRun = { run, name: m.name, precision: m.precision, result, files, idleMemoryMb: null, save: () => files.save(result) };
  let launched: LaunchedServer | undefined;
  return runPhases(
    fw,
    async () => {
      if (run.layoutProbe) await layoutPhase(fw, server, run.layoutProbe, runFramework);
      launched = await startPhase(fw, server);
      return launchedTarget(launched, server);
    },
    async () => launched?.stop(run.limits.stopTimeoutS),
  );
}
