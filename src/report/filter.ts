// What `report --profile P --verdict V` keeps. A filter narrows what a report lists (summary rows and columns,
// findings); it never changes what a report judges: --require still counts every required profile for the exit code.
// Pure: the command parses and checks the option values, renderers only ask these questions.
import type { CaseResult, VerdictName } from '../results.js';

export interface ReportFilter {
  /** profile ids to show; undefined = every profile */
  profiles?: readonly string[];
  /** verdicts to show; undefined = every verdict */
  verdicts?: readonly VerdictName[];
}

export const isFiltered = (f: ReportFilter): boolean => f.profiles !== undefined || f.verdicts !== undefined;

export const keepProfile = (f: ReportFilter, id: string): boolean => f.profiles === undefined || f.profiles.includes(id);

export const keepVerdict = (f: ReportFilter, v: VerdictName): boolean => f.verdicts === undefined || f.verdicts.includes(v);

/** A case-level listing (errors, not run, flaky) keeps a case when no filter applies, or when one of its verdicts
 * under a kept profile is a kept verdict. */
export function keepCase(f: ReportFilter, c: CaseResult): boolean {
  if (!isFiltered(f)) return true;
  return Object.entries(c.verdicts).some(([p, v]) => keepProfile(f, p) && keepVerdict(f, v.verdict));
}

// Verdicts listed case by case under each profile, with expected, observed and why. error, skipped and unsupported
// are the case's own status (the same under every profile), so they are listed once per case in their own sections.
const PER_PROFILE: readonly VerdictName[] = ['diverges', 'inconclusive', 'unspecified', 'conforms'];

/** Which verdicts a report lists under each profile: divergences by default (the findings), or those asked for. */
export function listedVerdicts(f: ReportFilter): VerdictName[] {
  return f.verdicts === undefined ? ['diverges'] : PER_PROFILE.filter((v) => keepVerdict(f, v));
}

/** "profile linux; verdict diverges, error": what a report's header says it left out. Empty when nothing is. */
export function describeFilter(f: ReportFilter): string {
  return [
    f.profiles === undefined ? '' : `profile ${f.profiles.join(', ')}`,
    f.verdicts === undefined ? '' : `verdict ${f.verdicts.join(', ')}`,
  ]
    .filter((part) => part !== '')
    .join('; ');
}
