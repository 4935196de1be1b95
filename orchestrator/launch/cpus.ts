// Which CPUs the server and the load engine (the client) may use. By default they are split, so the load generator does not
// compete with the server for the same cores: the engine gets a quarter of the CPUs this process may use
// (at least one), the server the rest. The split is applied with the kernel's affinity (taskset),
// inherited by every process the server starts, and servers size their threads from it.
import { readFileSync } from "node:fs";
import { UserError } from "../errors.ts";

export interface CpuSets {
  mode: "split" | "shared";
  /** CPUs of the server's process tree; null = every CPU (shared). */
  server: number[] | null;
  /** CPUs of the load engine; null = every CPU (shared). */
  client: number[] | null;
}

/** "0-2,5" → [0, 1, 2, 5]; throws on anything else. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`'${part}' is not a CPU number or range`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) throw new Error(`'${part}' is a backwards range`);
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** [0, 1, 2, 5] → "0-2,5", the form taskset and /proc print. */
export function formatCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return parts.join(",");
}

/** The CPUs this process may run on (its affinity mask), from /proc/self/status. */
export function allowedCpus(status = readFileSync("/proc/self/status", "utf8")): number[] {
  const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status);
  if (!m) throw new Error("no Cpus_allowed_list in /proc/self/status");
  return parseCpuList(m[1]!);
}

/** The load engine on the last quarter of the CPUs (at least one), the server on the rest; one CPU cannot be split. */
export function defaultSplit(cpus: readonly number[]): CpuSets {
  if (cpus.length < 2) return { mode: "shared", server: null, client: null };
  const clientCount = Math.max(1, Math.floor(cpus.length / 4));
  return { mode: "split", server: cpus.slice(0, cpus.length - clientCount), client: cpus.slice(cpus.length - clientCount) };
}

/**
 * `--cpus` values: none (the default split), `shared`, or `server=<list> client=<list>`. Each set
 * must be non-empty, within the CPUs this process may use, and apart from the other.
 */
export function cpuSetsFromOption(values: readonly string[] | undefined, available: readonly number[]): CpuSets {
  if (values === undefined) return defaultSplit(available);
  if (values.length === 1 && values[0] === "shared") return { mode: "shared", server: null, client: null };
  const sets: Partial<Record<"server" | "client", number[]>> = {};
  for (const v of values) {
    const m = /^(server|client)=(.+)$/.exec(v);
    if (!m) throw new UserError(`--cpus: expected 'shared' or 'server=<list> client=<list>' (e.g. server=0-2 client=3), got '${v}'`);
    try {
      sets[m[1] as "server" | "client"] = parseCpuList(m[2]!);
    } catch (err) {
      throw new UserError(`--cpus: ${m[1]}: ${(err as Error).message}`);
    }
  }
  const { server, client } = sets;
  if (!server || !client) throw new UserError("--cpus: give both server=<list> and client=<list>, or 'shared'");
  const outside = [...server, ...client].filter((c) => !available.includes(c));
  if (outside.length) throw new UserError(`--cpus: CPU ${formatCpuList(outside)} is not available to this process (available: ${formatCpuList(available)})`);
  const both = server.filter((c) => client.includes(c));
  if (both.length) throw new UserError(`--cpus: CPU ${formatCpuList(both)} is in both sets; use 'shared' to let them share`);
  return { mode: "split", server, client };
}

/** The command line that runs `command` on `cpus` (unchanged when null: every CPU). */
export function withAffinity(command: string, args: readonly string[], cpus: readonly number[] | null): [string, string[]] {
  return cpus === null ? [command, [...args]] : ["taskset", ["--cpu-list", formatCpuList(cpus), command, ...args]];
}

export function describeCpuSets(s: CpuSets): string {
  return s.mode === "shared" ? "server and load engine share every CPU" : `server on CPU ${formatCpuList(s.server!)}, load engine on CPU ${formatCpuList(s.client!)}`;
}
