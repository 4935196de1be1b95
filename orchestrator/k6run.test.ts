import assert from "node:assert/strict";
import { test } from "node:test";
import { webDashboardEnv } from "./k6run.ts";

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
