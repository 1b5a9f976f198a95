// Whether a run that completed tested anything: a run where every case was skipped (not root: no privileged
// context) looks like a clean run otherwise. Pure; the run command prints the headline and exits 3 (EXIT.nothingRan).
import type { CaseResult } from './results.js';

/** A context a run needs: the privileged one, where most cases run. The unprivileged contexts are expected skips
 * where the platform cannot make them: `memlock: unlimited` needs CAP_SYS_RESOURCE, and illumos has no
 * RLIMIT_MEMLOCK at all (runners/illumos.ts), so requiring them would fail every run there. */
export function isRequiredContext(context: CaseResult['context']): boolean {
  return context.spec === 'privileged';
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
