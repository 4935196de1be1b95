// Which frameworks a run covers: every manifest found, or the ones named, in the order named.
import type { DiscoveredServer } from "../config/load.ts";
import { UserError } from "../errors.ts";

export function selectFrameworks(all: readonly DiscoveredServer[], wanted: readonly string[] | undefined): DiscoveredServer[] {
  if (!wanted) return [...all];
  const byName = new Map(all.map((s) => [s.manifest.name, s]));
  const unknown = wanted.filter((w) => !byName.has(w));
  if (unknown.length) {
    throw new UserError(`unknown framework(s): ${unknown.join(", ")}; found: ${all.map((s) => s.manifest.name).join(", ")}`);
  }
  return wanted.map((w) => byName.get(w)!);
}
