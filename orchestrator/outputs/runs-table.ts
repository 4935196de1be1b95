// The list of runs kept in a results folder (bench:k6 --runs), newest last, the latest marked.
import type { RunInfo } from "../store/history.ts";
import { table } from "./table.ts";

const dateOf = (iso: string | null) => (iso === null ? "-" : `${iso.slice(0, 16).replace("T", " ")} UTC`);

/** The `--runs` table: one row per run, oldest first, the latest marked. */
export function renderRuns(runs: readonly RunInfo[], latest: string | null): string {
  const rows = runs.map((r) => [
    `${r.id}${r.id === latest ? " *" : ""}`,
    dateOf(r.started_at),
    r.statuses.join(", ") || "-",
    String(r.levels),
    r.models.join(", ") || "-",
    r.frameworks.join(", ") || "(no results)",
    r.profiles.join(", ") || "-",
    r.commits.join(", ") || "-",
    r.machines.join(", ") || "-",
  ]);
  const header = ["Run", "Date", "Status", "Levels", "Model", "Frameworks", "Profile", "Commit", "Machine"];
  return table(header, rows, header.length);
}
