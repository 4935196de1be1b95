import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { BenchmarkFile, ModelsFile, ServerManifest, type ModelConfig, type Profile } from "./config-schema.ts";
import { pickNamed } from "../platform/suggest.ts";
import { formatZodIssues, UserError } from "../platform/errors.ts";

export function parseYamlText<S extends z.ZodType>(file: string, text: string, schema: S): z.infer<S> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new UserError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new UserError(`invalid configuration\n${formatZodIssues(file, result.error)}`);
  return result.data;
}

export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  if (!existsSync(file)) throw new UserError(`${file}: file not found`);
  return parseYamlText(file, readFileSync(file, "utf8"), schema);
}

export interface DiscoveredServer {
  manifest: ServerManifest;
  /** Absolute path of the server's folder. */
  dir: string;
  manifestPath: string;
}

/** Finds every servers/<name>/manifest.yaml; adding a framework needs no orchestrator change. */
export function discoverServers(serversDir: string): DiscoveredServer[] {
  const found: DiscoveredServer[] = [];
  for (const entry of readdirSync(serversDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifestPath = path.join(serversDir, entry.name, "manifest.yaml");
    if (!existsSync(manifestPath)) continue;
    const manifest = loadYamlFile(manifestPath, ServerManifest);
    if (manifest.name !== entry.name) {
      throw new UserError(`${manifestPath}: name: must equal its folder name '${entry.name}', got '${manifest.name}'`);
    }
    found.push({ manifest, dir: path.join(serversDir, entry.name), manifestPath });
  }
  return found.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

export interface SuiteConfig {
  root: string;
  models: ModelsFile;
  benchmark: BenchmarkFile;
  servers: DiscoveredServer[];
}

export function loadSuiteConfig(root: string): SuiteConfig {
  const models = loadYamlFile(path.join(root, "config", "models.yaml"), ModelsFile);
  const benchmarkPath = path.join(root, "config", "benchmark.yaml");
  const benchmark = loadYamlFile(benchmarkPath, BenchmarkFile);
  if (!(benchmark.default_model in models.models)) {
    throw new UserError(
      `${benchmarkPath}: default_model: '${benchmark.default_model}' is not in config/models.yaml (known: ${Object.keys(models.models).join(", ")})`,
    );
  }
  // EMBEDDING_BENCH_EXTRA_SERVERS: more folders of server folders (out-of-tree frameworks, test doubles).
  const extra = (process.env["EMBEDDING_BENCH_EXTRA_SERVERS"] ?? "").split(path.delimiter).filter(Boolean);
  const servers = [path.join(root, "servers"), ...extra].flatMap((dir) => discoverServers(dir));
  const seen = new Map<string, string>();
  for (const s of servers) {
    const other = seen.get(s.manifest.name);
    if (other) throw new UserError(`${s.manifestPath}: name: '${s.manifest.name}' is already defined by ${other}`);
    seen.set(s.manifest.name, s.manifestPath);
    const unknown = Object.keys(s.manifest.cannot_serve).filter((key) => !(key in models.models));
    if (unknown.length) throw new UserError(`${s.manifestPath}: cannot_serve: ${unknown.join(", ")} not in config/models.yaml`);
  }
  return { root, models, benchmark, servers };
}

export function getModel(config: SuiteConfig, key: string): ModelConfig {
  return catalogueModel(config.models, key);
}

/** The catalogue entry `key`, or a UserError listing the catalogue with the closest keys. */
export function catalogueModel(catalogue: ModelsFile, key: string): ModelConfig {
  return pickNamed("model", key, catalogue.models, "config/models.yaml");
}

/** The profile --profile names (default: default_profile), or a UserError listing the defined ones. */
export function selectProfile(benchmark: BenchmarkFile, wanted: string | undefined): { name: string; profile: Profile } {
  const name = wanted ?? benchmark.default_profile;
  return { name, profile: pickNamed("profile", name, benchmark.profiles, "config/benchmark.yaml") };
}

/** The frameworks --frameworks names, in that order (default: all), or a UserError for the first unknown one. */
export function selectFrameworks(all: readonly DiscoveredServer[], wanted: readonly string[] | undefined): DiscoveredServer[] {
  if (!wanted) return [...all];
  const byName = Object.fromEntries(all.map((s) => [s.manifest.name, s]));
  return wanted.map((name) => pickNamed("framework", name, byName, "servers/*/manifest.yaml"));
}
