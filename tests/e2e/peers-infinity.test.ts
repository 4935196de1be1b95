// The managed peer infinity-emb, both engines (servers/infinity: torch, servers/infinity-optimum:
// ONNX Runtime), started through the suite's launcher: the orchestrator's verify code passes against
// the model's reference through the openai adapter, and OpenAI's official client (npm `openai`) gets
// the same vectors. One server start per engine, no load.
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { manifestApi } from "../../orchestrator/sweep/api-client.ts";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { cosine, loadProbes, norm, verifyServer } from "../../orchestrator/sweep/verify.ts";
import { startServer, type RunningServer } from "./servers.ts";

const config = loadSuiteConfig(ROOT);
const MODEL = config.benchmark.default_model;
const spec = getModel(config, MODEL);

/** Every file under `dir` with its size and mtime: the model folder must come out of a start as it went in. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .sort()
    .map((f) => {
      const s = statSync(path.join(dir, f));
      return `${f} ${s.size} ${s.mtimeMs}`;
    });
}

for (const name of ["infinity", "infinity-optimum"]) {
  describe(name, { timeout: 900_000 }, () => {
    const framework = config.servers.find((s) => s.manifest.name === name)!;
    let model: PreparedModel;
    let files: string[];
    let server: RunningServer;
    let probes: ReturnType<typeof loadProbes>;

    before(async () => {
      model = await ensureModel(MODEL, spec);
      probes = loadProbes(model.dir);
      files = snapshot(model.dir);
      server = await startServer(framework, model, config.benchmark.health_timeout_s * 1000);
    });

    after(async () => {
      await server?.proc.stop(config.benchmark.stop_timeout_s);
    });

    test("a peer: OpenAI's API, named by its manifest", () => {
      assert.equal(framework.manifest.api.name, "openai");
      assert.equal(framework.manifest.health_path, "/health");
    });

    test("the orchestrator's verification passes against the reference (long probe truncated as sentence-transformers does)", async () => {
      const v = await verifyServer(server.base, probes, {
        minCosine: config.benchmark.verify_min_cosine[framework.manifest.precision],
        timeoutMs: config.benchmark.request_timeout_s * 1000,
        api: manifestApi(framework.manifest.api),
      });
      assert.equal(v.passed, true, v.reason ?? "");
      assert.ok(v.min_cosine! >= 0.9999, String(v.min_cosine));
      assert.equal(v.probes, probes.texts.length);
    });

    test("the official openai client gets the reference vectors, in order, as floats and as base64", async () => {
      const client = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "not-checked", maxRetries: 0 });
      const input = probes.texts.slice(0, 5);
      for (const encoding_format of ["float", undefined] as const) {
        const res = await client.embeddings.create({ model: MODEL, input, ...(encoding_format ? { encoding_format } : {}) });
        assert.equal(res.model, MODEL, "served under the model's key");
        assert.equal(res.data.length, input.length);
        res.data.forEach((d, i) => {
          assert.equal(d.index, i);
          assert.equal(d.embedding.length, spec.embedding_dim);
          assert.ok(Math.abs(norm(d.embedding) - 1) < 1e-3);
          assert.ok(cosine(d.embedding, probes.embeddings[i]!) >= 0.9999, `${encoding_format ?? "base64"} ${i}: ${cosine(d.embedding, probes.embeddings[i]!)}`);
        });
      }
    });

    test("the prepared model folder is left as it was", () => {
      assert.deepEqual(snapshot(model.dir), files);
    });
  });
}
