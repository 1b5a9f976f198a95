// What a run needs of the results file's vocabulary without its schemas (src/results.ts): the schema's name, the
// verdict names and the per-profile summary. Apart, so that a run inside a launched target, which prints its results
// and never validates them (the launcher does), loads no zod: under gVisor importing zod costs ~0.3 s.
import type { CaseResult, Summary, VerdictName } from './results.js';

/** The results as held in memory, and as files of version 1 were written (src/results.ts: Results). */
export const RESULTS_SCHEMA = 'semconf-results/1';
/** The results file as written now (src/results.ts: ResultsFile; src/results-codec.ts). */
export const RESULTS_FILE_SCHEMA = 'semconf-results/2';

export const VERDICTS = ['conforms', 'diverges', 'inconclusive', 'unspecified', 'unsupported', 'skipped', 'error'] as const;

export function summarise(cases: readonly CaseResult[], profiles: readonly string[]): Summary {
  const zero = (): Record<VerdictName, number> =>
    Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<VerdictName, number>;
  const summary: Summary = Object.fromEntries(profiles.map((p) => [p, zero()]));
  for (const c of cases) {
    for (const [p, v] of Object.entries(c.verdicts)) {
      const row = summary[p] ?? (summary[p] = zero());
      row[v.verdict] += 1;
    }
  }
  return summary;
}

