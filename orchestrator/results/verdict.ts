// The verdict per operating point: among the frameworks measured at the same model, batch size,
// text length and concurrency, the one with the highest mean throughput leads; with trials, Welch's
// t-test on the trials' throughputs says whom it is significantly ahead of (p < 0.05) and from whom
// it cannot be separated. With one trial there is no spread to test, and the verdict says so. The
// printed summary and the report's Verdict section use these lines. Open-loop levels are left out:
// their throughput is the rate asked.
import { comparePoints, describePoint, pointId } from "./point-figures.ts";
import type { FrameworkResult, ScenarioResult } from "./schema.ts";
import { welch } from "./stats.ts";

export interface Rival {
  framework: string;
  /** Two-sided p of Welch's t-test against the leader; null: untested (a side has fewer than 2 trials). */
  p: number | null;
}

export interface PointVerdict {
  model: string;
  /** The leader's level: its point and figures. */
  level: ScenarioResult;
  leader: string;
  /** The leader's embeddings per second (the trials' mean). */
  leaderEmbeddingsPerSec: number;
  /** Trials behind the leader's figure. */
  trials: number;
  /** Significantly behind the leader (p < 0.05). */
  behind: Rival[];
  /** Not separable from the leader (p ≥ 0.05). */
  inseparable: Rival[];
  /** Not tested: one trial on either side. */
  untested: Rival[];
}

interface Entry {
  framework: string;
  level: ScenarioResult;
  values: number[];
  mean: number;
}

/** Per closed-loop operating point measured by two or more frameworks: who leads, and by how much it can be trusted. */
export function pointVerdicts(results: readonly FrameworkResult[]): PointVerdict[] {
  const byPoint = new Map<string, { model: string; entries: Entry[] }>();
  for (const r of results) {
    for (const s of Object.values(r.scenarios)) {
      if (s.mode !== "closed" || s.num_requests === 0) continue;
      const id = pointId(s, r.model_name);
      const values = s.trials?.throughput_qps.values ?? [s.throughput_qps];
      const group = byPoint.get(id) ?? { model: r.model_name, entries: [] };
      group.entries.push({ framework: r.framework, level: s, values, mean: values.reduce((a, v) => a + v, 0) / values.length });
      byPoint.set(id, group);
    }
  }
  return [...byPoint.values()]
    .filter((g) => g.entries.length > 1)
    .sort((a, b) => a.model.localeCompare(b.model) || comparePoints(a.entries[0]!.level, b.entries[0]!.level))
    .map(({ model, entries }) => {
      const [best, ...rest] = [...entries].sort((a, b) => b.mean - a.mean || a.framework.localeCompare(b.framework));
      const tested = rest.map((e) => ({ framework: e.framework, cmp: welch(best!.values, e.values) }));
      return {
        model,
        level: best!.level,
        leader: best!.framework,
        leaderEmbeddingsPerSec: best!.mean * best!.level.batch_size,
        trials: best!.values.length,
        behind: tested.filter((t) => t.cmp?.significant).map((t) => ({ framework: t.framework, p: t.cmp!.p })),
        inseparable: tested.filter((t) => t.cmp && !t.cmp.significant).map((t) => ({ framework: t.framework, p: t.cmp!.p })),
        untested: tested.filter((t) => t.cmp === null).map((t) => ({ framework: t.framework, p: null })),
      };
    });
}

const pText = (p: number | null) => (p === null ? "" : p < 0.001 ? " (p<0.001)" : ` (p=${p.toFixed(3)})`);
const names = (rs: readonly Rival[]) => rs.map((r) => `${r.framework}${pText(r.p)}`).join(", ");

/** What the verdict says of the others: significantly ahead of …; cannot be separated from …; not tested against … */
export function verdictClauses(v: PointVerdict): string[] {
  return [
    ...(v.behind.length ? [`significantly ahead of ${names(v.behind)}`] : []),
    ...(v.inseparable.length ? [`cannot be separated from ${names(v.inseparable)}`] : []),
    ...(v.untested.length ? [`not tested against ${names(v.untested)} (one trial: --trials 2 or more for Welch's t-test)`] : []),
  ];
}

/** `batch 8 · 128 tokens · 4 VUs: openvino leads (412.3 emb/s, 3 trials); significantly ahead of onnx-python (p=0.004); cannot be separated from onnx-cpp (p=0.410)` */
export function verdictLine(v: PointVerdict, withModel = false): string {
  const where = `${withModel ? `${v.model} · ` : ""}${describePoint(v.level)}`;
  const lead = `${v.leader} leads (${v.leaderEmbeddingsPerSec.toFixed(1)} emb/s, ${v.trials} trial${v.trials > 1 ? "s" : ""})`;
  return [`${where}: ${lead}`, ...verdictClauses(v)].join("; ");
}

export const VERDICT_HEAD =
  "Verdict per operating point (closed loop; the highest mean throughput leads; Welch's t-test on the trials' throughputs, p < 0.05 = significant):";
