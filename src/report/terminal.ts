// The terminal summary: per profile the count of each verdict, then each divergence with expected, observed and
// the quoted clause, then cases that broke. Built from the results object alone, never from the run itself.
// Every string from the results file goes through `s` (terminalText): a title holding ESC[2K or OSC 52 must print as
// text, never reach the terminal as a command. The report's own colours are the only escape sequences it writes.
import { type Results, VERDICTS } from '../results.js';
import { describeSelection } from '../selection.js';
import { terminalText as s } from './escape.js';

const short = (text: string, n = 160): string => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function renderTerminal(results: Results, opts: { color?: boolean } = {}): string {
  const paint = (code: number, text: string): string => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const t = results.target;
  const out: string[] = [];
  out.push(`semconf ${s(results.tool.version)}: ${s(t.id)} (${s(`${t.os} ${t.release}`)}, ${s(t.libc)}, ${s(t.arch)}, runtime ${s(t.runtime)}, page ${t.pageSize} B)`);
  out.push(`${results.cases.length} cases, spec ${s(results.specDigest.slice(0, 19))}, ${results.complete ? 'complete' : 'INCOMPLETE'}`);
  if (results.selection !== undefined) {
    out.push(`PARTIAL RUN: ${s(describeSelection(results.selection))} selected ${results.cases.length} of the catalog's ${results.selection.catalogCases} case(s)`);
  }
  for (const [name, p] of Object.entries(results.probes)) {
    out.push(`  probe ${s(name)}: ${p.available ? 'yes' : 'NO'} (${s(p.method)})`);
  }
  out.push('');
  const width = Math.max(8, ...results.profiles.map((p) => s(p.id).length));
  out.push(['profile'.padEnd(width), ...VERDICTS.map((v) => v.padStart(v.length))].join('  '));
  for (const p of results.profiles) {
    const row = results.summary[p.id];
    out.push([s(p.id).padEnd(width), ...VERDICTS.map((v) => String(row?.[v] ?? 0).padStart(v.length))].join('  '));
  }
  for (const p of results.profiles) {
    const diverging = results.cases.filter((c) => c.verdicts[p.id]?.verdict === 'diverges');
    if (diverging.length === 0) continue;
    out.push('', paint(1, `Divergences from ${s(p.name)} (${s(p.id)}): ${diverging.length}`));
    for (const c of diverging) {
      const v = c.verdicts[p.id];
      if (!v) continue;
      out.push(`  ${paint(31, s(c.id))}  ${s(c.title)}  [${s(c.context.name)}]`);
      out.push(`    expected: ${s(v.expected)}`);
      out.push(`    observed: ${s(v.observed ?? '-')}`);
      if (v.reason) out.push(`    why:      ${s(v.reason)}`);
      for (const cl of v.clauses ?? []) out.push(`    clause ${s(cl.id)} (${s(cl.section)}): "${short(s(cl.quote))}"`);
      if (v.basis) out.push(`    basis:    ${s(v.basis)}`);
    }
  }
  const broken = results.cases.filter((c) => c.status === 'error');
  if (broken.length > 0) {
    out.push('', paint(1, `Errors (the case itself broke): ${broken.length}`));
    for (const c of broken) out.push(`  ${paint(33, s(c.id))}  ${s(c.reason ?? '')}`);
  }
  const skipped = results.cases.filter((c) => c.status === 'skipped' || c.status === 'unsupported');
  if (skipped.length > 0) {
    out.push('', `Not run: ${skipped.length}`);
    for (const c of skipped) out.push(`  ${s(c.id)}  ${c.status}: ${s(c.reason ?? '')}`);
  }
  // run --repeat: cases whose behaviour varied between repetitions, apart from the verdicts (those are the first
  // repetition's).
  const flaky = results.cases.filter((c) => c.flaky !== undefined);
  if (flaky.length > 0) {
    out.push('', paint(1, `Flaky (behaviour varied between ${results.repeat ?? '?'} repetitions): ${flaky.length}`));
    for (const c of flaky) out.push(`  ${paint(33, c.id)}  ${(c.flaky?.differed ?? []).map((d) => `${d.what} ${d.values.join(' / ')}`).join('; ')}`);
  }
  return `${out.join('\n')}\n`;
}
