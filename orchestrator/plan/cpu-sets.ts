// Which CPUs the server and the load engine (the client) may use. By default they are split, so the load generator does not
// compete with the server for the same cores: the engine gets a quarter of the CPUs this process may use
// (at least one), the server the rest. The split is applied with the kernel's affinity (taskset),
// inherited by every process the server starts, and servers size their threads from it.
import { formatCpuList, parseCpuList, type CpuSets } from "../platform/affinity.ts";
import { UserError } from "../platform/errors.ts";

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

export function describeCpuSets(s: CpuSets): string {
  return s.mode === "shared"
    ? "server and load engine share every CPU"
    : `server on CPU ${formatCpuList(s.server!)}, load engine on CPU ${formatCpuList(s.client!)}`;
}
