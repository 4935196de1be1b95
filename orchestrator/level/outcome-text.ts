// A level's figures as a k6-like end-of-test summary (npm run load).
import type { DrivenLevel } from "./drive.ts";
import type { HeaderTimes, LevelOutcome, LevelSpec } from "../plan/level-spec.ts";

const dots = (name: string) => `  ${name} ${".".repeat(Math.max(2, 26 - name.length))}:`;
const ms = (n: number) => `${n.toFixed(2)}ms`;
const kb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

function times(t: HeaderTimes): string {
  return `avg=${ms(t.mean)} med=${ms(t.median)} p(95)=${ms(t.p95)} p(99)=${ms(t.p99)}`;
}

export function renderOutcome(o: LevelOutcome, spec: LevelSpec, level: Pick<DrivenLevel, "stalls" | "end">): string {
  const rate = (n: number) => (o.durationS > 0 ? `${(n / o.durationS).toFixed(2)}/s` : "-");
  const pct = o.requests > 0 ? ((o.ok / o.requests) * 100).toFixed(2) : "0.00";
  const l = o.latencyMs;
  const kinds = Object.entries(o.errorsByKind).map(([k, n]) => `${n} ${k}`);
  const load = spec.load.mode === "closed" ? `${spec.load.vus} VUs, closed loop` : `${spec.load.rateRps} req/s ${spec.load.arrivals} arrivals, open loop`;
  const lines = [
    "",
    `  ${o.engine.name} engine ${o.engine.version}`,
    `  ${spec.url} (${spec.api} API): ${load}, ${spec.durationS}s, batch ${spec.batchSize}`,
    "",
    `${dots("checks")} ${pct}% ✓ ${o.ok} ✗ ${o.errors}  (status 200, one vector per text, dimension${spec.expectedDim > 0 ? ` ${spec.expectedDim}` : ""})`,
    `${dots("errors")} ${o.errors}${kinds.length ? ` (${kinds.join(", ")})` : ""}`,
    l
      ? `${dots("http_req_duration")} avg=${ms(l.mean)} min=${ms(l.min)} med=${ms(l.median)} max=${ms(l.max)} p(90)=${ms(l.p90)} p(95)=${ms(l.p95)} p(99)=${ms(l.p99)} p(99.9)=${ms(l.p999)}`
      : `${dots("http_req_duration")} no successful request`,
    `${dots("http_reqs")} ${o.requests} ${rate(o.requests)} (successful ${rate(o.ok)})`,
    ...(o.serverInferenceMs ? [`${dots("server x-inference-time")} ${times(o.serverInferenceMs)}`] : []),
    ...(o.serverQueueMs ? [`${dots("server x-queue-time")} ${times(o.serverQueueMs)}`] : []),
    ...(o.open
      ? [
          `${dots("achieved rate")} ${o.achievedRps.toFixed(2)}/s of ${spec.load.mode === "open" ? spec.load.rateRps : "-"}/s; dropped ${o.open.dropped}, late starts ${o.open.lateStarts}, in flight at most ${o.open.maxInFlight}`,
          ...(o.open.latencyFromIntendedMs
            ? [
                `${dots("latency from scheduled")} med=${ms(o.open.latencyFromIntendedMs.median)} p(95)=${ms(o.open.latencyFromIntendedMs.p95)} p(99)=${ms(o.open.latencyFromIntendedMs.p99)} max=${ms(o.open.latencyFromIntendedMs.max)}`,
              ]
            : []),
        ]
      : []),
    `${dots("data")} sent ${kb(o.bytesSent)}, received ${kb(o.bytesReceived)}`,
    `${dots("engine CPU")} ${o.engineCpuPercent === null ? "-" : `${o.engineCpuPercent}% of one core`}`,
    `${dots("duration")} ${o.durationS.toFixed(1)}s${level.end.kind === "full" ? "" : ` (ended: ${level.end.kind === "all-failed" ? level.end.reason : level.end.kind})`}`,
    ...(level.stalls.length ? [`${dots("stalls")} ${level.stalls.map((s) => `${s.duration_s}s from ${s.start_s}s`).join(", ")}`] : []),
    "",
  ];
  return lines.join("\n");
}
