// Reading /proc (Linux): a process tree's CPU ticks and RSS, every CPU's busy ticks, and the types
// of a usage measurement (a process tree by pid, or a container's stats through a UsageProbe).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

function sysconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync("getconf", [name], { encoding: "utf8" }).trim()) || fallback;
  } catch {
    return fallback;
  }
}
export const CLK_TCK = sysconf("CLK_TCK", 100);
const PAGE_SIZE = sysconf("PAGESIZE", 4096);

export interface ProcStat {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssBytes: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(pid: number, text: string): ProcStat {
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24 (pages).
  return {
    pid,
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
    rssBytes: Number(rest[21]) * PAGE_SIZE,
  };
}

export function readAllStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.push(parseProcStat(Number(name), readFileSync(`/proc/${name}/stat`, "utf8")));
    } catch {
      // the process ended between readdir and read
    }
  }
  return stats;
}

export interface Ticks {
  busy: number;
  total: number;
}

function ticks(fields: number[]): Ticks {
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Busy and total CPU ticks from /proc/stat: the whole machine (key "all") and each CPU by number. */
export function parseMachineStat(text: string): Map<number | "all", Ticks> {
  const out = new Map<number | "all", Ticks>();
  for (const m of text.matchAll(/^cpu(\d*)\s+(.*)$/gm)) out.set(m[1] === "" ? "all" : Number(m[1]), ticks(m[2]!.trim().split(/\s+/).map(Number)));
  return out;
}

export interface MachineReading {
  at: number;
  cpus: Map<number | "all", Ticks>;
}

export function readMachineStat(): MachineReading {
  return { at: Date.now(), cpus: parseMachineStat(readFileSync("/proc/stat", "utf8")) };
}

/** The root and all its descendants (uvicorn workers, ORT helper processes, …). */
export function treeOf(rootPid: number, stats: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const out: ProcStat[] = [];
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) return out;
  const stack = [root];
  while (stack.length > 0) {
    const s = stack.pop()!;
    out.push(s);
    stack.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

export interface ResourceSample {
  /** Epoch milliseconds. */
  t_ms: number;
  cpu_percent: number;
  rss_mb: number;
}

export interface ResourceSummary {
  cpu_percent: number;
  memory_mb: number;
  memory_peak_mb: number;
  samples: ResourceSample[];
}

/** Cumulative CPU and current memory at one moment. */
export interface UsageReading {
  /** Epoch milliseconds. */
  at: number;
  /** CPU seconds used since the start. */
  cpuS: number;
  /** Resident memory, bytes. */
  rss: number;
}

/** What the monitor cannot read from /proc (a container, through its engine's stats API): it keeps the latest reading. */
export interface UsageProbe {
  latest(): UsageReading | null;
}

/** A process tree by its root's pid, or a probe. */
export type UsageSource = number | UsageProbe;

export function treeReading(pid: number, stats: readonly ProcStat[], now: number): UsageReading | null {
  const tree = treeOf(pid, stats);
  if (tree.length === 0) return null;
  return { at: now, cpuS: tree.reduce((a, s) => a + s.cpuTicks, 0) / CLK_TCK, rss: tree.reduce((a, s) => a + s.rssBytes, 0) };
}
