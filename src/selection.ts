// What a run selects from the catalog (run/list --filter, --exclude, --shard, run --profile), and the record of it
// in the results file. Pure: the commands turn a SelectionError into a usage error.
//
// Patterns match whole case ids: a glob (picomatch: `mlock.*`, `*.zero-length`; without glob characters the id
// itself), or /REGEX/ (searched, as before). A shard is chosen by a hash of the case id, not by its position: which
// shard holds a case then depends on the id alone, so diff and merge can tell from any results file whether a case
// was in its selection, and adding a case to the catalog moves no other case to another shard.
import picomatch from 'picomatch';
import type { Selection, Shard } from './selection-schema.js';

// The schemas are in selection-schema.ts, so that this module (a run plans with it) loads no zod.
export type { Selection, Shard } from './selection-schema.js';

/** Patterns as the options give them: one string, or several, each of which may be a comma-separated list. */
export type Patterns = string | readonly string[];

export interface SelectionOptions {
  filter?: Patterns;
  exclude?: Patterns;
  shard?: Shard;
}

export class SelectionError extends Error {}

/** Each pattern of a list: split on commas, except inside a /regex/ (whose commas are its own: /a{1,2}/). */
export function patternList(given: Patterns | undefined): string[] {
  const values = given === undefined ? [] : typeof given === 'string' ? [given] : given;
  return values.flatMap((v) => (/^\/.*\/$/.test(v) ? [v] : v.split(','))).map((p) => p.trim()).filter((p) => p !== '');
}

export type IdMatcher = (id: string) => boolean;

function compilePattern(pattern: string, option: string): IdMatcher {
  const re = /^\/(.*)\/$/.exec(pattern);
  if (re) {
    try {
      const regex = new RegExp(re[1] ?? '');
      return (id) => regex.test(id);
    } catch (e) {
      throw new SelectionError(`${option} ${pattern}: not a regular expression (${(e as Error).message})`);
    }
  }
  return picomatch(pattern, { dot: true });
}

/** Whether any pattern matches the id (`none` when the list is empty). */
function anyOf(patterns: readonly string[], option: string, none: boolean): IdMatcher {
  const matchers = patterns.map((p) => compilePattern(p, option));
  return matchers.length === 0 ? () => none : (id) => matchers.some((m) => m(id));
}

/** FNV-1a, 32 bits, of the UTF-8 bytes: a stable hash of a text, the same on every machine and Node version (a case
 * id's shard; an explored sequence's id). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

export function inShard(id: string, shard: Shard): boolean {
  return fnv1a(id) % shard.count === shard.index - 1;
}

/** `K/N` (1-based) → a shard, or a SelectionError saying what was expected. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index < 1 || count < 1 || index > count || count > 1000) {
    throw new SelectionError(`--shard takes K/N, shard K of N with 1 <= K <= N <= 1000 (e.g. 2/4), not "${text}"`);
  }
  return { index, count };
}

/** The test a case id passes to be selected. */
export function selector(options: SelectionOptions): IdMatcher {
  const keep = anyOf(patternList(options.filter), '--filter', true);
  const drop = anyOf(patternList(options.exclude), '--exclude', false);
  const { shard } = options;
  return (id) => keep(id) && !drop(id) && (shard === undefined || inShard(id, shard));
}

/** The record of a selection for the results file, or undefined when the run takes the whole catalog. */
export function selectionRecord(options: SelectionOptions & { profiles?: readonly string[] }, catalogCases: number): Selection | undefined {
  const filter = patternList(options.filter);
  const exclude = patternList(options.exclude);
  const profiles = [...(options.profiles ?? [])];
  if (filter.length + exclude.length + profiles.length === 0 && options.shard === undefined) return undefined;
  return {
    ...(filter.length > 0 ? { filter } : {}),
    ...(exclude.length > 0 ? { exclude } : {}),
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    ...(profiles.length > 0 ? { profiles } : {}),
    catalogCases,
  };
}

/** Whether a case id is inside a recorded selection (no record: the whole catalog). */
export function selects(selection: Selection | undefined, id: string): boolean {
  return selection === undefined || selector(selection)(id);
}

/** Whether a selection leaves cases out (a --profile run alone runs every case). */
export const narrowsCases = (s: Selection | undefined): boolean => s !== undefined && (s.filter !== undefined || s.exclude !== undefined || s.shard !== undefined);

/** The selection as options, e.g. `--filter mlock.* --shard 1/4`; "the whole catalog" when there is none. */
export function describeSelection(s: Selection | undefined): string {
  if (s === undefined) return 'the whole catalog';
  return [
    ...(s.filter ?? []).map((p) => `--filter ${p}`),
    ...(s.exclude ?? []).map((p) => `--exclude ${p}`),
    ...(s.shard !== undefined ? [`--shard ${s.shard.index}/${s.shard.count}`] : []),
    ...(s.profiles ?? []).map((p) => `--profile ${p}`),
  ].join(' ');
}

/** Whether two records select the same (both absent: both whole). */
export function sameSelection(a: Selection | undefined, b: Selection | undefined): boolean {
  const key = (s: Selection | undefined): string => (s === undefined ? '' : describeSelection(s));
  return key(a) === key(b);
}
