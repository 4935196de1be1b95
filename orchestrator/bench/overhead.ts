// `npm run bench:overhead -- [--frameworks a b] [--levels 1 4] [--duration-s 10] [--threads N]`:
// for every framework present (default: all with a manifest `ceiling`), the normal run lifecycle
// (runFramework: prepare, start, verify shape, warmup, one k6 level at a time) and, in the same run
// with the server stopped, the in-process ceiling of the same runtime at the same concurrency,
// thread count and texts. The table shows how much of the runtime's ceiling survives HTTP and
// serving. A benchmark script, not a test: it asserts nothing about speed.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateTexts } from "../../k6/lib/texts.ts";
import { getModel, loadSuiteConfig, selectFrameworks, selectProfile, type DiscoveredServer } from "../config/load.ts";
import { overheadHelpText, parseOverheadArgs } from "../cli/options.ts";
import { prepareServer, substitute } from "../launch/prepare.ts";
import { stopAllServers } from "../launch/process.ts";
import { log } from "../log.ts";
import { ensureModel, type PreparedModel } from "../models/prepare.ts";
import { cacheDir, ROOT } from "../paths.ts";
import { runCommand } from "../proc.ts";
import { describeEnvironment } from "../results/environment.ts";
import { applyOverrides, runFramework, settingsFromBenchmark, type RunSettings } from "../run.ts";
import { ensureK6 } from "../toolchain/k6.ts";
import { parseCeilingOutput, renderOverheadTable, type CeilingReport, type OverheadRow } from "./ceiling.ts";
import { UserError } from "../errors.ts";

/** Same texts as k6/embed.ts's built-in pool (1000 texts of 24 words, default seed). */
const TEXT_POOL = { count: 1000, words: 24 } as const;

async function measureCeiling(
  server: DiscoveredServer,
  model: PreparedModel,
  textsFile: string,
  concurrency: number,
  durationS: number,
  threads: number | undefined,
): Promise<CeilingReport> {
  const m = server.manifest;
  if (!m.ceiling) throw new Error(`${server.manifestPath}: no ceiling command`);
  const vars = await prepareServer(server, { server_dir: server.dir, model_dir: model.dir, cache_dir: cacheDir(), root: ROOT });
  const allVars = { ...vars, texts_file: textsFile, concurrency: String(concurrency), duration_s: String(durationS) };
  // The server's own environment, so the runtime is configured exactly as when it serves.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MODEL_DIR: model.dir,
    PYTHONUNBUFFERED: "1",
    ...Object.fromEntries(Object.entries(m.start.env).map(([k, v]) => [k, substitute(v, allVars)])),
  };
  if (threads !== undefined) env[m.threads_env] = String(threads);
  const [cmd, ...args] = m.ceiling.command.map((c) => substitute(c, allVars));
  const stdout = await runCommand(cmd!, args, { cwd: server.dir, env });
  return parseCeilingOutput(stdout, server.manifestPath);
}

async function main(argv: string[]): Promise<number> {
  const opts = parseOverheadArgs(argv);
  const config = loadSuiteConfig(ROOT);
  if (opts.help) {
    process.stdout.write(overheadHelpText(config.benchmark));
    return 0;
  }
  const withCeiling = config.servers.filter((s) => s.manifest.ceiling);
  const servers = opts.frameworks ? selectFrameworks(config.servers, opts.frameworks) : withCeiling;
  const modelKey = opts.model ?? config.benchmark.default_model;
  const modelSpec = getModel(config, modelKey);
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  // Batch 1 on both sides: the ceiling measures one text per call.
  const profile = applyOverrides(base, { ...opts, batch_size: 1 });
  const k6 = await ensureK6();
  const model = await ensureModel(modelKey, modelSpec);
  const runId = `overhead-${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${randomBytes(2).toString("hex")}`;
  const resultsDir = path.resolve(opts.results_dir, "overhead", runId);
  const textsFile = path.join(resultsDir, "texts.json");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(textsFile, JSON.stringify({ texts: generateTexts(TEXT_POOL.count, TEXT_POOL.words) }));
  const settings: RunSettings = {
    runId,
    model,
    modelSpec,
    profileName,
    profile,
    resultsDir,
    k6: k6.path,
    environment: describeEnvironment(k6.version),
    ...settingsFromBenchmark(config.benchmark),
    threads: opts.threads,
  };
  log.step(`overhead run ${runId}: ${servers.map((s) => s.manifest.name).join(", ")}; levels ${profile.concurrency_levels.join(",")}, ${profile.duration_s}s each`);

  const rows: OverheadRow[] = [];
  for (const server of servers) {
    const name = server.manifest.name;
    const result = await runFramework(server, settings);
    for (const concurrency of profile.concurrency_levels) {
      const scenario = result.scenarios[`concurrency_${concurrency}`];
      const row: OverheadRow = {
        framework: name,
        concurrency,
        server_qps: scenario?.throughput_qps ?? null,
        ceiling_eps: null,
        p50_ms: scenario?.latency_ms.median ?? null,
        ceiling_p50_ms: null,
      };
      if (result.status !== "completed") row.note = `server ${result.status}`;
      if (!server.manifest.ceiling) {
        row.note = [row.note, "no ceiling command in its manifest"].filter(Boolean).join("; ");
      } else {
        try {
          log.step(`${name}: in-process ceiling, ${concurrency} caller(s) for ${profile.duration_s}s`);
          const ceiling = await measureCeiling(server, model, textsFile, concurrency, profile.duration_s, opts.threads);
          row.ceiling_eps = ceiling.embeddings_per_sec;
          row.ceiling_p50_ms = ceiling.p50_ms;
        } catch (err) {
          row.note = [row.note, `ceiling failed: ${(err as Error).message.split("\n")[0]}`].filter(Boolean).join("; ");
        }
      }
      rows.push(row);
    }
  }
  const table = renderOverheadTable(rows);
  writeFileSync(path.join(resultsDir, "overhead.json"), JSON.stringify({ run_id: runId, model: modelKey, profile, threads: opts.threads ?? null, rows }, null, 2) + "\n");
  console.log(`\nServing overhead - ${modelKey}, batch 1, ${profile.duration_s}s per level (server: k6 over HTTP; ceiling: same runtime in process)\n`);
  console.log(table);
  log.step(`written: ${path.join(resultsDir, "overhead.json")}`);
  return rows.some((r) => r.server_qps === null || r.ceiling_eps === null) ? 1 : 0;
}

main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (err: unknown) => {
    await stopAllServers();
    const known = err instanceof UserError || err instanceof UserError || err instanceof UserError || err instanceof UserError;
    log.error(known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = known ? 2 : 1;
  });
