// "Did you mean …?" for every name the user types: options, option values, models, frameworks,
// profiles, commands. Edit distance comes from fastest-levenshtein (tiny, no dependencies, well
// kept) because commander's own suggester is internal and only covers option names.
import { distance } from "fastest-levenshtein";
import { UserError } from "./errors.ts";

/** At most this many suggestions: more is a list, not a hint. */
const MAX_SUGGESTIONS = 3;
/** A partial name shorter than this matches too much to be a hint. */
const MIN_PARTIAL_LENGTH = 3;

/**
 * Known names close to `input`, best first: the one that differs only in case, else typos (edit
 * distance at most a third of the name, rounded up: a swapped pair of letters costs 2) and known
 * names that contain `input` (a partial name).
 */
export function closeNames(input: string, known: readonly string[]): string[] {
  const wanted = input.toLowerCase();
  const sameButCase = known.filter((name) => name.toLowerCase() === wanted);
  if (sameButCase.length > 0) return sameButCase;
  const maxTypos = Math.ceil(wanted.length / 3);
  return known
    .map((name) => {
      const lower = name.toLowerCase();
      const d = distance(wanted, lower);
      const partial = wanted.length >= MIN_PARTIAL_LENGTH && lower.includes(wanted);
      return { name, d, close: d <= maxTypos || partial };
    })
    .filter((c) => c.close)
    .sort((a, b) => a.d - b.d)
    .slice(0, MAX_SUGGESTIONS)
    .map((c) => c.name);
}

/** `did you mean a or b?`, or "" when nothing is close. */
export function didYouMean(input: string, known: readonly string[]): string {
  const close = closeNames(input, known);
  return close.length > 0 ? `did you mean ${close.join(" or ")}?` : "";
}

/** `unknown <what> '<name>'; <source> defines: a, b, c (did you mean a?)` */
export function unknownName(what: string, name: string, known: readonly string[], source: string): UserError {
  const hint = didYouMean(name, known);
  return new UserError(`unknown ${what} '${name}'; ${source} defines: ${known.join(", ")}${hint ? ` (${hint})` : ""}`);
}

/** The entry called `name`, or a UserError that lists what exists and suggests the closest. */
export function pickNamed<T>(what: string, name: string, table: Readonly<Record<string, T>>, source: string): T {
  if (!Object.hasOwn(table, name)) throw unknownName(what, name, Object.keys(table), source);
  return table[name]!;
}
