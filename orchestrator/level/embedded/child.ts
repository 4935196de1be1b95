// The embedded engine's own process: pinned to the client CPUs by its parent (engine.ts), it runs
// one level (load.ts) and reports over Node's IPC channel. It ends with its level, and at once when
// its parent goes (the channel closes), so no load outlives the suite.
import type { LiveSample, WindowReport } from "../../plan/level-spec.ts";
import { runLoad } from "./load-loops.ts";
import type { FromChild, ToChild } from "./messages.ts";

const stop = new AbortController();
let finished = false;

/** The last message: the process exits once it is written. */
function finish(m: FromChild): void {
  finished = true;
  process.send?.(m, () => process.exit(0));
}

process.on("disconnect", () => process.exit(finished ? 0 : 1));
process.on("message", (m: ToChild) => {
  if (m.type === "stop") return stop.abort();
  const hooks = {
    onSample: (sample: LiveSample) => process.send?.({ type: "sample", sample } satisfies FromChild),
    onWindow: (window: WindowReport) => process.send?.({ type: "window", window } satisfies FromChild),
    onFirstError: (kind: string, detail: string, t_ms: number) => process.send?.({ type: "first-error", kind, detail, t_ms } satisfies FromChild),
  };
  runLoad(m.spec, hooks, stop.signal, m.version)
    .then((outcome) => finish({ type: "outcome", outcome }))
    .catch((err: unknown) => finish({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
// A terminal's Ctrl-C reaches the whole process group: the parent decides when to stop, and says so.
process.on("SIGINT", () => {});
