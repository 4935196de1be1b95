// `npm run bench:overhead -- [--frameworks a b] [--concurrency-levels 1 4] [--duration-s 10] [--threads N]`:
// for every framework present (default: all with a manifest `ceiling`), the normal run lifecycle
// (runFramework: start, verify, warmup, one level at a time) and, in the same run with the
// server stopped, the in-process ceiling of the same runtime at the same concurrency, thread count
// and texts. The table shows how much of the runtime's ceiling survives HTTP and serving. A
// benchmark script, not a test: it asserts nothing about speed.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateTexts } from "../../scenario/texts.ts";
import { getModel, loadSuiteConfig, selectFrameworks, selectProfile, type DiscoveredServer } from "../plan/config.ts";
import { layoutOf, overheadHelpText, parseOverheadArgs, profileOverrides } from "../plan/bench-options.ts";
import { BUILTIN_TEXTS } from "../models/datasets.ts";
import { runMain, type MainContext } from "../platform/errors.ts";
import { cpuSetsFromOption } from "../plan/cpu-sets.ts";
import { allowedCpus } from "../platform/affinity.ts";
import { runCeilingCommand } from "../launch/launcher.ts";
import { log } from "../platform/log.ts";
import { ensureModel, type PreparedModel } from "../models/prepare-model.ts";
import { ROOT } from "../platform/paths.ts";
import { RunFolder, ResultsStore } from "../store/folders.ts";
import { ensureWritableDir } from "../store/writable.ts";
import type { FrameworkResult } from "../results/schema.ts";
import { applyOverrides } from "../plan/profile.ts";
import { newRunContext } from "../sweep/context.ts";
import { newRunId } from "../store/run-id.ts";
import { runFramework } from "../sweep/framework.ts";
import { chooseEngine } from "../level/choose.ts";
import { parseCeilingOutput, renderOverheadTable, type OverheadRow } from "../sweep/ceiling.ts";
import { closedPoint, pointKey } from "../plan/level-key.ts";

/** Same texts as the load engines' built-in pool (scenario/texts.ts: 1000 texts of 24 words, default seed). */
const TEXT_POOL = { count: 1000, words: 24 } as const;

interface CeilingPlan {
  model: PreparedModel;
  textsFile: string;
  durationS: number;
  threads?: number;
  workers?: number;
  /** The server's CPUs: the ceiling runs where the server ran. */
  cpus: number[] | null;
  signal: AbortSignal;
}

async function overheadRow(server: DiscoveredServer, result: FrameworkResult, concurrency: number, plan: CeilingPlan): Promise<OverheadRow> {
  const name = server.manifest.name;
  const scenario = result.scenarios[pointKey(closedPoint(concurrency))];
  const notes: string[] = result.status !== "completed" ? [`server ${result.status}`] : [];
  const row: OverheadRow = {
    framework: name,
    concurrency,
    server_qps: scenario?.throughput_qps ?? null,
    ceiling_eps: null,
    p50_ms: scenario?.latency_ms.median ?? null,
    ceiling_p50_ms: null,
  };
  if (!server.manifest.ceiling) {
    notes.push("no ceiling command in its manifest");
  } else {
    try {
      log.step(`${name}: in-process ceiling, ${concurrency} caller(s) for ${plan.durationS}s`);
      const stdout = await runCeilingCommand({
        server,
        modelDir: plan.model.dir,
        textsFile: plan.textsFile,
        concurrency,
        durationS: plan.durationS,
        signal: plan.signal,
        cpus: plan.cpus,
        ...(plan.threads !== undefined ? { threads: plan.threads } : {}),
        ...(plan.workers !== undefined ? { workers: plan.workers } : {}),
      });
      const ceiling = parseCeilingOutput(stdout, server.manifestPath);
      row.ceiling_eps = ceiling.embeddings_per_sec;
      row.ceiling_p50_ms = ceiling.p50_ms;
    } catch (err) {
      notes.push(`ceiling failed: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return notes.length ? { ...row, note: notes.join("; ") } : row;
}

async function main(argv: string[], { signal }: MainContext): Promise<number> {
  const opts = parseOverheadArgs(argv);
  const config = loadSuiteConfig(ROOT);
  if (opts.help) {
    process.stdout.write(overheadHelpText(config.benchmark));
    return 0;
  }
  const servers = opts.frameworks ? selectFrameworks(config.servers, opts.frameworks) : config.servers.filter((s) => s.manifest.ceiling);
  const modelKey = opts.model?.[0] ?? config.benchmark.default_model;
  const modelSpec = getModel(config, modelKey);
  const { name: profileName, profile: base } = selectProfile(config.benchmark, opts.profile);
  // Batch 1 on both sides: the ceiling measures one text per call.
  const profile = applyOverrides(base, { ...profileOverrides(opts), batch_size: [1] });
  ensureWritableDir(opts.results_dir, "--results-dir");
  const cpuSets = cpuSetsFromOption(opts.cpus, allowedCpus());
  const { engine, why } = chooseEngine(opts.engine);
  log.step(`load engine: ${engine.name} ${engine.version} (${why})`);
  const model = await ensureModel(modelKey, modelSpec);
  // Each overhead run is a results tree of its own, with the texts both sides were given.
  const runId = newRunId("overhead-");
  const folder = new RunFolder(new ResultsStore(opts.results_dir).overheadDir(runId));
  const run = newRunContext({
    runId,
    profileName,
    profile,
    model,
    modelSpec,
    folder,
    texts: [BUILTIN_TEXTS],
    // The in-process ceiling runs on the host, so the server it is compared with does too.
    launcher: { kind: "process" },
    engine,
    benchmark: config.benchmark,
    argv,
    cpuSets,
    k6Report: false,
    signal,
    ...layoutOf(opts),
  });
  const textsFile = path.join(folder.root, "texts.json");
  mkdirSync(folder.root, { recursive: true });
  writeFileSync(textsFile, JSON.stringify({ texts: generateTexts(TEXT_POOL.count, TEXT_POOL.words) }));
  const plan: CeilingPlan = { model, textsFile, durationS: profile.duration_s, signal, cpus: cpuSets.server, ...layoutOf(opts) };
  log.step(
    `overhead run ${runId}: ${servers.map((s) => s.manifest.name).join(", ")}; levels ${profile.concurrency_levels.join(",")}, ${profile.duration_s}s each`,
  );

  const rows: OverheadRow[] = [];
  for (const server of servers) {
    const result = await runFramework(server, run);
    for (const concurrency of profile.concurrency_levels) {
      signal.throwIfAborted();
      rows.push(await overheadRow(server, result, concurrency, plan));
    }
  }
  const file = path.join(folder.root, "overhead.json");
  writeFileSync(
    file,
    `${JSON.stringify({ run_id: runId, model: modelKey, profile, threads: opts.threads ?? null, layout: opts.layout ?? null, rows }, null, 2)}\n`,
  );
  console.log(
    `\nServing overhead - ${modelKey}, batch 1, ${profile.duration_s}s per level (server: ${engine.name} engine over HTTP; ceiling: same runtime in process)\n`,
  );
  console.log(renderOverheadTable(rows));
  log.step(`written: ${file}`);
  return rows.some((r) => r.server_qps === null || r.ceiling_eps === null) ? 1 : 0;
}

runMain(main);
