import assert from "node:assert/strict";
import { test } from "node:test";
import { K6Console, warningKind, webDashboardEnv } from "./k6-engine.ts";

test("the web-dashboard report needs no port and gets at least four snapshots per level", () => {
  assert.deepEqual(webDashboardEnv("/r/x.html", 60), {
    K6_WEB_DASHBOARD: "true",
    K6_WEB_DASHBOARD_PORT: "-1",
    K6_WEB_DASHBOARD_PERIOD: "10s",
    K6_WEB_DASHBOARD_EXPORT: "/r/x.html",
  });
  assert.equal(webDashboardEnv("f", 10).K6_WEB_DASHBOARD_PERIOD, "2s");
  assert.equal(webDashboardEnv("f", 4).K6_WEB_DASHBOARD_PERIOD, "1s");
  assert.equal(webDashboardEnv("f", 1).K6_WEB_DASHBOARD_PERIOD, "1s");
});

test("K6Console shows each kind of k6 warning once, then its count with the log file", () => {
  const out: string[] = [];
  const c = new K6Console((l) => out.push(l));
  const failed = (n: number) => `time="2026-11-30T12:04:2${n}Z" level=warning msg="Request Failed" error="dial tcp 127.0.0.1:9: connect: connection refused"`;
  c.line("embedding-bench onnx-cpp c=1 batch 1");
  for (let i = 0; i < 5; i++) c.line(failed(i));
  c.line(`time="x" level=warning msg="The test has generated metrics with 100 unique time series"`);
  c.flush("/r/k6/x-c1.log");
  assert.deepEqual(out, [
    "embedding-bench onnx-cpp c=1 batch 1",
    `${failed(0)}  (repeats are counted, not shown)`,
    `time="x" level=warning msg="The test has generated metrics with 100 unique time series"  (repeats are counted, not shown)`,
    `"Request Failed" ×5 (every one in /r/k6/x-c1.log)`,
  ]);
  assert.equal(warningKind("plain line"), null);
});

test("K6Console hides k6's interrupt error only when the level was ended on purpose", () => {
  const out: string[] = [];
  const c = new K6Console((l) => out.push(l));
  const line = `time="x" level=error msg="test run was aborted because k6 received a 'interrupt' signal"`;
  c.line(line);
  c.expectInterrupt();
  c.line(line);
  assert.deepEqual(out, [line]);
});
