import assert from "node:assert/strict";
import { test } from "node:test";
import type Docker from "dockerode";
import { loadSuiteConfig } from "../plan/config.ts";
import { ServerManifest } from "../plan/config-schema.ts";
import { ROOT } from "../platform/paths.ts";
import { containerSpec, imageSource, usageFromStats } from "./docker.ts";

const config = loadSuiteConfig(ROOT);
const onnxRust = config.servers.find((s) => s.manifest.name === "onnx-rust")!;

test("the container spec: image, contract environment, cpuset, memory without swap, loopback port, read-only model", () => {
  process.env["EMBEDDING_BENCH_SECRET_FOR_TEST"] = "host only";
  const spec = containerSpec(
    onnxRust,
    {
      image: "embedding-bench/onnx-rust:src-abc",
      hostPort: 41234,
      cpus: [0, 1, 2, 5],
      memoryMb: 1024,
      modelDir: "/m/all-MiniLM-L6-v2",
      threads: 1,
      workers: 3,
      env: { LOG: "x" },
    },
    "host/42",
  );
  delete process.env["EMBEDDING_BENCH_SECRET_FOR_TEST"];
  assert.deepEqual(spec, {
    Image: "embedding-bench/onnx-rust:src-abc",
    // The host's environment and the manifest's start.env (host paths such as ORT_DYLIB_PATH) stay out.
    Env: ["MODEL_DIR=/model", "HOST=0.0.0.0", "PORT=8000", "THREADS=1", "WORKERS=3", "LOG=x"],
    ExposedPorts: { "8000/tcp": {} },
    Labels: { "embedding-bench.owner": "host/42", "embedding-bench.framework": "onnx-rust" },
    HostConfig: {
      CpusetCpus: "0-2,5",
      Memory: 1024 * 1048576,
      MemorySwap: 1024 * 1048576,
      PortBindings: { "8000/tcp": [{ HostIp: "127.0.0.1", HostPort: "41234" }] },
      Mounts: [{ Type: "bind", Source: "/m/all-MiniLM-L6-v2", Target: "/model", ReadOnly: true }],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
    },
  });
});

test("shared CPUs give no cpuset; the manifest names the threads and workers variables", () => {
  const server = { ...onnxRust, manifest: { ...onnxRust.manifest, threads_env: "OMP_THREADS", workers_env: "POOL" } };
  const spec = containerSpec(server, { image: "i", hostPort: 1, cpus: null, memoryMb: 64, modelDir: "/m", threads: 2, workers: 4 }, "h/1");
  assert.equal("CpusetCpus" in spec.HostConfig!, false);
  assert.deepEqual(spec.Env, ["MODEL_DIR=/model", "HOST=0.0.0.0", "PORT=8000", "OMP_THREADS=2", "POOL=4"]);
});

test("a manifest's metrics.port_env: the server is told the container's metrics port, published on its own loopback port", () => {
  const server = { ...onnxRust, manifest: { ...onnxRust.manifest, metrics: { port_env: "METRICS_PORT", path: "/metrics" } } };
  const spec = containerSpec(server, { image: "i", hostPort: 1, metricsHostPort: 2, cpus: null, memoryMb: 64, modelDir: "/m" }, "h/1");
  assert.deepEqual(spec.Env, ["MODEL_DIR=/model", "HOST=0.0.0.0", "PORT=8000", "METRICS_PORT=8001"]);
  assert.deepEqual(spec.ExposedPorts, { "8000/tcp": {}, "8001/tcp": {} });
  assert.deepEqual(spec.HostConfig!.PortBindings, {
    "8000/tcp": [{ HostIp: "127.0.0.1", HostPort: "1" }],
    "8001/tcp": [{ HostIp: "127.0.0.1", HostPort: "2" }],
  });
});

test("the image is the manifest's repository tagged with a hash of its Dockerfile and include paths", () => {
  const source = imageSource(onnxRust);
  assert.match(source.ref, /^embedding-bench\/onnx-rust:src-[0-9a-f]{16}$/);
  assert.equal(source.context, ROOT);
  assert.equal(source.dockerfile, "servers/onnx-rust/Dockerfile");
  // The Dockerfile is inside an included folder: sent once.
  assert.deepEqual(source.src, ["servers/rust-common", "servers/onnx-rust"]);
  const other = imageSource({
    ...onnxRust,
    manifest: { ...onnxRust.manifest, container: { ...onnxRust.manifest.container!, include: ["servers/rust-common"] } },
  });
  assert.deepEqual(other.src, ["servers/onnx-rust/Dockerfile", "servers/rust-common"]);
  assert.notEqual(other.ref, source.ref);
});

test("every manifest's container section names a Dockerfile inside what it sends to the engine", () => {
  for (const s of config.servers.filter((sv) => sv.manifest.container)) {
    const source = imageSource(s);
    assert.ok(
      source.src.some((p) => source.dockerfile === p || source.dockerfile.startsWith(`${p}/`)),
      s.manifest.name,
    );
  }
});

test("a manifest without a container section cannot run in a container", () => {
  const manifest = ServerManifest.parse({ ...onnxRust.manifest, container: undefined });
  assert.throws(() => imageSource({ ...onnxRust, manifest }), /no container section, so onnx-rust cannot run with --launcher docker/);
});

test("engine stats become a monitor reading: CPU seconds, memory less inactive file cache, the engine's read time", () => {
  const stats = {
    read: "2026-11-30T14:56:00.250Z",
    cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } },
    memory_stats: { usage: 200 * 1048576, stats: { inactive_file: 50 * 1048576 } },
  } as unknown as Docker.ContainerStats;
  assert.deepEqual(usageFromStats(stats), { at: Date.parse("2026-11-30T14:56:00.250Z"), cpuS: 2.5, rss: 150 * 1048576 });
  // podman's answer carries no per-kind breakdown.
  const podman = { ...stats, memory_stats: { usage: 133967872, limit: 1073741824 } } as unknown as Docker.ContainerStats;
  assert.equal(usageFromStats(podman).rss, 133967872);
});
