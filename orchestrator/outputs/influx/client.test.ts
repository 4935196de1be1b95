import assert from "node:assert/strict";
import { test } from "node:test";
import { parseInfluxUrl } from "./client.ts";

test("the URL names origin and database, as k6's --out influxdb= does", () => {
  const t = parseInfluxUrl("http://127.0.0.1:8086/embedding_bench");
  assert.equal(t.origin, "http://127.0.0.1:8086");
  assert.equal(t.database, "embedding_bench");
  assert.equal(t.authorization, null);
  assert.equal(t.url, "http://127.0.0.1:8086/embedding_bench");
});

test("credentials in the URL become basic auth", () => {
  const t = parseInfluxUrl("https://k6:s%3Acret@influx.example:8086/bench/");
  assert.equal(t.origin, "https://influx.example:8086");
  assert.equal(t.database, "bench");
  assert.equal(t.authorization, `Basic ${Buffer.from("k6:s:cret").toString("base64")}`);
});

test("bad URLs say what is expected", () => {
  assert.throws(() => parseInfluxUrl("localhost:8086"), /scheme must be http/);
  assert.throws(() => parseInfluxUrl("not a url"), /not a URL/);
  assert.throws(() => parseInfluxUrl("http://127.0.0.1:8086"), /path must name the database/);
  assert.throws(() => parseInfluxUrl("http://127.0.0.1:8086/a/b"), /path must name the database/);
  assert.throws(() => parseInfluxUrl("http://127.0.0.1:8086/db?u=x"), /no query string/);
});
