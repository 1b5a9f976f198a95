// The per-case `process` field (issue 13): fresh or reused is environment, like a duration. Constructed results files
// (copies of a committed fixture with the field set): pure, no process.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { differences } from '../src/behaviour.js';
import { diffResults } from '../src/diff.js';
import { readResults, Results } from '../src/results.js';

const fixture = fileURLToPath(new URL('./fixtures/results/native.json', import.meta.url));

describe('results: the process a case ran in', () => {
  const old = readResults(fixture); // written before the field existed: still valid
  const withKind = (kind: 'fresh' | 'reused'): Results => Results.parse({ ...old, cases: old.cases.map((c) => ({ ...c, process: kind })) });

  it('is recorded per case, and only as fresh or reused', () => {
    expect(withKind('reused').cases[0]?.process).toBe('reused');
    const bad = { ...old, cases: old.cases.map((c) => ({ ...c, process: 'shared' })) };
    expect(Results.safeParse(bad).success).toBe(false);
  });

  it('diff lists it as environment and never as a change; repetitions that differ in it are not flaky', () => {
    const d = diffResults(withKind('fresh'), withKind('reused'));
    expect(d.changed).toEqual([]);
    expect(d.failing).toBe(false);
    expect(d.environment.filter((e) => e.what === 'process').length).toBe(old.cases.length);
    expect(d.environment.find((e) => e.what === 'process')).toMatchObject({ old: 'fresh', new: 'reused' });
    const [first] = old.cases;
    if (first === undefined) throw new Error('fixture has cases');
    expect(differences([{ ...first, process: 'fresh' }, { ...first, process: 'reused' }])).toEqual([]);
  });
});
