// Samples CPU and RSS of named process trees (from /proc) or containers (through their engine's
// stats, a UsageProbe) while a level runs. CPU is reported like top: 100 = one core.
import {
  CLK_TCK,
  readAllStats,
  readMachineStat,
  treeReading,
  type MachineReading,
  type ResourceSample,
  type ResourceSummary,
  type UsageReading,
  type UsageSource,
} from "../platform/procfs.ts";

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

/** The resident memory of a process tree (or a container, through its probe) right now, MiB; null when it cannot be read. */
export function sampleRssMb(source: UsageSource): number | null {
  const reading = typeof source === "number" ? treeReading(source, readAllStats(), Date.now()) : source.latest();
  return reading ? reading.rss / 1048576 : null;
}
