// report --compact: one line per finding, as a compiler prints diagnostics, so a report can be grepped, counted
// (wc -l) and read in a CI log:
//   mlock.zero-length [privileged] linux diverges: expected fails EINVAL, observed returns 0
// A finding is one case under one profile. Without --verdict the findings are what --require would fail on
// (diverges and error); --profile and --verdict choose others. A matrix prefixes each line with the target id.
// Every field from the results file goes through terminalText, as in the full terminal report.
import type { Matrix } from '../matrix.js';
import type { Verdict, VerdictName } from '../results.js';
import { terminalText as s } from './escape.js';
import { keepProfile, type ReportFilter } from './filter.js';
import { FAILING, profilesOf } from './model.js';

const WHY_LENGTH = 160;

const short = (text: string): string => (text.length > WHY_LENGTH ? `${text.slice(0, WHY_LENGTH - 1)}…` : text);

/** The short why: the verdict's own reason, else what was observed, else what was expected. */
function why(v: Verdict): string {
  if (v.reason !== undefined && v.reason !== '') return v.reason;
  if (v.observed !== undefined) return `observed ${v.observed}`;
  return `expected ${v.expected}`;
}

// Red for what fails a required profile, yellow for what cannot be judged: the same colours as the full report.
const COLOUR: Partial<Record<VerdictName, number>> = { diverges: 31, error: 33, inconclusive: 33 };

export function renderCompact(matrix: Matrix, opts: { filter?: ReportFilter; color?: boolean } = {}): string {
  const filter = opts.filter ?? {};
  const wanted = (v: VerdictName): boolean => (filter.verdicts === undefined ? FAILING.has(v) : filter.verdicts.includes(v));
  const paint = (v: VerdictName): string => {
    const code = COLOUR[v];
    return opts.color === true && code !== undefined ? `\x1b[${code}m${v}\x1b[0m` : v;
  };
  const profiles = profilesOf(matrix).filter((p) => keepProfile(filter, p.id));
  const many = matrix.targets.length > 1;
  const out: string[] = [];
  for (const t of matrix.targets) {
    for (const c of t.results.cases) {
      for (const p of profiles) {
        const v = Object.hasOwn(c.verdicts, p.id) ? c.verdicts[p.id] : undefined;
        if (v === undefined || !wanted(v.verdict)) continue;
        out.push(`${many ? `${s(t.id)}: ` : ''}${s(c.id)} [${s(c.context.name)}] ${s(p.id)} ${paint(v.verdict)}: ${short(s(why(v)))}`);
      }
    }
  }
  return out.map((line) => `${line}\n`).join('');
}
