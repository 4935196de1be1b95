import type { DiscoveredServer } from "../plan/config.ts";
import { allowedCpus } from "../platform/affinity.ts";
import { candidateLayouts, chooseLayout, describeTried, layoutName, triedOf, type Layout } from "../results/layout-choice.ts";
import { log } from "../platform/log.ts";
import type { FrameworkResult, LayoutProbe, LayoutTried } from "../results/schema.ts";
import type { LayoutProbePlan, RunContext } from "./context.ts";
import type { FrameworkRun } from "./context.ts";

/** The run a probe of `layout` is: one short level in one window, no exporter, its own files. */
/** One closed-loop level at the sweep's first batch size and text length: a layout is probed once per framework and model. */
export function probeContext(run: RunContext, plan: LayoutProbePlan, layout: Layout): RunContext {
  const p = run.profile;
  const profile = {
    ...p,
    mode: "closed" as const,
    concurrency_levels: [plan.concurrency] as [number],
    batch_size: [p.batch_size[0]] as [number],
    ...(p.seq_len ? { seq_len: [p.seq_len[0]] as [(typeof p.seq_len)[0]] } : {}),
    duration_s: plan.durationS,
    window_s: 0,
  };
  const texts = run.texts.filter((t) => t.seqLen === (p.seq_len?.[0] ?? null));
  return {
    ...run,
    profile,
    texts,
    threads: layout.threads,
    workers: layout.workers,
    layoutProbe: undefined,
    observer: undefined,
    slo: undefined,
    probing: layout,
  };
}

/** Every candidate layout for the server's CPUs, each through a whole runFramework of its own. */
/** Runs one framework with a probe's context: runFramework, passed in by its caller. */
export type RunProbe = (server: DiscoveredServer, run: RunContext) => Promise<FrameworkResult>;

export async function probeLayouts(server: DiscoveredServer, run: RunContext, plan: LayoutProbePlan, runProbe: RunProbe): Promise<LayoutProbe> {
  const name = server.manifest.name;
  const cpus = (run.cpuSets.server ?? allowedCpus()).length;
  const candidates = candidateLayouts(cpus);
  const base = { server_cpus: cpus, probe_concurrency: plan.concurrency, probe_duration_s: plan.durationS, tie_tolerance: plan.tieTolerance };
  if (candidates.length === 1) {
    return { ...base, tried: [], chosen: candidates[0]!, note: `one server CPU: ${layoutName(candidates[0]!)} is the only candidate, not probed` };
  }
  const tried: LayoutTried[] = [];
  for (const [i, layout] of candidates.entries()) {
    run.signal.throwIfAborted();
    log.step(
      `${name}: layout probe ${i + 1}/${candidates.length}: ${layoutName(layout)} at ${plan.concurrency} VUs, batch ${run.profile.batch_size[0]}${run.profile.seq_len ? `, ${run.profile.seq_len[0]} tokens` : ""}, for ${plan.durationS}s`,
    );
    tried.push(triedOf(layout, await runProbe(server, probeContext(run, plan, layout))));
  }
  run.signal.throwIfAborted();
  return { ...base, tried, chosen: chooseLayout(tried, plan.tieTolerance), note: null };
}

/** --layout auto: probe once per framework and model (later trials reuse the choice), then sweep every point with the chosen layout. */
export async function layoutPhase(fw: FrameworkRun, server: DiscoveredServer, plan: LayoutProbePlan, runProbe: RunProbe): Promise<void> {
  const name = fw.name;
  const key = `${fw.run.model.key}/${name}`;
  const earlier = plan.chosen.get(key);
  const probe = earlier ?? (await probeLayouts(server, fw.run, plan, runProbe));
  fw.result.layout_probe = probe;
  fw.save();
  if (!probe.chosen) throw new Error(`--layout auto: no layout completed its probe (${probe.tried.map((t) => `${layoutName(t)}: ${t.failure}`).join("; ")})`);
  plan.chosen.set(key, probe);
  fw.run = { ...fw.run, threads: probe.chosen.threads, workers: probe.chosen.workers };
  const why = earlier ? "as probed before the first trial" : (probe.note ?? `tried ${probe.tried.map(describeTried).join("; ")}`);
  log.step(`${name}: layout ${layoutName(probe.chosen)} chosen (${why})`);
}
