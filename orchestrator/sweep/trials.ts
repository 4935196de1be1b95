// Every framework's sweep of every model, trial after trial, interleaved.
import type { Progress } from "../outputs/progress.ts";
import { log } from "../platform/log.ts";
import { combineTrials } from "../results/combine-trials.ts";
import type { FrameworkResult } from "../results/schema.ts";
import type { RunContext } from "./context.ts";

/** One thing to benchmark with one model: a framework the suite starts, or a server given by --url. */
export interface Subject {
  name: string;
  /** The run as this subject's model sees it (its model, texts and environment). */
  context: RunContext;
  run(ctx: RunContext): Promise<FrameworkResult>;
}

/**
 * Every subject's sweep (all its operating points), `profile.trials` times, interleaved over the
 * models and frameworks (A B C A B C …) so that drift on the machine spreads over all of them and every
 * point's trial t runs before any point's trial t + 1; a subject that did not complete a trial is not
 * run again. With trials, each one is kept under <model>/trials/ and the combination is the result.
 */
export async function runTrials(subjects: readonly Subject[], trials: number, progress: Progress): Promise<FrameworkResult[]> {
  const done = new Map<Subject, FrameworkResult[]>();
  for (let t = 1; t <= trials; t++) {
    for (const subject of subjects) {
      const { name, context } = subject;
      const before = done.get(subject) ?? [];
      if (context.signal.aborted || before.some((r) => r.status !== "completed")) continue;
      if (trials > 1)
        log.step(`trial ${t}/${trials}: ${name}${subjects.some((s) => s.context.model.key !== context.model.key) ? ` (${context.model.key})` : ""}`);
      progress.frameworkStarted(name, t, context.model.key);
      const result = await subject.run(trials > 1 ? { ...context, trial: t } : context);
      progress.frameworkFinished(name, result.status === "completed", context.model.key);
      done.set(subject, [...before, result]);
    }
  }
  return [...done.entries()].map(([subject, list]) => {
    const combined = combineTrials(list);
    if (list.length > 1) subject.context.folder.saveResult(combined);
    return combined;
  });
}
