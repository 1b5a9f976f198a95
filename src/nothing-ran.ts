// Whether a run that completed tested anything: a run where every case was skipped (not root: no privileged
// context) looks like a clean run otherwise. Pure; the run command prints the headline and exits 3 (EXIT.nothingRan).
import type { CaseResult } from './results.js';

/** A context a run needs: every one but `memlock: unlimited`, which only CAP_SYS_RESOURCE can set. Without that
 * capability its cases are an expected skip (a user's own hard limit is not unlimited); every other context is
 * reachable by the root semconf asks for, and the privileged one is where most cases run. */
export function isRequiredContext(context: CaseResult['context']): boolean {
  return context.spec === 'privileged' || context.spec.memlock !== 'unlimited';
}

/** One sentence when no case ran or a required context could not be established, else null. */
export function nothingRanHeadline(cases: readonly CaseResult[]): string | null {
  const ran = cases.filter((c) => c.status === 'ran').length;
  const missing = new Map<string, { reason: string; cases: number }>();
  for (const c of cases) {
    if (c.context.established || !isRequiredContext(c.context)) continue;
    const m = missing.get(c.context.name) ?? { reason: c.reason ?? 'not established', cases: 0 };
    missing.set(c.context.name, { ...m, cases: m.cases + 1 });
  }
  const contexts = [...missing.entries()].map(([name, m]) => `${name} (${m.reason}): ${m.cases} case(s) skipped`).join('; ');
  if (ran === 0) {
    const counts = new Map<string, number>();
    for (const c of cases) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
    const how = [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
    return `NO CASE RAN: ${cases.length === 0 ? 'no case completed' : `all ${cases.length} case(s) did not run (${how})`}${contexts ? `; context not established: ${contexts}` : ''}`;
  }
  return missing.size > 0 ? `A REQUIRED CONTEXT IS MISSING: ${contexts}; ${ran} of ${cases.length} case(s) ran` : null;
}
