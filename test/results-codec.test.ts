// The results file as written (`semconf-results/2`, src/results-codec.ts) holds exactly the results in memory: every
// committed results file and fixture goes there and back unchanged, key for key and in order; what the encoding
// cannot share (a clause id quoting other words, verdicts that observed differently) is kept whole; a citation that
// names nothing, or two sayings of what was observed, is refused with where. Pure: no run, no file but a scratch one.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fastValidator } from '../src/fast-validate.js';
import { decodeResults, encodeResults, resultsFileText } from '../src/results-codec.js';
import { readResults, Results, ResultsFile, ResultsFileError, summarise, writeResults } from '../src/results.js';
import { scratch } from './report-fixtures.js';

const dirOf = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
const everyResults = [dirOf('../results/'), dirOf('./fixtures/results/')].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      try {
        return [{ name: f, results: readResults(join(dir, f)) }];
      } catch (e) {
        if (e instanceof ResultsFileError) return []; // the fixtures of bad files
        throw e;
      }
    }),
);

/** The first `n` cases of `r`, with the summary they add up to. */
function small(r: Results, n: number): Results {
  const cases = r.cases.slice(0, n);
  return { ...r, cases, summary: summarise(cases, r.profiles.map((p) => p.id)) };
}

const base = (): Results => {
  const found = everyResults.find((e) => e.results.cases.some((c) => Object.values(c.verdicts).some((v) => (v.clauses?.length ?? 0) > 0 && v.observed !== undefined)));
  if (found === undefined) throw new Error('no results with cited clauses and observations');
  return found.results;
};

describe('the results file as written (semconf-results/2)', () => {
  it('every committed results file and valid fixture goes there and back unchanged, in key order', () => {
    expect(everyResults.length).toBeGreaterThan(8);
    for (const { name, results } of everyResults) {
      const file = encodeResults(results);
      expect(ResultsFile.safeParse(file).success, name).toBe(true);
      // the text as written parses to the file, which the fast path accepts as it is (merge copies its bytes)
      const parsed = JSON.parse(resultsFileText(file)) as unknown;
      expect(JSON.stringify(parsed), name).toBe(JSON.stringify(file));
      expect(fastValidator(ResultsFile)?.(parsed), name).toBe(true);
      expect(JSON.stringify(decodeResults(ResultsFile.parse(parsed))), name).toBe(JSON.stringify(results));
    }
  });

  it('quotes each clause once per profile and says what a case observed once; about a third of the bytes', () => {
    const r = base();
    const file = encodeResults(r);
    const cited = r.cases.flatMap((c) => Object.values(c.verdicts).flatMap((v) => v.clauses ?? []));
    const tabled = Object.values(file.clauses).reduce((n, t) => n + Object.keys(t).length, 0);
    expect(tabled).toBeGreaterThan(0);
    expect(tabled).toBeLessThan(cited.length);
    for (const c of file.cases) {
      for (const v of Object.values(c.verdicts)) for (const k of v.clauses ?? []) expect(typeof k).toBe('string');
      if (c.observedText !== undefined) for (const v of Object.values(c.verdicts)) expect(v.observed).toBeUndefined();
    }
    expect(file.cases.some((c) => c.observedText !== undefined)).toBe(true);
    expect(resultsFileText(file).length).toBeLessThan(JSON.stringify(r, null, 2).length / 2);
  });

  it('one case per line, so that a diff of two runs in git is a line per case that changed', () => {
    const r = small(base(), 5);
    const lines = resultsFileText(encodeResults(r)).split('\n');
    for (const c of r.cases) expect(lines.filter((l) => l.includes(`{"id":${JSON.stringify(c.id)},`))).toHaveLength(1);
  });

  it('keeps whole what it cannot share: an id quoting other words, verdicts that observed differently', () => {
    const r = small(base(), 3);
    const [first, ...rest] = r.cases;
    if (first === undefined) throw new Error('a case');
    const [profile, verdict] = Object.entries(first.verdicts).find(([, v]) => (v.clauses?.length ?? 0) > 0) ?? [];
    if (profile === undefined || verdict?.clauses?.[0] === undefined) throw new Error('a cited clause');
    const clause = verdict.clauses[0];
    const other = { ...clause, quote: `${clause.quote} (other words)` };
    // (through zod, as writeResults does: each verdict's fields in the schema's order)
    const changed: Results = Results.parse({
      ...r,
      cases: [
        first,
        ...rest.map((c, i) =>
          i === 0
            ? {
                ...c,
                verdicts: Object.fromEntries(
                  Object.entries(c.verdicts).map(([p, v], k) => [p, { ...v, observed: `seen ${k}`, ...(p === profile ? { clauses: [other] } : {}) }]),
                ),
              }
            : c,
        ),
      ],
    });
    const file = encodeResults(changed);
    const second = file.cases[1];
    expect(second?.observedText).toBeUndefined();
    expect(Object.values(second?.verdicts ?? {}).map((v) => v.observed)).toEqual(Object.keys(second?.verdicts ?? {}).map((_, k) => `seen ${k}`));
    expect(second?.verdicts[profile]?.clauses).toEqual([other]);
    expect(JSON.stringify(decodeResults(ResultsFile.parse(JSON.parse(resultsFileText(file)))))).toBe(JSON.stringify(changed));
  });

  it('a clause id that is a name of Object.prototype is a clause like any other (__proto__ is kept whole)', () => {
    const r = small(base(), 2);
    const renamed: Results = {
      ...r,
      cases: r.cases.map((c) => ({ ...c, verdicts: Object.fromEntries(Object.entries(c.verdicts).map(([p, v]) => [p, { ...v, ...(v.clauses ? { clauses: v.clauses.map((k, i) => ({ ...k, id: ['constructor', '__proto__', 'toString'][i % 3] ?? k.id })) } : {}) }])) })),
    };
    const file = encodeResults(renamed);
    expect(Object.keys(file.clauses).flatMap((p) => Object.keys(file.clauses[p] ?? {}))).toContain('constructor');
    const text = resultsFileText(file);
    expect(text).toContain('{"id":"__proto__",');
    expect(JSON.stringify(decodeResults(ResultsFile.parse(JSON.parse(text))))).toBe(JSON.stringify(renamed));
  });

  it('refuses a citation of a clause its profile lacks, and what was observed said twice, with where', () => {
    const file = encodeResults(base());
    const i = file.cases.findIndex((c) => Object.values(c.verdicts).some((v) => (v.clauses?.length ?? 0) > 0));
    const c = file.cases[i];
    const [profile] = Object.entries(c?.verdicts ?? {}).find(([, v]) => (v.clauses?.length ?? 0) > 0) ?? [];
    if (c === undefined || profile === undefined) throw new Error('a citation');
    const miscited = structuredClone(file);
    const v = miscited.cases[i]?.verdicts[profile];
    if (v?.clauses === undefined) throw new Error('clauses');
    v.clauses[0] = 'no.such.clause';
    const issue = ResultsFile.safeParse(miscited).error?.issues[0];
    expect(issue?.path).toEqual(['cases', i, 'verdicts', profile, 'clauses', 0]);
    expect(issue?.message).toBe(`clause "no.such.clause" is not in the clauses of profile ${profile}`);

    const k = file.cases.findIndex((x) => x.observedText !== undefined);
    const twice = structuredClone(file);
    const hoisted = twice.cases[k];
    const [p] = Object.keys(hoisted?.verdicts ?? {});
    const w = p === undefined ? undefined : hoisted?.verdicts[p];
    if (w === undefined || p === undefined) throw new Error('a verdict');
    w.observed = 'also this';
    expect(ResultsFile.safeParse(twice).error?.issues[0]?.path).toEqual(['cases', k, 'verdicts', p, 'observed']);
  });

  it('writeResults writes version 2; readResults reads either version to the same results', () => {
    const dir = scratch();
    const r = small(base(), 6);
    const v2 = join(dir, 'v2.json');
    const v1 = join(dir, 'v1.json');
    writeResults(v2, r);
    writeFileSync(v1, JSON.stringify(r, null, 2));
    expect((JSON.parse(readFileSync(v2, 'utf8')) as { schema: string }).schema).toBe('semconf-results/2');
    expect(JSON.stringify(readResults(v2))).toBe(JSON.stringify(r));
    expect(JSON.stringify(readResults(v1))).toBe(JSON.stringify(r));
  });
});
