// Samples CPU and RSS of a process tree from /proc (Linux), or of a container through its engine's
// stats (a UsageProbe). CPU is reported like top: 100 = one core.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

function sysconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync("getconf", [name], { encoding: "utf8" }).trim()) || fallback;
  } catch {
    return fallback;
  }
}
const CLK_TCK = sysconf("CLK_TCK", 100);
const PAGE_SIZE = sysconf("PAGESIZE", 4096);

interface ProcStat {
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

function readAllStats(): ProcStat[] {
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

interface Ticks {
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

interface MachineReading {
  at: number;
  cpus: Map<number | "all", Ticks>;
}

function readMachineStat(): MachineReading {
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

function treeReading(pid: number, stats: readonly ProcStat[], now: number): UsageReading | null {
  const tree = treeOf(pid, stats);
  if (tree.length === 0) return null;
  return { at: now, cpuS: tree.reduce((a, s) => a + s.cpuTicks, 0) / CLK_TCK, rss: tree.reduce((a, s) => a + s.rssBytes, 0) };
}

/** Periodic sampler of named process trees and probes; one stats scan serves all trees per tick. */
export class ResourceMonitor {
  private readonly roots = new Map<string, UsageSource>();
  private readonly first = new Map<string, UsageReading>();
  private readonly last = new Map<string, UsageReading>();
  private readonly samples = new Map<string, ResourceSample[]>();
  private timer: NodeJS.Timeout | undefined;
  private machineStart: MachineReading | undefined;
  private machineEnd: MachineReading | undefined;

  constructor(private readonly intervalMs: number) {}

  /**
   * CPU used between start and stop (100 = one core) by every process: on the whole machine, or
   * on the CPUs listed (e.g. the load engine's set, to see whether it had any headroom).
   */
  busyPercent(cpus: readonly number[] | null = null): number {
    const a = this.machineStart;
    const b = this.machineEnd;
    if (!a || !b || b.at <= a.at) return 0;
    const keys: (number | "all")[] = cpus ? [...cpus] : ["all"];
    const busy = keys.reduce<number>((sum, k) => sum + (b.cpus.get(k)?.busy ?? 0) - (a.cpus.get(k)?.busy ?? 0), 0);
    return (busy / CLK_TCK / ((b.at - a.at) / 1000)) * 100;
  }

  watch(name: string, source: UsageSource): void {
    this.roots.set(name, source);
  }

  start(): void {
    this.machineStart = readMachineStat();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    const stats = readAllStats();
    const now = Date.now();
    for (const [name, source] of this.roots) {
      const reading = typeof source === "number" ? treeReading(source, stats, now) : source.latest();
      if (!reading) continue;
      const prev = this.last.get(name);
      // A probe's reading stays the same until its engine sends the next one.
      if (prev && reading.at <= prev.at) continue;
      if (!this.first.has(name)) this.first.set(name, reading);
      this.last.set(name, reading);
      if (prev) {
        const cpu = Math.max(0, ((reading.cpuS - prev.cpuS) / ((reading.at - prev.at) / 1000)) * 100);
        const list = this.samples.get(name) ?? [];
        list.push({ t_ms: reading.at, cpu_percent: cpu, rss_mb: reading.rss / 1048576 });
        this.samples.set(name, list);
      }
    }
  }

  /**
   * Stops sampling; CPU is total ticks over the whole window (exact), memory the mean and peak of
   * samples. A tree never found (its root was gone from the start) is absent: not measured, not 0.
   */
  stop(): Record<string, ResourceSummary> {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    this.machineEnd = readMachineStat();
    const out: Record<string, ResourceSummary> = {};
    for (const name of this.roots.keys()) {
      const a = this.first.get(name);
      const b = this.last.get(name);
      if (!a || !b) continue;
      const samples = this.samples.get(name) ?? [];
      const seconds = (b.at - a.at) / 1000;
      out[name] = {
        cpu_percent: seconds > 0 ? Math.max(0, ((b.cpuS - a.cpuS) / seconds) * 100) : 0,
        memory_mb: samples.length ? samples.reduce((x, s) => x + s.rss_mb, 0) / samples.length : b.rss / 1048576,
        memory_peak_mb: samples.length ? Math.max(...samples.map((s) => s.rss_mb)) : b.rss / 1048576,
        samples,
      };
    }
    return out;
  }
}
