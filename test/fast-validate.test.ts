// The fast path of validation (src/fast-validate.ts) never accepts what zod refuses, and where it accepts, zod's
// output is the input itself (so merge and the reports may use the input as the parsed value). Checked on thousands
// of malformed results files and matrices made from the committed results by one mutation each, in memory's form and
// as files are written (semconf-results/2, semconf-matrix/2); and it must actually compile the schemas merge reads,
// or the speed is silently gone.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import * as z from 'zod';
import { describe, expect, test } from 'vitest';
import { fastValidator } from '../src/fast-validate.js';
import { Matrix, MatrixFile } from '../src/matrix.js';
import { merge } from '../src/merge.js';
import { encodeResults } from '../src/results-codec.js';
import { readResults, Results, ResultsFile, summarise } from '../src/results.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const committedFiles = readdirSync(RESULTS).filter((f) => f.endsWith('.json'));
const committed = committedFiles.map((f) => readResults(join(RESULTS, f)));

/** A small valid results file: the first `n` cases of a committed one, with the summary they add up to. */
function small(r: Results, n: number): Results {
  const cases = r.cases.slice(0, n);
  return { ...r, cases, summary: summarise(cases, r.profiles.map((p) => p.id)) };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Every path in a JSON value, the root included. */
function paths(v: Json, at: Path = []): Path[] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => paths(x, [...at, i]))];
  if (v !== null && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, k]))];
  return [at];
}

const clone = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;

/** One change at `path` of a copy of `root`: replace the value, drop it, add a key beside it, reorder the keys of the
 * object there, or give it a key zod strips (`__proto__`, made as JSON.parse makes it). */
type Mutation = { kind: 'replace'; value: Json } | { kind: 'drop' } | { kind: 'add'; key: string; value: Json } | { kind: 'reverse' } | { kind: 'proto' };

function mutate(root: Json, path: Path, m: Mutation): unknown {
  const copy = clone(root);
  if (path.length === 0) return m.kind === 'replace' ? m.value : copy;
  const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string | number, Json>)[k] as Json, copy) as Record<string | number, Json>;
  const key = path[path.length - 1] as string | number;
  const here = parent[key] as Json;
  switch (m.kind) {
    case 'replace':
      parent[key] = m.value;
      break;
    case 'drop':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'add':
      if (here !== null && typeof here === 'object' && !Array.isArray(here)) here[m.key] = m.value;
      else if (Array.isArray(here)) here.push(m.value);
      break;
    case 'reverse':
      if (here !== null && typeof here === 'object' && !Array.isArray(here)) parent[key] = Object.fromEntries(Object.entries(here).reverse());
      break;
    case 'proto':
      if (here !== null && typeof here === 'object' && !Array.isArray(here)) parent[key] = JSON.parse(JSON.stringify(here).replace(/^\{/, '{"__proto__":1,')) as Json;
      break;
  }
  return copy;
}

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 4096, 1e300, -0, '', 'x', 'conforms', 'diverges', 'EINVAL', 'linux', '2026-01-01T00:00:00.000Z', 'not a date', 'x'.repeat(5000), 'semconf', 'semconf-results/1'),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
);
const value: fc.Arbitrary<Json> = fc.oneof(scalar, fc.constant<Json>([]), fc.constant<Json>({}), fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 2 }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value }),
  fc.constant({ kind: 'drop' as const }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('id', 'verdict', 'extra', 'locked')), value }),
  fc.constant({ kind: 'reverse' as const }),
  fc.constant({ kind: 'proto' as const }),
);

/** The property: the fast path accepts only what zod accepts, and then zod's output is the input, key for key. */
function agreesWithZod<S extends z.ZodType>(schema: S, input: unknown): void {
  const fast = fastValidator(schema);
  if (fast === undefined) throw new Error('not compiled');
  if (!fast(input)) return;
  const judged = schema.safeParse(input);
  expect(judged.success, 'the fast path accepted what zod refuses').toBe(true);
  expect(JSON.stringify(judged.data), "zod's output differs from the input the fast path passed as it").toBe(JSON.stringify(input));
}

/** The property on `runs` inputs made from the valid `base` by one mutation each, anywhere in it; how many of them zod
 * refused (so that a test can require the property was tested on refusals, not only on valid inputs). */
function mutationsAgree<S extends z.ZodType>(schema: S, base: Json, runs: number): number {
  expect(schema.safeParse(base).success).toBe(true);
  expect(fastValidator(schema)?.(base)).toBe(true);
  const all = paths(base);
  let refusedByZod = 0;
  fc.assert(
    fc.property(fc.nat(all.length - 1), mutation, (i, m) => {
      const input = mutate(base, all[i] as Path, m);
      if (!schema.safeParse(input).success) refusedByZod += 1;
      agreesWithZod(schema, input);
    }),
    { numRuns: runs, seed: 13 },
  );
  return refusedByZod;
}

describe('the fast path of validation', () => {
  test('compiles the schemas merge and the reports read (or every file would go the slow way)', () => {
    for (const schema of [Results, Matrix, ResultsFile, MatrixFile]) expect(fastValidator(schema)).toBeDefined();
  });

  test('accepts every committed results file, as written and in memory, and zod gives back the same value', () => {
    expect(committed.length).toBeGreaterThan(0);
    for (const f of committedFiles) {
      const written = JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as unknown;
      expect(fastValidator(ResultsFile)?.(written), f).toBe(true);
      agreesWithZod(ResultsFile, written);
    }
    for (const r of committed) {
      expect(fastValidator(Results)?.(r)).toBe(true);
      agreesWithZod(Results, r);
    }
  });

  test('never accepts a malformed results file as written that zod refuses (clause citations, observedText)', () => {
    const base = encodeResults(small(committed[0] as Results, 4)) as unknown as Json;
    expect(mutationsAgree(ResultsFile, base, 2000)).toBeGreaterThan(800);
  });

  test('never accepts a malformed results file zod refuses (one mutation anywhere in a valid file)', () => {
    // the mutations are mostly malformed: the property was tested on refusals, not only on valid files
    expect(mutationsAgree(Results, small(committed[0] as Results, 4) as unknown as Json, 2000)).toBeGreaterThan(800);
  });

  test('never accepts a malformed matrix zod refuses', () => {
    const matrix = merge(
      committed.slice(0, 2).map((r, k) => ({ source: `r${k}.json`, path: `/r${k}.json`, results: small(r, 2) })),
      { createdAt: '2026-01-01T00:00:00.000Z', toolVersion: '0.0.0' },
    ) as unknown as Json;
    agreesWithZod(Matrix, matrix);
    mutationsAgree(Matrix, matrix, 1000);
  });

  test('never accepts a malformed matrix as written that zod refuses (results by index, each once)', () => {
    const [a, b] = committed.slice(0, 2).map((r) => encodeResults(small(r, 2)));
    if (a === undefined || b === undefined) throw new Error('two committed results files');
    const entry = (r: ResultsFile, results: number) => ({ id: r.target.id, source: `${r.target.id}.json`, stale: false, complete: true, notes: [], results });
    const matrix = {
      schema: 'semconf-matrix/2',
      results: [b, a],
      tool: { name: 'semconf', version: '0.0.0' },
      createdAt: '2026-01-01T00:00:00.000Z',
      specDigest: { value: a.specDigest, basis: 'majority', detail: 'held by 2 of 2 targets' },
      complete: true,
      targets: [entry(a, 1), entry(b, 0)].sort((x, y) => x.id.localeCompare(y.id)),
    } as unknown as Json;
    expect(mutationsAgree(MatrixFile, matrix, 1000)).toBeGreaterThan(300);
  });

  test('refuses a file whose keys are out of the schema order, which zod would reorder (zod then judges it)', () => {
    const { cases, ...rest } = small(committed[0] as Results, 1);
    const reordered = { cases, ...rest };
    expect(Results.safeParse(reordered).success).toBe(true);
    expect(fastValidator(Results)?.(reordered)).toBe(false);
  });

  test('a refinement run on the fast path lets go of the value it judged (a payload kept alive kept a whole parsed file)', () => {
    const payloads: { value?: unknown }[] = [];
    const schema = z.strictObject({ n: z.number() }).check((payload) => {
      payloads.push(payload);
    });
    const value = { n: 1 };
    expect(fastValidator(schema)?.(value)).toBe(true);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]?.value).toBeUndefined();
  });

  test('compiles keys and literals that are not identifiers, and a string spelling of any value', () => {
    const schema = z.strictObject({ 'a"b': z.literal('x"\\y'), 'c\nd': z.number().max(1.5).optional(), '0': z.enum(['e', '__proto__', 'f\u2028']) });
    const fast = fastValidator(schema);
    expect(fast).toBeDefined();
    // integer-like keys come first in an object's order: zod's output too
    const ok = JSON.parse('{"0":"__proto__","a\\"b":"x\\"\\\\y","c\\nd":1}') as unknown;
    expect(schema.safeParse(ok).success).toBe(true);
    expect(fast?.(ok)).toBe(true);
    for (const bad of ['{"0":"e","a\\"b":"x"}', '{"0":"g","a\\"b":"x\\"\\\\y"}', '{"0":"e","a\\"b":"x\\"\\\\y","c\\nd":2}']) {
      const input = JSON.parse(bad) as unknown;
      expect(schema.safeParse(input).success, bad).toBe(false);
      expect(fast?.(input), bad).toBe(false);
    }
  });

  test('where code cannot be made from strings, nothing is compiled and zod judges every input', () => {
    const dist = (f: string): string => JSON.stringify(new URL(`../dist/src/${f}`, import.meta.url).href);
    const script = `const { fastValidator } = await import(${dist('fast-validate.js')}); const { ResultsFile, readResults } = await import(${dist('results.js')});
console.log(fastValidator(ResultsFile) === undefined, readResults(${JSON.stringify(join(RESULTS, committedFiles[0] ?? ''))}).cases.length > 0);`;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true true');
  });

  test('leaves to zod every schema with a construct it does not know', () => {
    for (const schema of [
      z.string().transform((s) => s.length),
      z.object({ a: z.string() }), // strips unknown keys: the output is not the input
      z.looseObject({ a: z.string() }),
      z.strictObject({ a: z.string().default('x') }),
      z.string().trim(),
      z.number().multipleOf(3),
      z.url(),
      z.strictObject({ a: z.array(z.lazy(() => z.string())) }),
      z.strictObject({ ['__proto__']: z.string() }), // read by name, the key would be the prototype
    ]) {
      expect(fastValidator(schema)).toBeUndefined();
    }
  });
});
