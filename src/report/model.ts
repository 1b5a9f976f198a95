// What every report of a matrix needs: the union of profiles and cases over its targets, verdict counts, and the
// failures of required profiles (which decide the exit code, whatever the format).
import type { Matrix, MatrixTarget } from '../matrix.js';
import { type CaseResult, type Results, type Verdict, type VerdictName, VERDICTS } from '../results.js';

export interface ProfileInfo {
  id: string;
  name: string;
  version: string;
  kind: string;
}

/** Profiles of all targets, in the order they first appear. */
export function profilesOf(matrix: Matrix): ProfileInfo[] {
  const seen = new Map<string, ProfileInfo>();
  for (const t of matrix.targets) for (const p of t.results.profiles) if (!seen.has(p.id)) seen.set(p.id, p);
  return [...seen.values()];
}

export interface CaseRow {
  id: string;
  function: string;
  title: string;
  /** the case as each target ran it, by target id */
  byTarget: Map<string, CaseResult>;
}

/** Cases of all targets, in the order they first appear (spec order). */
export function casesOf(matrix: Matrix): CaseRow[] {
  const rows = new Map<string, CaseRow>();
  for (const t of matrix.targets) {
    for (const c of t.results.cases) {
      const row = rows.get(c.id) ?? { id: c.id, function: c.function, title: c.title, byTarget: new Map() };
      row.byTarget.set(t.id, c);
      rows.set(c.id, row);
    }
  }
  return [...rows.values()];
}

export function functionsOf(rows: readonly CaseRow[]): string[] {
  return [...new Set(rows.map((r) => r.function))];
}

export type Counts = Record<VerdictName, number>;

/** Verdict counts of one profile, counted from the cases (not the file's summary, which a hand edit can desync). */
export function countVerdicts(results: Results, profile: string): Counts {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Counts;
  for (const c of results.cases) {
    const v = c.verdicts[profile];
    if (v) counts[v.verdict] += 1;
  }
  return counts;
}

/** "8 diverge, 29 conform": the non-zero counts, worst first. */
export function describeCounts(counts: Counts): string {
  const words: Record<VerdictName, string> = {
    diverges: 'diverge',
    error: 'error',
    inconclusive: 'inconclusive',
    conforms: 'conform',
    unspecified: 'unspecified',
    unsupported: 'unsupported',
    skipped: 'skipped',
  };
  const order: VerdictName[] = ['diverges', 'error', 'inconclusive', 'conforms', 'unspecified', 'unsupported', 'skipped'];
  const parts = order.filter((v) => counts[v] > 0).map((v) => `${counts[v]} ${words[v]}`);
  return parts.length > 0 ? parts.join(', ') : 'no cases';
}

/** A verdict that fails a required profile: it diverges, or the case broke so conformance cannot be shown. */
export const FAILING: ReadonlySet<VerdictName> = new Set<VerdictName>(['diverges', 'error']);

export interface Failure {
  target: string;
  caseId: string;
  profile: string;
  verdict: Verdict;
}

export function requiredFailures(matrix: Matrix, required: readonly string[]): Failure[] {
  const out: Failure[] = [];
  for (const t of matrix.targets) {
    for (const c of t.results.cases) {
      for (const p of required) {
        const v = c.verdicts[p];
        if (v && FAILING.has(v.verdict)) out.push({ target: t.id, caseId: c.id, profile: p, verdict: v });
      }
    }
  }
  return out;
}

/** A target's one-line state: complete, incomplete, stale. */
export function targetState(t: MatrixTarget): string {
  const parts = [t.complete ? 'complete' : 'INCOMPLETE'];
  if (t.stale) parts.push('STALE spec');
  return parts.join(', ');
}

/** Probes this target lacks, with what it says instead: they explain its inconclusive verdicts. */
export function missingProbes(results: Results): { name: string; method: string }[] {
  return Object.entries(results.probes)
    .filter(([, p]) => !p.available)
    .map(([name, p]) => ({ name, method: p.method }));
}
