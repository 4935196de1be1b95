import os from "node:os";
import { formatCpuList, type CpuSets } from "../launch/cpus.ts";
import type { EnvironmentInfo } from "./schema.ts";

export function describeEnvironment(k6Version: string, cpuSets: CpuSets): EnvironmentInfo {
  const cpus = os.cpus();
  const list = (c: number[] | null) => (c === null ? null : formatCpuList(c));
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model.trim() ?? "unknown",
    cpu_count: Math.max(1, cpus.length),
    memory_total_mb: Math.round(os.totalmem() / 1048576),
    k6_version: k6Version,
    node_version: process.version,
    cpu_sets: { mode: cpuSets.mode, server: list(cpuSets.server), client: list(cpuSets.client) },
  };
}
