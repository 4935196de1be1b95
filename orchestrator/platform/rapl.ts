// Package energy from Linux's powercap interface to RAPL (/sys/class/powercap/intel-rapl:N, AMD's
// too): each package domain's energy_uj counter, which wraps at max_energy_range_uj. Machines
// without it (most VMs, this project's among them) or without the right to read it (energy_uj is
// root-only since Linux 5.10) get the reason instead of a figure.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const POWERCAP = "/sys/class/powercap";

/** One package domain's counter at one time. */
export interface RaplReading {
  domain: string;
  energyUj: number;
  maxUj: number;
}

export type RaplSnapshot = { ok: true; readings: RaplReading[] } | { ok: false; reason: string };

/** Every package domain (intel-rapl:N, not its sub-zones intel-rapl:N:M) now, or why there is none. */
export function readRapl(root = POWERCAP): RaplSnapshot {
  if (!existsSync(root)) return { ok: false, reason: `no ${root}: this machine exposes no RAPL (typical of a VM)` };
  const domains = readdirSync(root).filter((d) => /^intel-rapl:\d+$/.test(d));
  if (domains.length === 0) return { ok: false, reason: `no package domain (intel-rapl:N) in ${root}` };
  try {
    return {
      ok: true,
      readings: domains.sort().map((d) => ({
        domain: readFileSync(path.join(root, d, "name"), "utf8").trim(),
        energyUj: Number(readFileSync(path.join(root, d, "energy_uj"), "utf8")),
        maxUj: Number(readFileSync(path.join(root, d, "max_energy_range_uj"), "utf8")),
      })),
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, reason: code === "EACCES" ? `${root}/*/energy_uj is readable by root only` : `cannot read RAPL: ${(err as Error).message}` };
  }
}

/** Joules used by every package between two snapshots; a counter that went down wrapped once. */
export function packageJoules(before: RaplSnapshot, after: RaplSnapshot): { ok: true; joules: number } | { ok: false; reason: string } {
  if (!before.ok) return before;
  if (!after.ok) return after;
  let uj = 0;
  for (const a of after.readings) {
    const b = before.readings.find((r) => r.domain === a.domain);
    if (!b) return { ok: false, reason: `RAPL domain ${a.domain} appeared during the level` };
    uj += a.energyUj >= b.energyUj ? a.energyUj - b.energyUj : a.maxUj - b.energyUj + a.energyUj;
  }
  return { ok: true, joules: uj / 1e6 };
}
