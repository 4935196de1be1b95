// Run history: every bench:k6 run writes into a folder of its own, `<results-dir>/runs/<run_id>/`,
// and `<results-dir>/latest` points at the newest. A run's folder holds the layout the suite wrote
// at the top of the results folder before (`<model>/<framework>.json`, trials/, logs/, k6/ (now levels/), CSV),
// so the files of an older version move into a run folder as they are. Every path comes from
// ResultsStore and RunFolder (layout.ts).
import { engineOf } from "../results/environment.ts";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { didYouMean } from "../platform/suggest.ts";
import { UserError } from "../platform/errors.ts";
import { RunFolder, ResultsStore } from "./folders.ts";
import type { FrameworkResult } from "../results/schema.ts";

/** What `--runs` lists of a run, read from its results' environment stamps. */
export interface RunInfo {
  id: string;
  layout: RunFolder;
  /** The earliest started_at of its results (ISO-8601); null when it holds none. */
  started_at: string | null;
  models: string[];
  frameworks: string[];
  profiles: string[];
  /** Commit(s) of the suite, abbreviated, with " (dirty)" when tracked files differed. */
  commits: string[];
  /** Machine(s): hostname, CPU model and count. */
  machines: string[];
  /** Load engine(s) that drove the levels. */
  engines: string[];
  /** Where the server and the load engine ran. */
  cpuSets: string[];
  /** Files that did not match the result schema (reported, never skipped silently). */
  problems: string[];
  /** The frameworks' statuses: completed, failed, skipped, interrupted, or running (a run in progress). */
  statuses: string[];
  /** Levels finished, over every result of the run. */
  levels: number;
}

const unique = (xs: readonly string[]) => [...new Set(xs)];
const commitOf = (r: FrameworkResult) =>
  r.environment.git_commit ? `${r.environment.git_commit.slice(0, 10)}${r.environment.git_dirty ? " (dirty)" : ""}` : "unknown";
const cpuSetsOf = (r: FrameworkResult) => {
  const c = r.environment.cpu_sets;
  return c ? (c.mode === "shared" ? "shared" : `server ${c.server}, client ${c.client}`) : "not recorded";
};
const machineOf = (r: FrameworkResult) => `${r.environment.hostname} (${r.environment.cpu_model}, ${r.environment.cpu_count} CPUs)`;

/** Every result of a run, of every model in it. */
export function loadRun(layout: RunFolder): { results: FrameworkResult[]; problems: string[] } {
  const loaded = layout.models().map((m) => layout.loadResults(m));
  return { results: loaded.flatMap((l) => l.results), problems: loaded.flatMap((l) => l.problems) };
}

export function describeRun(layout: RunFolder): RunInfo {
  const { results, problems } = loadRun(layout);
  const starts = results.map((r) => r.started_at).sort();
  return {
    id: layout.runId,
    layout,
    started_at: starts[0] ?? null,
    models: unique(results.map((r) => r.model_name)),
    frameworks: unique(results.map((r) => r.framework)),
    profiles: unique(results.map((r) => r.profile)),
    commits: unique(results.map(commitOf)),
    machines: unique(results.map(machineOf)),
    engines: unique(results.map(engineOf)),
    cpuSets: unique(results.map(cpuSetsOf)),
    problems,
    statuses: unique(results.map((r) => r.status)),
    levels: results.reduce((n, r) => n + Object.keys(r.scenarios).length, 0),
  };
}

/** Every run, oldest first (by the start of its results; runs without results first, by id). */
export function listRuns(store: ResultsStore): RunInfo[] {
  return store
    .runIds()
    .map((id) => describeRun(store.run(id)))
    .sort((a, b) => (a.started_at ?? "").localeCompare(b.started_at ?? "") || a.id.localeCompare(b.id));
}

/**
 * The run `latest` names; where it is missing or dangling, the newest run with a finished level (else
 * the newest run: one in progress before its first level); null when there is none.
 */
export function latestRunId(store: ResultsStore): string | null {
  const pointed = readLatest(store.latest);
  if (pointed !== null && store.runIds().includes(pointed)) return pointed;
  const runs = listRuns(store);
  return runs.filter((r) => r.levels > 0).at(-1)?.id ?? runs.at(-1)?.id ?? null;
}

function readLatest(file: string): string | null {
  try {
    const stat = lstatSync(file);
    if (stat.isSymbolicLink()) return path.basename(readlinkSync(file));
    if (stat.isFile()) return readFileSync(file, "utf8").trim();
    return null;
  } catch {
    return null;
  }
}

/**
 * `latest` (a symlink to runs/<id>, relative so the results folder can move) replaced in one rename,
 * so a reader sees the old run or the new one, never none. Where the filesystem has no symlinks
 * (FAT, some network and Windows mounts), `latest` is a file holding the id instead.
 */
export function pointLatest(store: ResultsStore, runId: string): void {
  const tmp = `${store.latest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  try {
    symlinkSync(path.relative(store.root, store.runDir(runId)), tmp);
  } catch {
    writeFileSync(tmp, `${runId}\n`);
  }
  renameSync(tmp, store.latest);
}

/** A run id (or `latest`) as its folder's layout; an unknown id is a UserError that names the runs there are. */
export function resolveRun(store: ResultsStore, ref: string): RunFolder {
  const ids = store.runIds().sort();
  if (ref === "latest") {
    const latest = latestRunId(store);
    if (latest === null) throw new UserError(`no runs in ${store.runsDir} yet: run npm run bench:k6 first`);
    return store.run(latest);
  }
  if (ids.includes(ref)) return store.run(ref);
  if (ids.length === 0) throw new UserError(`unknown run '${ref}': ${store.runsDir} holds no runs yet`);
  const hint = didYouMean(ref, ids);
  throw new UserError(`unknown run '${ref}'; ${store.runsDir} holds: ${ids.join(", ")}, latest${hint ? ` (${hint})` : ""}`);
}

/**
 * A new run's folder, claimed before anything is written to it: a folder that exists already is
 * refused, so one run never writes into another's. It holds a marker of the process writing it
 * (`.in-progress.json`, removed by endRun), so that a run whose process was killed is found and
 * marked interrupted at the next start (recoverInterrupted). `latest` points at it once its first
 * level is saved: never at a run without a finished level.
 */
export function createRun(store: ResultsStore, runId: string): RunFolder {
  mkdirSync(store.runsDir, { recursive: true });
  try {
    mkdirSync(store.runDir(runId));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new Error(`run folder ${store.runDir(runId)} exists already: a run never writes into another's folder`);
    throw err;
  }
  const folder = new RunFolder(store.runDir(runId), () => pointLatest(store, runId));
  const owner: RunOwner = { pid: process.pid, hostname: os.hostname(), start_ticks: startTicks(process.pid), started_at: new Date().toISOString() };
  writeFileAtomic(folder.ownerFile(), `${JSON.stringify(owner)}\n`);
  return folder;
}

/** The run is over (completed, failed or stopped by a signal it handled): no longer in progress. */
export function endRun(folder: RunFolder): void {
  rmSync(folder.ownerFile(), { force: true });
}

/** Who writes a run in progress. */
interface RunOwner {
  pid: number;
  hostname: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), so a reused pid is not taken for it. */
  start_ticks: number | null;
  started_at: string;
}

function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** Whether the run's process still runs: null when it ran on another machine (nothing can be said). */
function ownerRuns(owner: RunOwner): boolean | null {
  if (owner.hostname !== os.hostname()) return null;
  const ticks = startTicks(owner.pid);
  return ticks !== null && (owner.start_ticks === null || ticks === owner.start_ticks);
}

/**
 * Runs whose process ended without ending them (killed with SIGKILL, out of memory, a power cut):
 * every result still `running` becomes `interrupted`, its failure saying which process and when
 * this was found; `notify` says so. Then `latest`, if it names a run without a finished level,
 * points at the newest run with one (or is removed when there is none). Returns the runs marked.
 */
export function recoverInterrupted(store: ResultsStore, notify: (message: string) => void, now = new Date()): string[] {
  const marked: string[] = [];
  for (const id of store.runIds().sort()) {
    const folder = store.run(id);
    if (!existsSync(folder.ownerFile())) continue;
    let owner: RunOwner | null = null;
    try {
      owner = JSON.parse(readFileSync(folder.ownerFile(), "utf8")) as RunOwner;
    } catch {
      // half-written by a process killed at that moment: that process is gone
    }
    if (owner !== null && ownerRuns(owner) !== false) continue;
    const who = owner ? `its process (pid ${owner.pid}, started ${owner.started_at})` : "its process";
    const failure = `interrupted: ${who} ended without finishing the run (killed?); found at ${now.toISOString()}`;
    const frameworks: string[] = [];
    for (const file of folder.resultFiles()) {
      try {
        const raw = JSON.parse(readFileSync(file, "utf8")) as { status?: string; failure?: string | null; framework?: string };
        if (raw.status !== "running") continue;
        raw.status = "interrupted";
        raw.failure = failure;
        writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`);
        frameworks.push(`${raw.framework ?? path.basename(file, ".json")}${file.includes(`${path.sep}trials${path.sep}`) ? ` (${path.basename(file)})` : ""}`);
      } catch {
        // not a result: --runs reports files that do not match the schema
      }
    }
    rmSync(folder.ownerFile(), { force: true });
    marked.push(id);
    notify(`run ${id}: ${who} ended without finishing it${frameworks.length ? `; marked interrupted: ${frameworks.join(", ")}` : ""}`);
  }
  repointLatest(store);
  return marked;
}

/** `latest` never names a run without a finished level (one killed or stopped before its first). */
function repointLatest(store: ResultsStore): void {
  const pointed = readLatest(store.latest);
  if (pointed === null || !store.runIds().includes(pointed) || describeRun(store.run(pointed)).levels > 0) return;
  const best = listRuns(store)
    .filter((r) => r.levels > 0)
    .at(-1);
  if (best) pointLatest(store, best.id);
  else rmSync(store.latest, { force: true });
}

/** `legacy-YYYYMMDD-HHMMSS` from the oldest result's start, so the folder says when its results were measured. */
function legacyRunId(store: ResultsStore, results: readonly FrameworkResult[], fallback: Date): string {
  const oldest = results.map((r) => r.started_at).sort()[0];
  const at = oldest !== undefined && !Number.isNaN(Date.parse(oldest)) ? new Date(oldest) : fallback;
  const base = `legacy-${at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
  const taken = new Set(store.runIds());
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

/**
 * Results an older version wrote at the top of the results folder (`<model>/<framework>.json` with
 * its trials/, logs/ and k6/, and benchmark_results_*.csv) move, as they are, into one run folder
 * `runs/legacy-<date>/`; `notify` says where. A folder counts as a model's only when it holds a
 * valid result of that model, so nothing else in the folder is touched. Returns the new run's id.
 */
export function migrateLegacy(store: ResultsStore, notify: (message: string) => void): string | null {
  const { modelDirs, csvFiles } = store.legacyEntries();
  const old = new RunFolder(store.root);
  const models = modelDirs
    .map((dir) => ({ dir, results: old.loadResults(path.basename(dir)).results }))
    .filter((m) => m.results.some((r) => r.model_name === path.basename(m.dir)));
  if (models.length === 0 && csvFiles.length === 0) return null;
  const oldestFile = [...models.map((m) => m.dir), ...csvFiles].map((f) => statSync(f).mtime).sort((a, b) => a.getTime() - b.getTime())[0]!;
  const runId = legacyRunId(
    store,
    models.flatMap((m) => m.results),
    oldestFile,
  );
  const hadRuns = latestRunId(store) !== null;
  const run = store.run(runId);
  mkdirSync(run.root, { recursive: true });
  const moved = [...models.map((m) => m.dir), ...csvFiles];
  for (const from of moved) renameSync(from, path.join(run.root, path.basename(from)));
  if (!hadRuns) pointLatest(store, runId);
  notify(
    `results of an earlier version (${moved.map((f) => path.basename(f)).join(", ")}) moved from ${store.root} to ${run.root}; ` +
      `read them with --summary-only --run ${runId}`,
  );
  return runId;
}

/**
 * The results folder with its history, older versions' results migrated first. A run's own folder
 * given as the results folder is refused: its <model>/ folders would look like an old version's.
 */
export function openStore(resultsDir: string, notify: (message: string) => void): ResultsStore {
  const store = new ResultsStore(resultsDir);
  const real = existsSync(store.root) ? realpathSync(store.root) : store.root;
  if (path.basename(path.dirname(real)) === "runs" && existsSync(path.join(real, "..", "..", "latest"))) {
    const top = path.dirname(path.dirname(real));
    throw new UserError(
      `--results-dir ${resultsDir} is one run's folder; give the results folder and the run: --results-dir ${top} --run ${path.basename(real)}`,
    );
  }
  migrateLegacy(store, notify);
  recoverInterrupted(store, notify);
  return store;
}

/** A comparison across machines, profiles, engines or CPU sets is allowed, but said. */
export function runDifferences(a: RunInfo, b: RunInfo): string[] {
  const props: [string, (r: RunInfo) => string[]][] = [
    ["machines", (r) => r.machines],
    ["profiles", (r) => r.profiles],
    ["load engines", (r) => r.engines],
    ["CPU sets", (r) => r.cpuSets],
  ];
  return props
    .filter(([, of]) => of(a).join() !== of(b).join())
    .map(([what, of]) => `the runs come from different ${what} (A: ${of(a).join(", ")}; B: ${of(b).join(", ")}): read the changes with that in mind`);
}
