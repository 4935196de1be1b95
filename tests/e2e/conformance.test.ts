// The contract's conformance suite (servers/contract/openapi.yaml), run against every server found
// by manifest (servers/*/manifest.yaml, plus EMBEDDING_BENCH_EXTRA_SERVERS): each is prepared the
// way the orchestrator prepares it (venv or cached native build), started once on the real model,
// put through every check, and stopped; then started once more with THREADS and WORKERS unset, for
// the default layout every server shares. Peers (servers of another API, e.g. Triton) do not speak
// the contract; their own tests check them.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { conforms, loadContract, METRIC_FAMILIES } from "../../servers/contract/contract.ts";
import { parseExposition, shapes, total, type FamilyShape } from "../../servers/contract/prometheus.ts";
import { getModel, loadSuiteConfig } from "../../orchestrator/plan/config.ts";
import { allowedCpus } from "../../orchestrator/platform/affinity.ts";
import type { ServerProcess } from "../../orchestrator/launch/process.ts";
import { ensureModel, type PreparedModel } from "../../orchestrator/models/prepare-model.ts";
import { ROOT } from "../../orchestrator/platform/paths.ts";
import { apiTarget } from "../../orchestrator/sweep/api-client.ts";
import { cosine, loadProbes, norm, verifyServer } from "../../orchestrator/sweep/verify.ts";
import { call, startServer, type Reply } from "./servers.ts";

const contract = loadContract();
const config = loadSuiteConfig(ROOT);
const servers = config.servers.filter((s) => s.manifest.api.name === "embed");
const MODEL = config.benchmark.default_model;
const spec = getModel(config, MODEL);
const HEALTH_TIMEOUT_MS = config.benchmark.health_timeout_s * 1000;
// Documented defaults (openapi.yaml) for servers whose /info does not report their limits.
const DEFAULT_MAX_TEXTS = 256;
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const CONCURRENT_REQUESTS = 16;

const embedBody = (texts: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ texts, ...extra });

async function embed(base: string, texts: string[], normalize?: boolean): Promise<number[][]> {
  const r = await call(`${base}/embed`, { method: "POST", body: embedBody(texts, normalize === undefined ? {} : { normalize }) });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.deepEqual(conforms(contract, "EmbedResponse", r.json), []);
  return (r.json as { embeddings: number[][] }).embeddings;
}

/** Deterministic texts of different lengths, so a batch needs padding. */
function texts(n: number, seed: number): string[] {
  const words = ["vector", "search", "latency", "tokenizer", "batch", "server", "model", "cosine", "throughput", "queue", "thread", "worker"];
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: 3 + ((i * 7 + seed) % 29) }, (_, j) => words[(i * 5 + j * 3 + seed) % words.length]).join(" "),
  );
}

/** Each server's metric families (name → type, help, label names, buckets), for the comparison after the last server. */
const metricShapes = new Map<string, Record<string, FamilyShape>>();

/** One request through node:http, for methods fetch will not send (TRACE). */
function rawCall(url: string, method: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 30_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, text, json });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within 30 s`)));
    req.on("error", reject);
    req.end();
  });
}

let model: PreparedModel;
before(async () => {
  model = await ensureModel(MODEL, spec);
});

for (const server of servers) {
  const m = server.manifest;
  describe(`contract: ${m.name} (${m.language}, ${m.runtime})`, { timeout: 900_000 }, () => {
    let proc: ServerProcess | undefined;
    let base = "";
    let preHealth: Reply[] = [];
    let info: Record<string, unknown> = {};
    // The same text's vector from another call: equal (cosine 0.9999) in fp32. A reduced-precision server
    // may differ by batch (ONNX Runtime's dynamic INT8 quantises a call's activations with one scale for
    // the whole batch: 0.9989 measured), so it is held to its precision's verify tolerance, and to being
    // nearer its own text's vector than any other text's.
    const sameText = m.precision === "fp32" ? 0.9999 : config.benchmark.verify_min_cosine[m.precision];
    function assertOwnVector(got: number[], candidates: number[][], own: number, what: string): void {
      const cosines = candidates.map((c) => cosine(got, c));
      assert.ok(cosines[own]! > sameText, `${what}: cosine ${cosines[own]} with its own text's vector`);
      assert.equal(cosines.indexOf(Math.max(...cosines)), own, `${what}: nearer another text's vector than its own`);
    }

    before(async () => {
      // Every server runs the same layout here (--layout 1x1): /info must show it was honoured.
      ({ base, proc, preHealth } = await startServer(server, model, HEALTH_TIMEOUT_MS, { [m.threads_env]: "1", [m.workers_env]: "1" }));
    });

    after(async () => {
      if (proc) await proc.stop(config.benchmark.stop_timeout_s);
    });

    /** After every error case: still healthy. */
    async function assertHealthy(): Promise<void> {
      const r = await call(`${base}/health`);
      assert.equal(r.status, 200, `${m.name} is not healthy after the request: ${r.text}\n${proc?.logTail()}`);
      assert.deepEqual(r.json, { status: "healthy" });
    }

    async function assertError(r: Reply, status: number): Promise<void> {
      assert.equal(r.status, status, r.text.slice(0, 300));
      assert.match(r.headers.get("content-type") ?? "", /application\/json/);
      assert.deepEqual(conforms(contract, "Error", r.json), [], r.text.slice(0, 300));
      await assertHealthy();
    }

    test("/health: 503 JSON while loading (if it answered before), then 200 healthy", async () => {
      for (const r of preHealth) {
        assert.equal(r.status, 503, `before load: ${r.status} ${r.text}`);
        assert.deepEqual(conforms(contract, "Health", r.json), []);
        assert.notEqual((r.json as { status: string }).status, "healthy");
      }
      await assertHealthy();
    });

    test("/info: every required field, matching the manifest and the model", async () => {
      const r = await call(`${base}/info`);
      assert.equal(r.status, 200);
      assert.deepEqual(conforms(contract, "Info", r.json), []);
      info = r.json as Record<string, unknown>;
      assert.equal(info["framework"], m.name);
      assert.equal(info["language"], m.language);
      assert.equal(info["model_name"], MODEL);
      assert.equal(info["embedding_dim"], spec.embedding_dim);
      assert.equal(info["max_seq_length"], spec.max_seq_length);
      assert.ok((info["model_load_time_ms"] as number) > 0);
      assert.equal(info["threads"], 1, "THREADS=1: one intra-op thread per model call");
      assert.equal(info["workers"], 1, "WORKERS=1: one model call at a time");
    });

    test("/embed: shape, dimension, headers, and vectors equal to the reference", async () => {
      const r = await call(`${base}/embed`, { method: "POST", body: embedBody(["hello world"]) });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.deepEqual(conforms(contract, "EmbedResponse", r.json), []);
      const body = r.json as { embeddings: number[][]; dim: number; num_embeddings: number; model: string; inference_time_ms: number };
      assert.equal(body.embeddings.length, 1);
      assert.equal(body.embeddings[0]!.length, spec.embedding_dim);
      assert.equal(body.dim, spec.embedding_dim);
      assert.equal(body.num_embeddings, 1);
      assert.equal(body.model, MODEL);
      const header = Number(r.headers.get("x-inference-time"));
      assert.ok(Number.isFinite(header) && header > 0, `x-inference-time ${r.headers.get("x-inference-time")}`);
      const verification = await verifyServer(base, loadProbes(model.dir), { minCosine: config.benchmark.verify_min_cosine[m.precision], timeoutMs: 60_000 });
      assert.equal(verification.passed, true, verification.reason ?? "");
    });

    test("unit norm by default and with normalize: true; normalize: false keeps the direction", async () => {
      const [byDefault] = await embed(base, ["the quick brown fox"]);
      const [normalized] = await embed(base, ["the quick brown fox"], true);
      const [raw] = await embed(base, ["the quick brown fox"], false);
      assert.ok(Math.abs(norm(byDefault!) - 1) < 1e-3, `norm ${norm(byDefault!)}`);
      assert.ok(Math.abs(norm(normalized!) - 1) < 1e-3, `norm ${norm(normalized!)}`);
      assert.ok(cosine(raw!, normalized!) > 0.9999);
    });

    test("identical input gives identical vectors (repeated request, duplicates in a batch)", async () => {
      const [a] = await embed(base, ["determinism matters"]);
      const [b] = await embed(base, ["determinism matters"]);
      const [c, other, d] = await embed(base, ["determinism matters", "something else entirely, and longer", "determinism matters"]);
      const maxDiff = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
      assert.ok(maxDiff(a!, b!) <= 1e-6, `repeated request differs by ${maxDiff(a!, b!)}`);
      assert.ok(maxDiff(c!, d!) <= 1e-6, `duplicates in one batch differ by ${maxDiff(c!, d!)}`);
      assertOwnVector(c!, [a!, other!], 0, "alone vs in a padded batch");
      assert.ok(cosine(c!, other!) < 0.99, "different texts give different vectors");
    });

    test("a batch of many returns one vector per text, in order, equal to each text alone", async () => {
      const batch = texts(24, 1);
      const many = await embed(base, batch);
      assert.equal(many.length, batch.length);
      for (const i of [0, 5, 17, 23]) {
        const [alone] = await embed(base, [batch[i]!]);
        assertOwnVector(alone!, many, i, `text ${i} alone vs in the batch`);
      }
      const maxTexts = (info["max_texts"] as number | undefined) ?? DEFAULT_MAX_TEXTS;
      const full = await embed(
        base,
        Array.from({ length: maxTexts }, (_, i) => `text number ${i}`),
      );
      assert.equal(full.length, maxTexts, "exactly MAX_TEXTS texts are accepted");
    });

    test("errors: bad JSON, wrong shapes, empty and non-string texts → 400 JSON, still healthy", async () => {
      const post = (body: string) => call(`${base}/embed`, { method: "POST", body });
      await assertError(await post("{not json"), 400);
      await assertError(await post(""), 400);
      await assertError(await post("[]"), 400);
      await assertError(await post("{}"), 400);
      await assertError(await post(embedBody([])), 400);
      await assertError(await post(embedBody("just a string")), 400);
      await assertError(await post(embedBody(["ok", 3])), 400);
      await assertError(await post(embedBody([null])), 400);
      await assertError(await post(embedBody(["ok"], { normalize: "yes" })), 400);
    });

    test("errors: too many texts and a body too large → 413 JSON, still healthy", async () => {
      const maxTexts = (info["max_texts"] as number | undefined) ?? DEFAULT_MAX_TEXTS;
      const maxBody = (info["max_body_bytes"] as number | undefined) ?? DEFAULT_MAX_BODY_BYTES;
      await assertError(await call(`${base}/embed`, { method: "POST", body: embedBody(Array.from({ length: maxTexts + 1 }, () => "x")) }), 413);
      await assertError(await call(`${base}/embed`, { method: "POST", body: embedBody(["a".repeat(maxBody + 1)]) }), 413);
    });

    test("errors: a batch over MAX_BATCH_TOKENS → 413 with the budget in the message, still healthy", async () => {
      const budget = info["max_batch_tokens"];
      assert.equal(typeof budget, "number", "/info reports max_batch_tokens");
      // Texts of max_seq_length tokens each (truncated), one more than the budget holds.
      const texts = Array.from({ length: Math.floor((budget as number) / spec.max_seq_length) + 1 }, (_, i) => `word${i} `.repeat(spec.max_seq_length));
      const r = await call(`${base}/embed`, { method: "POST", body: embedBody(texts) });
      assert.match((r.json as { error?: string } | undefined)?.error ?? r.text, /^too many tokens: \d+ > \d+ \(MAX_BATCH_TOKENS\)$/);
      await assertError(r, 413);
    });

    test("errors: unknown route → 404 JSON, wrong method → 405 JSON (TRACE too), still healthy", async () => {
      await assertError(await call(`${base}/no-such-route`), 404);
      await assertError(await call(`${base}/no-such-route`, { method: "POST", body: "{}" }), 404);
      await assertError(await call(`${base}/embed`), 405);
      await assertError(await call(`${base}/health`, { method: "POST", body: "{}" }), 405);
      // fetch refuses to send TRACE: node:http sends it as any client may.
      for (const path of ["/health", "/embed"]) await assertError(await rawCall(`${base}${path}`, "TRACE"), 405);
    });

    test(`${CONCURRENT_REQUESTS} concurrent requests are all answered with their own vectors`, async () => {
      const inputs = texts(CONCURRENT_REQUESTS, 3);
      const expected: number[][] = [];
      for (const t of inputs) expected.push((await embed(base, [t]))[0]!);
      const answers = await Promise.all(inputs.map((t, i) => embed(base, i % 3 === 0 ? [t, "padding partner text"] : [t])));
      answers.forEach((a, i) => assertOwnVector(a[0]!, expected, i, `request ${i}`));
      await assertHealthy();
    });

    test("/v1/embeddings: OpenAI's shape, the /embed vectors in index order, usage, base64, and the reference", async () => {
      const batch = ["hello world", "a longer text that needs more tokens than the first one"];
      const r = await call(`${base}/v1/embeddings`, { method: "POST", body: JSON.stringify({ input: batch, model: spec.huggingface_id }) });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.deepEqual(conforms(contract, "OpenAIEmbeddingResponse", r.json), []);
      assert.ok(Number(r.headers.get("x-inference-time")) > 0);
      const body = r.json as { data: { index: number; embedding: number[] }[]; model: string; usage: { prompt_tokens: number; total_tokens: number } };
      assert.deepEqual(
        body.data.map((d) => d.index),
        [0, 1],
      );
      assert.equal(body.model, MODEL);
      const viaEmbed = await embed(base, batch);
      body.data.forEach((d, i) => assert.ok(cosine(d.embedding, viaEmbed[i]!) > 0.99999, `item ${i}`));
      // [CLS] hello world [SEP] = 4, plus the second text's; the same count as MAX_BATCH_TOKENS.
      assert.ok(body.usage.prompt_tokens > 8 && body.usage.total_tokens === body.usage.prompt_tokens, JSON.stringify(body.usage));
      const one = await call(`${base}/v1/embeddings`, { method: "POST", body: JSON.stringify({ input: "hello world", model: "x" }) });
      assert.equal((one.json as typeof body).usage.prompt_tokens, 4, one.text.slice(0, 300));
      const b64 = await call(`${base}/v1/embeddings`, { method: "POST", body: JSON.stringify({ input: ["hello world"], encoding_format: "base64" }) });
      const encoded = (b64.json as { data: { embedding: string }[] }).data[0]!.embedding;
      const decoded = [...new Float32Array(new Uint8Array(Buffer.from(encoded, "base64")).buffer)];
      assert.deepEqual(
        decoded,
        (one.json as typeof body).data[0]!.embedding.map((x) => Math.fround(x)),
        "base64 holds the same float32 values",
      );
      const verification = await verifyServer(base, loadProbes(model.dir), {
        minCosine: config.benchmark.verify_min_cosine[m.precision],
        timeoutMs: 60_000,
        api: apiTarget("openai", { model: spec.huggingface_id }),
      });
      assert.equal(verification.passed, true, verification.reason ?? "");
    });

    test("/v1/embeddings errors: OpenAI's error object with the same statuses, still healthy", async () => {
      const post = (body: unknown) => call(`${base}/v1/embeddings`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
      const openaiError = async (r: Reply, status: number, message: RegExp) => {
        assert.equal(r.status, status, r.text.slice(0, 300));
        assert.deepEqual(conforms(contract, "OpenAIError", r.json), [], r.text.slice(0, 300));
        assert.match((r.json as { error: { message: string } }).error.message, message);
        await assertHealthy();
      };
      await openaiError(await post("{not json"), 400, /^body is not valid JSON/);
      await openaiError(await post({ model: "m" }), 400, /^'input' must be a non-empty list of strings$/);
      await openaiError(await post({ input: [] }), 400, /^'input' must be a non-empty list of strings$/);
      await openaiError(await post({ input: [1, 2] }), 400, /^every item of 'input' must be a string$/);
      await openaiError(await post({ input: ["x"], model: 5 }), 400, /^'model' must be a string$/);
      await openaiError(await post({ input: ["x"], encoding_format: "int8" }), 400, /^'encoding_format' must be 'float' or 'base64'$/);
      await openaiError(await post({ input: ["x"], dimensions: 8 }), 400, new RegExp(`^'dimensions' must be ${spec.embedding_dim} `));
      const maxTexts = (info["max_texts"] as number | undefined) ?? DEFAULT_MAX_TEXTS;
      await openaiError(
        await post({ input: Array.from({ length: maxTexts + 1 }, () => "x") }),
        413,
        new RegExp(`^too many texts: ${maxTexts + 1} > ${maxTexts}$`),
      );
      await assertError(await call(`${base}/v1/embeddings`), 405);
    });

    /** embed_in_flight and embed_queue_depth from one scrape. */
    async function gauges(): Promise<{ in_flight: number; queue_depth: number }> {
      const r = await call(`${base}/metrics`);
      assert.equal(r.status, 200, r.text.slice(0, 300));
      const families = parseExposition(r.text);
      return { in_flight: total(families, "embed_in_flight"), queue_depth: total(families, "embed_queue_depth") };
    }

    test("gauges: two requests at once on one worker are 2 in flight, 1 of them queued", async () => {
      // WORKERS=1: one request's model call waits for the other's, and that wait lasts the whole call,
      // so a scrape during it reads exactly 2 in flight and 1 queued. A batching server cannot merge
      // them: together they hold more than MAX_BATCH_SIZE texts. Should both end before a scrape
      // saw that, the calls were too short for this machine: the next try carries twice the tokens.
      const maxBatch = (info["batching"] as { max_batch_size?: number } | null | undefined)?.max_batch_size ?? 1;
      const maxTexts = (info["max_texts"] as number | undefined) ?? DEFAULT_MAX_TEXTS;
      const budget = info["max_batch_tokens"] as number;
      // Texts of at most max_seq_length tokens each (longer ones are cut), at least half a batch plus one.
      const textsFor = (tokens: number) => Math.max(Math.floor(maxBatch / 2) + 1, Math.ceil(tokens / spec.max_seq_length));
      const fits = (tokens: number) => textsFor(tokens) <= maxTexts && textsFor(tokens) * spec.max_seq_length <= budget;
      const seen: string[] = [];
      for (let tokens = 1024; ; tokens *= 2) {
        const n = textsFor(tokens);
        const words = Math.ceil(tokens / n);
        const body = embedBody(Array.from({ length: n }, (_, i) => `${i} ${"word ".repeat(words)}`));
        let done = false;
        const both = Promise.all([0, 1].map(() => call(`${base}/embed`, { method: "POST", body }))).finally(() => {
          done = true;
        });
        let caught = false;
        while (!done && !caught) {
          const g = await gauges();
          const reading = `${g.in_flight}/${g.queue_depth}`;
          if (seen.at(-1) !== reading) seen.push(reading);
          caught = g.in_flight === 2 && g.queue_depth === 1;
          if (!caught) await new Promise((resolve) => setTimeout(resolve, 5));
        }
        for (const r of await both) assert.equal(r.status, 200, r.text.slice(0, 300));
        if (caught) break;
        assert.ok(
          fits(tokens * 2),
          `no scrape saw 2 in flight and 1 queued, up to ${tokens} tokens a request; in_flight/queue_depth as read: ${seen.join(" ")}`,
        );
        seen.push("|");
      }
      assert.deepEqual(await gauges(), { in_flight: 0, queue_depth: 0 }, "both answered: nothing in flight or queued");
    });

    test("/metrics: Prometheus text with every family of the contract, by type; the gauges 0 when idle", async () => {
      const r = await call(`${base}/metrics`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /text\/plain/);
      const families = parseExposition(r.text);
      const shape = shapes(families);
      metricShapes.set(m.name, shape);
      for (const [name, type] of Object.entries(METRIC_FAMILIES)) assert.equal(shape[name]?.type, type, `${name}: ${type}\n${r.text}`);
      // Every request of the tests above has been answered.
      assert.equal(total(families, "embed_in_flight"), 0, "embed_in_flight when idle");
      assert.equal(total(families, "embed_queue_depth"), 0, "embed_queue_depth when idle");
      for (const f of families.values()) {
        for (const sample of f.samples) assert.equal(sample.labels["framework"], m.name, `${sample.name} ${JSON.stringify(sample.labels)}`);
      }
      // Python servers with several processes sum them (prometheus-client's multiprocess mode): any scrape counts all.
      assert.ok(total(families, "embed_inference_ms", "embed_inference_ms_count") >= 1, "inference observed");
      assert.ok(total(families, "embed_errors_total") >= 1, "errors counted");
    });
  });

  describe(`default layout: ${m.name}`, { timeout: 900_000 }, () => {
    test("THREADS and WORKERS unset: one single-threaded model call per CPU of its affinity, in /info", async () => {
      // Empty means unset in every server; it also masks THREADS / WORKERS of the shell running the tests.
      const { base, proc } = await startServer(server, model, HEALTH_TIMEOUT_MS, { [m.threads_env]: "", [m.workers_env]: "" });
      try {
        const r = await call(`${base}/info`);
        assert.deepEqual(conforms(contract, "Info", r.json), []);
        const info = r.json as Record<string, unknown>;
        const cpus = allowedCpus().length;
        assert.equal(info["cpu_count"], cpus, "cpu_count: the CPUs of the server's affinity (inherited from this process)");
        assert.deepEqual({ threads: info["threads"], workers: info["workers"] }, { threads: 1, workers: cpus });
      } finally {
        await proc.stop(config.benchmark.stop_timeout_s);
      }
    });
  });
}

describe("metric families", () => {
  test("every server exposes the same families with the same type, help, label names and buckets", () => {
    const missing = servers.map((sv) => sv.manifest.name).filter((name) => !metricShapes.has(name));
    assert.deepEqual(missing, [], "servers whose /metrics was not read (their /metrics test failed or did not run)");
    // The reference is servers/pycommon/embedserver/metrics.py, i.e. the first Python server.
    const [refName, ref] =
      [...metricShapes].find(([name]) => servers.find((sv) => sv.manifest.name === name)?.manifest.language === "Python") ?? [...metricShapes][0]!;
    for (const [name, shape] of metricShapes) assert.deepEqual(shape, ref, `${name}'s metric families differ from ${refName}'s`);
  });
});
