// The contract document (openapi.yaml) as data, and its components.schemas compiled by Ajv
// (JSON Schema 2020-12, the dialect of OpenAPI 3.1), so the conformance suite checks answers
// against the document rather than a second copy of it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";

export const CONTRACT_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "openapi.yaml");

export interface Contract {
  components: { schemas: Record<string, Record<string, unknown>> };
  paths: Record<string, Record<string, unknown>>;
  /** One compiled validator per schema of components.schemas. */
  validators: Record<string, ValidateFunction>;
}

export function loadContract(file = CONTRACT_FILE): Contract {
  const doc = parseYaml(readFileSync(file, "utf8")) as Omit<Contract, "validators">;
  const ajv = new Ajv2020({ allErrors: true });
  // The schemas keep their place in the document, so `$ref: '#/components/schemas/X'` resolves
  // as written; "components" is the one non-schema keyword on the way to them.
  ajv.addKeyword("components");
  const id = "embedding-bench-contract";
  ajv.addSchema({ $id: id, components: doc.components }, id);
  const validators: Record<string, ValidateFunction> = {};
  for (const name of Object.keys(doc.components.schemas)) {
    const validate = ajv.getSchema(`${id}#/components/schemas/${name}`);
    if (!validate) throw new Error(`${file}: components.schemas.${name} did not compile`);
    validators[name] = validate;
  }
  return { ...doc, validators };
}

/** Problems of `value` against components.schemas[name], each as "<JSON pointer>: <Ajv message>"; empty when it conforms. */
export function conforms(contract: Contract, name: string, value: unknown): string[] {
  const validate = contract.validators[name];
  if (!validate) throw new Error(`${CONTRACT_FILE}: no schema components.schemas.${name}`);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    const detail = e.keyword === "enum" ? ` ${JSON.stringify(e.params.allowedValues)}` : "";
    return `$${e.instancePath}: ${e.message}${detail}`;
  });
}

/**
 * The metric families every server of the contract writes (openapi.yaml, GET /metrics), by type.
 * Every server has both gauges: a server without a dynamic batcher still queues the requests beyond
 * WORKERS, and embed_queue_depth counts them; both are 0 when no request is being served.
 */
export const METRIC_FAMILIES = {
  embed_requests_total: "counter",
  embed_errors_total: "counter",
  embed_embeddings_total: "counter",
  embed_inference_ms: "histogram",
  embed_queue_ms: "histogram",
  embed_batch_texts: "histogram",
  embed_in_flight: "gauge",
  embed_queue_depth: "gauge",
} as const;
