// wrk's Lua script (bodies in order, or one fixed body) and the figures its done() prints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWrkOutput, wrkErrors, wrkScript, WRK_MARKER } from "./wrk.ts";

test("done()'s line: counts, duration and µs latencies become req/s and ms", () => {
  const out = [
    "Running 10s test @ http://127.0.0.1:8080/embed",
    "  1 threads and 4 connections",
    `${WRK_MARKER}{"requests":50000,"duration_us":10000000,"bytes":240000000,"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":0},"latency_us":{"mean":81.500,"p50":75,"p90":120,"p99":410,"max":9000}}`,
    "",
  ].join("\n");
  const f = parseWrkOutput(out);
  assert.equal(f.rps, 5000);
  assert.equal(f.durationS, 10);
  assert.deepEqual(f.latencyMs, { mean: 0.082, p50: 0.075, p90: 0.12, p99: 0.41, max: 9 });
  assert.equal(wrkErrors(f), 3);
  assert.throws(() => parseWrkOutput("Requests/sec: 5000\n"), /no WRK_JSON line/);
});

test("the script: one body is wrk's static request; several are sent in turn, built once", () => {
  const one = wrkScript("/embed", ['{"texts":["a"]}']);
  assert.match(one, /wrk\.body = \[=\[\{"texts":\["a"\]\}\]=\]/);
  assert.doesNotMatch(one, /request = function/);
  const many = wrkScript("/embed", ['{"texts":["a"]}', '{"texts":["b ]=] c"]}']);
  assert.match(many, /request = function/);
  assert.match(many, /\[==\[\{"texts":\["b \]=\] c"\]\}\]==\]/, "a body holding ]=] gets a longer bracket");
  assert.match(many, /io\.write/);
});
