// The one command-line parser of the suite's CLIs (bench:k6, bench:overhead, models). A zod object
// schema is the single source: each flag's arity, value type, allowed values, default and help text
// are read from zod's public JSON Schema export (z.toJSONSchema), zod validates and applies defaults,
// and commander splits argv.
//
// Why commander rather than node:util parseArgs: parseArgs has no variadic options (`--concurrency-levels 1 4 8`
// would need `--concurrency-levels 1 --concurrency-levels 4`) and no option with an optional value (`--csv [file]`), so both
// would be hand-written again on top of it; commander has both, plus `--flag=value`, with no
// dependencies. Its own messages and suggestions are replaced by ours (unknown options are collected
// with allowUnknownOption and reported here) so that options, values and config names all get the
// same "did you mean" and the one error model (UserError, exit 2).
import { Command, Option } from "commander";
import { log } from "../platform/log.ts";
import { z } from "zod";
import { formatZodIssues, UserError } from "../platform/errors.ts";
import { didYouMean } from "../platform/suggest.ts";

/** switch: `--k6-report`; value: `--model m`; optional-value: `--csv [file]`; values: `--concurrency-levels 1 4 8`. */
export type Arity = "switch" | "value" | "optional-value" | "values";
export type ValueType = "string" | "number" | "integer";
type Choice = string | number;

export interface FlagSpec {
  /** schema key, e.g. `batch_size` */
  key: string;
  /** e.g. `--batch-size` */
  flag: string;
  arity: Arity;
  /** type of each value (unused for a switch) */
  valueType: ValueType;
  /** the finite set of allowed values (an enum or literal union), if there is one */
  choices?: readonly Choice[];
  default?: unknown;
  description: string;
  /** name of the value in --help; set with `.meta({ placeholder })`, default `v` */
  placeholder: string;
  /** the bounds of a numeric value (each value of a list), from the schema's min and max */
  range?: { min?: number; max?: number };
}

/** The part of a JSON Schema property this module reads. */
interface JsonProp {
  type?: string;
  enum?: Choice[];
  anyOf?: JsonProp[];
  const?: unknown;
  items?: JsonProp;
  default?: unknown;
  description?: string;
  placeholder?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

/** `batch_size` → `--batch-size` */
export const toFlag = (key: string) => `--${key.replace(/_/g, "-")}`;

export function flagSpecs(schema: z.ZodObject): FlagSpec[] {
  // io "input": what the user may give (an option with a default is optional there).
  const json = z.toJSONSchema(schema, { io: "input" }) as { properties?: Record<string, JsonProp> };
  return Object.entries(json.properties ?? {}).map(([key, prop]) => specOf(key, prop));
}

function specOf(key: string, prop: JsonProp): FlagSpec {
  const base = {
    key,
    flag: toFlag(key),
    description: prop.description ?? "",
    placeholder: prop.placeholder ?? "v",
    ...(prop.default !== undefined ? { default: prop.default } : {}),
  };
  if (prop.type === "boolean") return { ...base, arity: "switch", valueType: "string" };
  if (prop.type === "array" && prop.items) return { ...base, arity: "values", ...valueTypeOf(key, prop.items), ...rangeOf(prop.items) };
  // `true | value`: the flag alone means "yes, with the default value" (e.g. --csv).
  const valued = prop.anyOf?.filter((p) => p.const !== true) ?? [];
  if (prop.anyOf && valued.length === 1 && valued.length < prop.anyOf.length) return { ...base, arity: "optional-value", ...valueTypeOf(key, valued[0]!) };
  return { ...base, arity: "value", ...valueTypeOf(key, prop), ...rangeOf(prop) };
}

/** A numeric value's bounds (zod's positive() is an exclusive minimum of 0: 1 for a whole number). */
function rangeOf(prop: JsonProp): Pick<FlagSpec, "range"> {
  if (prop.type !== "number" && prop.type !== "integer") return {};
  const min = prop.minimum ?? (prop.exclusiveMinimum !== undefined && prop.type === "integer" ? prop.exclusiveMinimum + 1 : undefined);
  // z.int() alone states the safe-integer range, which bounds nothing a user would type.
  const max = prop.maximum !== undefined && prop.maximum < Number.MAX_SAFE_INTEGER ? prop.maximum : undefined;
  const range = { ...(min !== undefined && min > Number.MIN_SAFE_INTEGER ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  return Object.keys(range).length > 0 ? { range } : {};
}

/** "1 to 1024", "at most 10", "at least 0": how --help and docs/cli.md state a flag's bounds. */
export function rangeText(spec: Pick<FlagSpec, "range">): string | undefined {
  const r = spec.range;
  if (r?.max === undefined) return undefined;
  return r.min !== undefined ? `${r.min} to ${r.max}` : `at most ${r.max}`;
}

/** A value's type, from the property or, for a union (e.g. `"auto" | TxW`), from its members, which must agree. */
function valueTypeOf(key: string, prop: JsonProp): Pick<FlagSpec, "valueType" | "choices"> {
  const types = new Set((prop.anyOf ?? [prop]).map((p) => p.type));
  const type = types.size === 1 ? [...types][0] : undefined;
  if (type !== "string" && type !== "number" && type !== "integer") {
    throw new Error(`option ${key}: a flag's values must be strings, numbers or integers, got JSON Schema ${JSON.stringify(prop)}`);
  }
  return { valueType: type, ...(prop.enum ? { choices: prop.enum } : {}) };
}

/**
 * Given together with `flag`, these flags would be silently ignored, so they are an error; `requires`:
 * `flag` means something only beside that other flag.
 */
export type FlagRule<K extends string> =
  | { flag: K; allowsOnly: readonly K[]; why: string }
  | { flag: K; excludes: readonly K[]; why: string }
  | { flag: K; requires: K; why: string };

export interface ParseRules<K extends string> {
  /** how many positional arguments the command takes */
  maxPositionals: number;
  /** where the user finds the flags, e.g. `see --help` */
  helpHint: string;
  rules?: readonly FlagRule<K>[];
  /**
   * Flags of an earlier version and the one that replaced them: read as the replacement, with a
   * warning naming it, so that a script written for the earlier version still runs. The help and
   * the docs know only the replacement.
   */
  renamed?: Readonly<Record<string, string>>;
}

export interface Parsed<T> {
  options: T;
  positionals: string[];
  /** the options the user gave, before zod's defaults */
  given: (keyof T & string)[];
}

export function parseFlags<S extends z.ZodObject>(schema: S, argv: readonly string[], how: ParseRules<keyof z.output<S> & string>): Parsed<z.output<S>> {
  const specs = flagSpecs(schema);
  const program = commandFor(specs);
  const { args, renamings } = respelled(argv, how.renamed ?? {});
  program.parse(args, { from: "user" });
  const positionals = leftovers(program.args, specs, how.helpHint);
  if (positionals.length > how.maxPositionals) {
    const extra = positionals[how.maxPositionals]!;
    throw new UserError(`unexpected argument '${extra}'${how.maxPositionals === 0 ? ` (options start with --; ${how.helpHint})` : ""}`);
  }
  const raw: Record<string, unknown> = {};
  for (const spec of specs) {
    const attribute = attributeOf(spec);
    // Only what came from argv: commander presets `--no-x` switches to true (as "x").
    if (program.getOptionValueSource(attribute) !== "cli") continue;
    raw[spec.key] = typed(spec, program.getOptionValue(attribute) as string | string[] | boolean);
  }
  const given = Object.keys(raw) as (keyof z.output<S> & string)[];
  checkRules(given, how.rules ?? []);
  const parsed = schema.safeParse(raw, { error: choiceMessage });
  if (!parsed.success) {
    // A flag given in its earlier spelling is named as the user typed it, then as it is now.
    const typedAs = new Map([...renamings].map(([was, now]) => [now, `${was} (${now})`]));
    const label = (flag: string) => typedAs.get(flag) ?? flag;
    throw new UserError(formatZodIssues(undefined, parsed.error, (p) => (p.length > 0 ? label(toFlag(String(p[0]))) : "options")));
  }
  // Only once the flags are valid, so that a refusal stays the one line it is.
  for (const [was, now] of renamings) log.warn(`${was} is spelt ${now} now (the profile's key); read as ${now}`);
  return { options: parsed.data, positionals, given };
}

function commandFor(specs: readonly FlagSpec[]): Command {
  // exitOverride: a library never exits the process. Help, unknown options and extra arguments are
  // ours to handle (below), so the messages match the rest of the suite.
  const program = new Command().exitOverride().helpOption(false).allowUnknownOption().allowExcessArguments();
  for (const spec of specs) {
    // Values are declared optional (`[v]`) even where one is required: commander would otherwise
    // take the next flag as the value (`--model --list`); a missing value is reported by `typed`.
    const value = spec.arity === "switch" ? "" : spec.arity === "values" ? " [v...]" : " [v]";
    // -h is the one short alias: the only one people type without reading the help first.
    const short = spec.key === "help" ? "-h, " : "";
    program.addOption(new Option(`${short}${spec.flag}${value}`));
  }
  return program;
}

const attributeOf = (spec: FlagSpec) => new Option(spec.flag).attributeName();

/** Positional arguments; a leftover that looks like an option is an unknown option. */
function leftovers(args: readonly string[], specs: readonly FlagSpec[], helpHint: string): string[] {
  const unknown = args.find((a) => a.length > 1 && a.startsWith("-") && !/^-\d/.test(a));
  if (unknown === undefined) return [...args];
  const name = unknown.split("=", 1)[0]!;
  const spec = specs.find((s) => s.flag === name);
  if (spec?.arity === "switch") throw new UserError(`${spec.flag} takes no value`);
  const hint = didYouMean(
    name,
    specs.map((s) => s.flag),
  );
  throw new UserError(`unknown option ${name}; ${hint || helpHint}`);
}

/** argv with an earlier version's flag names replaced by today's, and which were replaced. */
function respelled(argv: readonly string[], renamed: Readonly<Record<string, string>>): { args: string[]; renamings: Map<string, string> } {
  const renamings = new Map<string, string>();
  const args = argv.map((arg) => {
    const [name, ...value] = arg.split("=");
    const now = renamed[name!];
    if (now === undefined) return arg;
    renamings.set(name!, now);
    return [now, ...value].join("=");
  });
  return { args, renamings };
}

/** commander's strings, converted to the schema's value type with a message that echoes the input. */
function typed(spec: FlagSpec, value: string | string[] | boolean): unknown {
  if (spec.arity === "switch") return true;
  if (typeof value === "boolean") {
    if (spec.arity === "optional-value") return true;
    throw new UserError(`${spec.flag} needs ${spec.arity === "values" ? "at least one value" : "a value"}`);
  }
  return Array.isArray(value) ? value.map((v) => converted(spec, v)) : converted(spec, value);
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function converted(spec: FlagSpec, text: string): string | number {
  if (spec.valueType === "string") return text;
  if (spec.valueType === "integer" && !INTEGER.test(text)) throw new UserError(`${spec.flag}: expected a whole number, got '${text}'`);
  if (!DECIMAL.test(text)) throw new UserError(`${spec.flag}: expected a number, got '${text}'`);
  return Number(text);
}

/**
 * zod's per-parse error map: a value outside a finite set names the set and the closest member; a
 * value out of range says the bound and echoes the value.
 */
function choiceMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "too_small" || issue.code === "too_big") {
    if (typeof issue.input !== "number") return undefined;
    const bound = issue.code === "too_small" ? (issue.inclusive ? "at least" : "more than") : issue.inclusive ? "at most" : "less than";
    return `must be ${bound} ${String(issue.code === "too_small" ? issue.minimum : issue.maximum)}, got ${issue.input}`;
  }
  if (issue.code !== "invalid_value") return undefined;
  const allowed = issue.values.map(String);
  const hint = didYouMean(String(issue.input), allowed);
  return `expected one of ${allowed.join(", ")}, got '${String(issue.input)}'${hint ? ` (${hint})` : ""}`;
}

function checkRules<K extends string>(given: readonly string[], rules: readonly FlagRule<K>[]): void {
  for (const rule of rules) {
    if (!given.includes(rule.flag)) continue;
    if ("requires" in rule) {
      if (!given.includes(rule.requires)) throw new UserError(`${toFlag(rule.flag)} needs ${toFlag(rule.requires)}: ${rule.why}`);
      continue;
    }
    const clash = given.find(
      (k) => k !== rule.flag && k !== "help" && ("allowsOnly" in rule ? !rule.allowsOnly.includes(k as K) : rule.excludes.includes(k as K)),
    );
    if (clash !== undefined) throw new UserError(`${toFlag(clash)} cannot be used with ${toFlag(rule.flag)}: ${rule.why}`);
  }
}

/**
 * The `Options:` lines of --help: each flag with its value, description, allowed values and default.
 * `choices` adds allowed values that only the loaded configuration knows (e.g. profile names).
 */
export function flagsHelp(specs: readonly FlagSpec[], choices: Readonly<Record<string, readonly string[]>> = {}): string[] {
  return specs.flatMap((spec) => {
    const p = spec.placeholder;
    const value = { switch: "", value: ` <${p}>`, "optional-value": ` [${p}]`, values: ` <${p}> [<${p}> …]` }[spec.arity];
    const allowed = choices[spec.key] ?? spec.choices;
    const range = rangeText(spec);
    const facts = [
      allowed ? `one of: ${allowed.join(" | ")}` : "",
      range ? `range: ${range}` : "",
      spec.default !== undefined && spec.default !== false ? `default: ${String(spec.default)}` : "",
    ];
    const extra = facts.filter(Boolean).join("; ");
    return [`  ${spec.flag}${spec.key === "help" ? ", -h" : ""}${value}`, `      ${spec.description}`, ...(extra ? [`      ${extra}`] : [])];
  });
}
