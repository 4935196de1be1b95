import assert from "node:assert/strict";
import { test } from "node:test";
import { flagWords, levelValidity, VALIDITY_RULES } from "./validity.ts";

const base = {
  okRequests: 5000,
  clientCpuPercent: 20,
  clientCpus: 1,
  clientCpusBusyPercent: 25,
  serverCpuPercent: 95,
  machineCpuPercent: 120,
  stalled: false,
  unstable: false,
  saturated: false,
};

test("percentiles need enough successful requests: 1,000 for p99, 10,000 for p99.9 (boundaries included)", () => {
  assert.equal(levelValidity({ ...base, okRequests: 999 }).p99_enough_samples, false);
  assert.equal(levelValidity({ ...base, okRequests: 1000 }).p99_enough_samples, true);
  assert.equal(levelValidity({ ...base, okRequests: 9999 }).p999_enough_samples, false);
  assert.equal(levelValidity({ ...base, okRequests: 10000 }).p999_enough_samples, true);
});

test("client-bound when the CPUs k6 may use were 90 % or more busy, by k6 or by anything else", () => {
  assert.equal(levelValidity({ ...base, clientCpusBusyPercent: 89.9 }).client_bound, false);
  assert.equal(levelValidity({ ...base, clientCpusBusyPercent: 90 }).client_bound, true);
  assert.equal(levelValidity({ ...base, clientCpuPercent: 40, clientCpusBusyPercent: 99 }).client_bound, true, "k6 starved by another process");
  assert.equal(levelValidity({ ...base, clientCpusBusyPercent: 150, clientCpus: 2 }).client_bound, false, "two CPUs: 180 % is the bound");
  assert.equal(levelValidity({ ...base, clientCpusBusyPercent: 180, clientCpus: 2 }).client_bound, true);
});

test("noisy when processes other than the server and the load engine used more than a fifth of a CPU", () => {
  const quiet = levelValidity({ ...base, machineCpuPercent: 95 + 20 + VALIDITY_RULES.noisyOtherCpuPercent });
  assert.equal(quiet.noisy, false);
  assert.equal(quiet.other_cpu_percent, 20);
  const busy = levelValidity({ ...base, machineCpuPercent: 95 + 20 + 80 });
  assert.equal(busy.noisy, true);
  assert.equal(busy.other_cpu_percent, 80);
  assert.equal(levelValidity({ ...base, machineCpuPercent: 50 }).other_cpu_percent, 0, "never negative");
});

test("flagWords lists what is wrong with a level, nothing for a clean one", () => {
  assert.deepEqual(flagWords(levelValidity(base)), []);
  assert.deepEqual(flagWords(levelValidity({ ...base, stalled: true, unstable: true, saturated: true, clientCpusBusyPercent: 95, machineCpuPercent: 400 })), [
    "saturated",
    "stalled",
    "unstable",
    "client-bound",
    "noisy",
  ]);
});
