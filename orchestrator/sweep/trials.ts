// Every framework's sweep, trial after trial, interleaved.
import type { Progress } from "../outputs/progress.ts";
import { log } from "../platform/log.ts";
import { combineTrials } from "../results/combine-trials.ts";
import type { FrameworkResult } from "../results/schema.ts";
import type { RunContext } from "./context.ts";

/** One thing to benchmark: a framework the suite starts, or a server given by --url. */
export interface Subject {
  name: string;
  run(ctx: RunContext): Promise<FrameworkResult>;
}

/**
 * Every framework's sweep, `profile.trials` times, interleaved (A B C A B C …) so that drift on the
 * machine spreads over all frameworks; a framework that did not complete a trial is not run again.
 * With trials, each one is kept under <model>/trials/ and the combination is the framework's result.
 */
export async function runTrials(subjects: readonly Subject[], run: RunContext, progress: Progress): Promise<FrameworkResult[]> {
  const n = run.profile.trials;
  const trials = new Map<string, FrameworkResult[]>();
  for (let t = 1; t <= n; t++) {
    for (const subject of subjects) {
      const name = subject.name;
      const done = trials.get(name) ?? [];
      if (run.signal.aborted || done.some((r) => r.status !== "completed")) continue;
      if (n > 1) log.step(`trial ${t}/${n}: ${name}`);
      progress.frameworkStarted(name, t);
      const result = await subject.run(n > 1 ? { ...run, trial: t } : run);
      progress.frameworkFinished(name, result.status === "completed");
      trials.set(name, [...done, result]);
    }
  }
  return [...trials.values()].map((list) => {
    const combined = combineTrials(list);
    if (list.length > 1) run.folder.saveResult(combined);
    return combined;
  });
}
