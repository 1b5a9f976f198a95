// The calls of a case as lint sees them: each step and the call under test with its key path, and the made-up
// placement of the case's mappings that lint's static checks evaluate them in.
import type { Region } from '../worker/confine.js';
import { chainsOf } from '../worker/place.js';
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

/** A mapping's fenced region in lint's placement, and its first page (`base`): mappings that follow one another
 * (`follows`) share one region, each starting right after the one it follows, as the worker places them. */
export type LintRegion = Region & { base: bigint };

/** Lint's made-up placement of a case's mappings: chains far apart, each fenced by a guard page on either side. */
export function lintRegions(ref: CaseRef): LintRegion[] {
  const ps = BigInt(LINT_PAGE_SIZE);
  return chainsOf(Object.entries(ref.case.memory ?? {})).flatMap((chain, i) => {
    const start = (1n << 44n) + BigInt(i) * (1n << 36n);
    const end = start + BigInt(chain.reduce((n, [, m]) => n + pagesOf(m), 0) + 2) * ps;
    let base = start + ps;
    return chain.map(([name, m]) => {
      const r = { name, start, end, base };
      base += BigInt(pagesOf(m)) * ps;
      return r;
    });
  });
}
