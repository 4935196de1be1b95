// CPU lists and affinity: the CPUs this process may use, the list forms taskset and /proc print, and
// the command line that pins a program to some of them (taskset, inherited by its children).
import { readFileSync } from "node:fs";

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

/** The command line that runs `command` on `cpus` (unchanged when null: every CPU). */
export function withAffinity(command: string, args: readonly string[], cpus: readonly number[] | null): [string, string[]] {
  return cpus === null ? [command, [...args]] : ["taskset", ["--cpu-list", formatCpuList(cpus), command, ...args]];
}
