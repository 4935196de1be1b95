// The contract document (openapi.yaml) as data, and a validator for the JSON-schema subset it uses
// (type, required, properties, items, enum, minimum, minItems, maxItems, minLength, $ref), so the
// conformance suite checks answers against the document rather than a second copy of it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

export const CONTRACT_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "openapi.yaml");

export interface Schema {
  $ref?: string;
  type?: string | string[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
}

export interface Contract {
  components: { schemas: Record<string, Schema> };
  paths: Record<string, Record<string, unknown>>;
}

export function loadContract(file = CONTRACT_FILE): Contract {
  return parseYaml(readFileSync(file, "utf8")) as Contract;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(want: string, value: unknown): boolean {
  const got = typeOf(value);
  return want === got || (want === "number" && got === "integer");
}

/** Problems of `value` against `schema`, each naming the JSON path; empty when it conforms. */
export function validate(contract: Contract, schema: Schema, value: unknown, at = "$"): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = contract.components.schemas[name];
    if (!target) throw new Error(`unknown $ref ${schema.$ref} in ${CONTRACT_FILE}`);
    return validate(contract, target, value, at);
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, value))) return [`${at}: expected ${types.join(" | ")}, got ${typeOf(value)}`];
  }
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) problems.push(`${at}: ${value} < minimum ${schema.minimum}`);
  if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${at}: shorter than ${schema.minLength}`);
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => problems.push(...validate(contract, schema.items!, v, `${at}[${i}]`)));
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) problems.push(`${at}: missing required '${key}'`);
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in obj) problems.push(...validate(contract, sub, obj[key], `${at}.${key}`));
    }
  }
  return problems;
}

/** Validates against a named schema of components.schemas. */
export function conforms(contract: Contract, name: string, value: unknown): string[] {
  return validate(contract, { $ref: `#/components/schemas/${name}` }, value);
}
