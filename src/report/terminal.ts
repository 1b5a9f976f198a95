// The terminal summary: per profile the count of each verdict, then each divergence with expected, observed and
// the quoted clause, then cases that broke. report --profile / --verdict narrow the rows, the columns and the
// listings (src/report/filter.ts); a --verdict other than diverges lists those cases per profile the same way. Built from the results object alone, never from the run itself.
// Every string from the results file goes through `s` (terminalText): a title holding ESC[2K or OSC 52 must print as
// text, never reach the terminal as a command. The report's own colours are the only escape sequences it writes.
import { type Results, VERDICTS, type VerdictName } from '../results.js';
import { describeSelection } from '../selection.js';
import { terminalText as s } from './escape.js';
import { describeFilter, isFiltered, keepCase, keepProfile, keepVerdict, listedVerdicts, type ReportFilter } from './filter.js';

const short = (text: string, n = 160): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** The heading of a per-profile listing, by verdict. */
const HEADING: Partial<Record<VerdictName, string>> = {
  diverges: 'Divergences from',
  inconclusive: 'Inconclusive under',
  unspecified: 'Unspecified by',
  conforms: 'Conforming to',
};

type Paint = (code: number, text: string) => string;

/** The cases one profile judged `verdict`, each with expected, observed, why and the quoted clause. */
function listing(results: Results, p: Results['profiles'][number], verdict: VerdictName, paint: Paint): string[] {
  const hits = results.cases.filter((c) => c.verdicts[p.id]?.verdict === verdict);
  if (hits.length === 0) return [];
  const lines = ['', paint(1, `${HEADING[verdict] ?? verdict} ${s(p.name)} (${s(p.id)}): ${hits.length}`)];
  for (const c of hits) {
    const v = c.verdicts[p.id];
    if (!v) continue;
    lines.push(`  ${verdict === 'diverges' ? paint(31, s(c.id)) : s(c.id)}  ${s(c.title)}  [${s(c.context.name)}]`);
    lines.push(`    expected: ${s(v.expected)}`);
    lines.push(`    observed: ${s(v.observed ?? '-')}`);
    if (v.reason) lines.push(`    why:      ${s(v.reason)}`);
    for (const cl of v.clauses ?? []) lines.push(`    clause ${s(cl.id)} (${s(cl.section)}): "${short(s(cl.quote))}"`);
    if (v.basis) lines.push(`    basis:    ${s(v.basis)}`);
  }
  return lines;
}

export interface TerminalOptions {
  color?: boolean;
  /** report --profile / --verdict: what to list */
  filter?: ReportFilter;
}

export function renderTerminal(results: Results, opts: TerminalOptions = {}): string {
  const filter = opts.filter ?? {};
  const profiles = results.profiles.filter((p) => keepProfile(filter, p.id));
  const columns = VERDICTS.filter((v) => keepVerdict(filter, v));
  const paint = (code: number, text: string): string => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const t = results.target;
  const out: string[] = [];
  out.push(`semconf ${s(results.tool.version)}: ${s(t.id)} (${s(`${t.os} ${t.release}`)}, ${s(t.libc)}, ${s(t.arch)}, runtime ${s(t.runtime)}, page ${t.pageSize} B)`);
  out.push(`${results.cases.length} cases, spec ${s(results.specDigest.slice(0, 19))}, ${results.complete ? 'complete' : 'INCOMPLETE'}`);
  if (results.selection !== undefined) {
    out.push(`PARTIAL RUN: ${s(describeSelection(results.selection))} selected ${results.cases.length} of the catalog's ${results.selection.catalogCases} case(s)`);
  }
  if (isFiltered(filter)) out.push(`showing only ${s(describeFilter(filter))} (--require still counts every required profile)`);
  for (const [name, p] of Object.entries(results.probes)) {
    out.push(`  probe ${s(name)}: ${p.available ? 'yes' : 'NO'} (${s(p.method)})`);
  }
  out.push('');
  const width = Math.max(8, ...profiles.map((p) => s(p.id).length));
  out.push(['profile'.padEnd(width), ...columns.map((v) => v.padStart(v.length))].join('  '));
  for (const p of profiles) {
    const row = results.summary[p.id];
    out.push([s(p.id).padEnd(width), ...columns.map((v) => String(row?.[v] ?? 0).padStart(v.length))].join('  '));
  }
  for (const p of profiles) {
    for (const verdict of listedVerdicts(filter)) out.push(...listing(results, p, verdict, paint));
  }
  const broken = keepVerdict(filter, 'error') ? results.cases.filter((c) => c.status === 'error' && keepCase(filter, c)) : [];
  if (broken.length > 0) {
    out.push('', paint(1, `Errors (the case itself broke): ${broken.length}`));
    for (const c of broken) out.push(`  ${paint(33, s(c.id))}  ${s(c.reason ?? '')}`);
  }
  const skipped = results.cases.filter((c) => (c.status === 'skipped' || c.status === 'unsupported') && keepVerdict(filter, c.status) && keepCase(filter, c));
  if (skipped.length > 0) {
    out.push('', `Not run: ${skipped.length}`);
    for (const c of skipped) out.push(`  ${s(c.id)}  ${c.status}: ${s(c.reason ?? '')}`);
  }
  // run --repeat: cases whose behaviour varied between repetitions, apart from the verdicts (those are the first
  // repetition's).
  const flaky = results.cases.filter((c) => c.flaky !== undefined && keepCase(filter, c));
  if (flaky.length > 0) {
    out.push('', paint(1, `Flaky (behaviour varied between ${results.repeat ?? '?'} repetitions): ${flaky.length}`));
    for (const c of flaky) out.push(`  ${paint(33, s(c.id))}  ${(c.flaky?.differed ?? []).map((d) => `${s(d.what)} ${d.values.map(s).join(' / ')}`).join('; ')}`);
  }
  return `${out.join('\n')}\n`;
}
