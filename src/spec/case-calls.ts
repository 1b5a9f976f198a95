// The calls of a case as lint sees them: each step and the call under test with its key path, and the made-up
// placement of the case's mappings that lint's static checks evaluate them in.
import type { Region } from '../worker/confine.js';
import type { CaseRef } from './catalog.js';
import { LINT_PAGE_SIZE, pagesOf } from './memory.js';

/** Every call text of a case with its key path and where it stands: the before list, the call under test, the
 * after list. */
export function callsOf(ref: CaseRef): { text: string; path: (string | number)[]; stage: 'before' | 'call' | 'after' }[] {
  const base = ['cases', ref.index];
  const steps = (stage: 'before' | 'after') =>
    (ref.case[stage] ?? []).map((step, i) =>
      typeof step === 'string' ? { text: step, path: [...base, stage, i], stage } : { text: step.call, path: [...base, stage, i, 'call'], stage },
    );
  return [...steps('before'), { text: ref.case.call, path: [...base, 'call'], stage: 'call' as const }, ...steps('after')];
}

/** Lint's made-up placement of a case's mappings: far apart, each fenced by a guard page on either side. */
export function lintRegions(ref: CaseRef): Region[] {
  const ps = BigInt(LINT_PAGE_SIZE);
  return Object.entries(ref.case.memory ?? {}).map(([name, m], i) => {
    const start = (1n << 44n) + BigInt(i) * (1n << 36n);
    return { name, start, end: start + BigInt(pagesOf(m) + 2) * ps };
  });
}

