// SYNTHETIC (FAKE) results for the scale figures and tests: the cases of one real results file copied to `cases`
// cases, per target. Not measurements of anything; they exist to give the merge and the reports the size of a
// 1,000-target matrix. Shared by bench/suite.ts and test/html-scale.test.ts so both measure the same input.
import type { Matrix } from '../src/matrix.js';
import { merge } from '../src/merge.js';
import type { CaseResult, Results } from '../src/results.js';

/** `cases` cases cycling through the template's, each with an id and title of its own. */
export function syntheticCases(template: Results, cases: number): CaseResult[] {
  return Array.from({ length: cases }, (_, i): CaseResult => {
    const base = template.cases[i % template.cases.length] as CaseResult;
    return { ...base, id: `${base.function}.synthetic-${i}`, title: `${base.title} (FAKE copy ${i})` };
  });
}

/** Target k: the shared cases (one object each, so 1,000 targets cost little memory), except that case k mod n left
 * its first mapping's pages unlocked and its verdicts say it diverged: every case then has targets that disagree,
 * and the verdicts are not all alike, as in a real matrix. */
export function syntheticResults(template: Results, caseList: readonly CaseResult[], k: number): Results {
  const odd = k % caseList.length;
  const cases = caseList.map((c, i): CaseResult => {
    if (i !== odd || c.observed === undefined) return c;
    const mappings = Object.fromEntries(
      Object.entries(c.observed.effects.mappings).map(([name, m]) => [name, { ...m, locked: 'U'.repeat(m.pages) }]),
    );
    const verdicts = Object.fromEntries(
      Object.entries(c.verdicts).map(([p, v]) => [p, { ...v, verdict: 'diverges' as const, observed: `FAKE: pages left unlocked on synthetic-${k}` }]),
    );
    return { ...c, observed: { ...c.observed, effects: { ...c.observed.effects, mappings } }, verdicts };
  });
  return { ...template, target: { ...template.target, id: `synthetic-${k}` }, cases };
}

/** A merged matrix of `targets` synthetic targets of `cases` cases each, built in memory (the pure report layer). */
export function syntheticMatrix(template: Results, targets: number, cases: number): Matrix {
  const caseList = syntheticCases(template, cases);
  const inputs = Array.from({ length: targets }, (_, k) => {
    const results = syntheticResults(template, caseList, k);
    return { source: `synthetic-${k}.json`, path: `/synthetic/${k}.json`, results };
  });
  return merge(inputs, { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0.0.0' });
}
