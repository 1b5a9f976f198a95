// The committed JSON Schemas (used by editors through the yaml-language-server comment) must be what the zod schemas
// and the shipped profiles generate today; if this fails, run `npm run schema` and commit schema/.
//
// No JSON-schema validator is installed (no ajv or the like in node_modules), so the generated structure is checked
// directly, and the call pattern is tried, as a RegExp, on every call of the shipped specs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SPECS } from '../src/commands/command.js';
import { CALL_PATTERN, STEP_PATTERN, profileIdsIn, renderJsonSchema, schemaFiles } from '../src/spec/json-schema.js';

const PROFILE_IDS = profileIdsIn(DEFAULT_SPECS);
const FILES = schemaFiles(PROFILE_IDS);

interface Json {
  [key: string]: unknown;
}
const spec = JSON.parse(renderJsonSchema(FILES['spec.schema.json'])) as Json;
const obj = (v: unknown): Json => v as Json;
const caseSchema = obj(obj(obj(spec.properties).cases).items);
const caseProps = obj(caseSchema.properties);

/** Every sub-schema with the key path that leads to it. */
function* schemasIn(node: unknown, path = '#'): Generator<[string, Json]> {
  if (node === null || typeof node !== 'object') return;
  if (!Array.isArray(node)) yield [path, node as Json];
  for (const [k, v] of Object.entries(node)) yield* schemasIn(v, `${path}/${k}`);
}

describe('committed JSON Schemas', () => {
  for (const [name, schema] of Object.entries(FILES)) {
    it(`schema/${name} is up to date with src/spec/schema.ts and specs/profiles/`, () => {
      const committed = readFileSync(new URL(`../schema/${name}`, import.meta.url), 'utf8');
      expect(committed, `schema/${name} is stale: run npm run schema`).toBe(renderJsonSchema(schema));
    });
  }

  it('the spec schema rejects unknown keys and lists the callable functions', () => {
    expect(spec.additionalProperties).toBe(false);
    expect(obj(obj(spec.properties).function).enum).toContain('mlock');
  });

  it('expect: has the shipped profile ids as its only keys, each required (a typo such as "hpxu" is flagged)', () => {
    const expectSchema = obj(caseProps.expect);
    const shipped = readdirSync(join(DEFAULT_SPECS, 'profiles')).map((f) => f.replace(/\.ya?ml$/, '')).sort();
    expect(shipped).toContain('hpux');
    expect(Object.keys(obj(expectSchema.properties)).sort()).toEqual(shipped);
    expect(expectSchema.required).toEqual(PROFILE_IDS);
    expect(expectSchema.additionalProperties).toBe(false);
    expect(Object.keys(obj(expectSchema.properties))).not.toContain('hpxu');
  });

  it('call: must start with an allowlisted function name, before: and after: steps with one or a builtin; every shipped call matches', () => {
    const pattern = obj(caseProps.call).pattern;
    expect(pattern).toBe(CALL_PATTERN.source);
    // a step is a call text, or an object whose `call` is one; a step may also be the touch builtin
    const stepPatterns = (key: string) =>
      ((obj(obj(caseProps[key]).items).anyOf ?? []) as Record<string, unknown>[]).map((f) => (f.type === 'string' ? f.pattern : obj(obj(f.properties).call).pattern));
    expect(stepPatterns('before')).toEqual([STEP_PATTERN.source, STEP_PATTERN.source]);
    expect(stepPatterns('after')).toEqual([STEP_PATTERN.source, STEP_PATTERN.source]);
    const re = new RegExp(String(pattern));
    const stepRe = new RegExp(STEP_PATTERN.source);
    expect('touch(buf, 1p)').toMatch(stepRe);
    expect('touch(buf, 1p)').not.toMatch(re);
    type Shipped = { call: string; before?: (string | { call: string })[]; after?: (string | { call: string })[] };
    const cases = readdirSync(DEFAULT_SPECS)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => (parse(readFileSync(join(DEFAULT_SPECS, f), 'utf8')) as { cases: Shipped[] }).cases);
    const calls = cases.map((c) => c.call);
    const steps = cases.flatMap((c) => [...(c.before ?? []), ...(c.after ?? [])].map((s) => (typeof s === 'string' ? s : s.call)));
    expect(calls.length).toBeGreaterThan(50);
    for (const c of calls) expect(c).toMatch(re);
    for (const s of steps) expect(s).toMatch(stepRe);
    for (const bad of ['mlok(buf, 1p)', 'system(buf)', 'mlockall2(1)', 'buf(mlock)', ' (mlock)']) expect(bad).not.toMatch(re);
    expect('munlockall()').toMatch(re);
  });

  it('errno names and contexts are enumerated', () => {
    const fails = obj(obj(obj(caseProps.expect).properties).posix);
    const text = JSON.stringify(fails);
    expect(text).toContain('"ENOMEM"');
    expect(JSON.stringify(caseProps.as)).toContain('"const":"privileged"');
    expect(JSON.stringify(caseProps.as)).toContain('"const":"unprivileged"');
  });

  it('mapping names under locked: are not checkable by JSON Schema, and the description says lint checks them', () => {
    const locked = [...schemasIn(caseProps.expect)].filter(([p]) => p.endsWith('/properties/locked')).map(([, s]) => s);
    expect(locked.length).toBeGreaterThan(0);
    for (const s of locked) expect(s.description).toContain('checked by semconf lint, not by this schema');
  });

  // yaml-language-server's hover joins the titles of anyOf alternatives with " || ", and an untitled alternative
  // shows the root's title: "semconf spec file || semconf spec file || ...".
  it('every anyOf alternative has a title of its own, and only the root is titled "semconf spec file"', () => {
    expect(spec.title).toBe('semconf spec file');
    const all = [...schemasIn(spec)];
    const alternatives = all.flatMap(([p, s]) => (Array.isArray(s.anyOf) ? (s.anyOf as Json[]).map((b, i) => [`${p}/anyOf/${i}`, b] as const) : []));
    expect(alternatives.length).toBeGreaterThan(10);
    for (const [p, b] of alternatives) expect(typeof b.title, p).toBe('string');
    expect(all.filter(([, s]) => s.title === 'semconf spec file').map(([p]) => p)).toEqual(['#']);
  });
});
