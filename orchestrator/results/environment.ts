// The environment stamp every result carries: which code ran (commit, dirty tree, arguments,
// configuration hash), on what (CPU, flags, kernel, governor, memory), where (the CPU sets), and
// how busy the machine was (load average at the start, and at each framework's end).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { hashText } from "../platform/hash.ts";
import { formatCpuList, type CpuSets } from "../platform/affinity.ts";
import { ROOT } from "../platform/paths.ts";
import type { EnvironmentInfo } from "./schema.ts";

/** The instruction-set extensions that decide which kernels an inference runtime can use. */
const NOTABLE_FLAGS = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"];

export function cpuFlagsSummary(cpuinfo: string): string[] {
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "").split(/\s+/));
  return NOTABLE_FLAGS.filter((f) => flags.has(f));
}

function readOr(file: string, fallback: string | null): string | null {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return fallback;
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

const loadAverage = () => os.loadavg().map((l) => Number(l.toFixed(2)));

export interface StampInputs {
  /** The load engine that drives every level of the run. */
  engine: { name: "embedded" | "k6"; version: string };
  cpuSets: CpuSets;
  /** The command line as given, e.g. ["--frameworks", "onnx-python"]. */
  argv: readonly string[];
  /** The effective configuration (profile after overrides, limits, …): its hash identifies equal runs. */
  config: unknown;
}

export function describeEnvironment(s: StampInputs): EnvironmentInfo {
  const cpus = os.cpus();
  const list = (c: number[] | null) => (c === null ? null : formatCpuList(c));
  const commit = git(["rev-parse", "HEAD"]);
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model.trim() ?? "unknown",
    cpu_count: Math.max(1, cpus.length),
    memory_total_mb: Math.round(os.totalmem() / 1048576),
    k6_version: s.engine.name === "k6" ? s.engine.version : null,
    load_engine: { name: s.engine.name, version: s.engine.version },
    node_version: process.version,
    cpu_sets: { mode: s.cpuSets.mode, server: list(s.cpuSets.server), client: list(s.cpuSets.client) },
    cpu_flags: cpuFlagsSummary(readOr("/proc/cpuinfo", "") ?? ""),
    kernel: os.release(),
    cpu_governor: readOr("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", null),
    git_commit: commit,
    git_dirty: commit === null ? null : (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    argv: [...s.argv],
    config_hash: hashText(JSON.stringify(s.config)),
    load_average_start: loadAverage(),
  };
}

/** The stamp as a framework finishes: the same, with the load average at that moment. */
export function atFinish(env: EnvironmentInfo): EnvironmentInfo {
  return { ...env, load_average_end: loadAverage() };
}

/** The load engine of a result, as one string: "embedded 0.1.0 (Node …)" or "k6 v1.8.1" (files before schema 9: k6). */
export function engineOf(r: { environment: Pick<EnvironmentInfo, "load_engine" | "k6_version"> }): string {
  const e = r.environment.load_engine;
  return e ? `${e.name} ${e.version}` : `k6 ${r.environment.k6_version ?? "?"}`;
}
