// The terminal summary: per profile the count of each verdict, then each divergence with expected, observed and
// the quoted clause, then cases that broke. Built from the results object alone, never from the run itself.
import { type Results, VERDICTS } from '../results.js';

const short = (s: string, n = 160): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderTerminal(results: Results, opts: { color?: boolean } = {}): string {
  const paint = (code: number, s: string): string => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const t = results.target;
  const out: string[] = [];
  out.push(`semconf ${results.tool.version}: ${t.id} (${t.os} ${t.release}, ${t.libc}, ${t.arch}, runtime ${t.runtime}, page ${t.pageSize} B)`);
  out.push(`${results.cases.length} cases, spec ${results.specDigest.slice(0, 19)}, ${results.complete ? 'complete' : 'INCOMPLETE'}`);
  for (const [name, p] of Object.entries(results.probes)) {
    out.push(`  probe ${name}: ${p.available ? 'yes' : 'NO'} (${p.method})`);
  }
  out.push('');
  const width = Math.max(8, ...results.profiles.map((p) => p.id.length));
  out.push(['profile'.padEnd(width), ...VERDICTS.map((v) => v.padStart(v.length))].join('  '));
  for (const p of results.profiles) {
    const row = results.summary[p.id];
    out.push([p.id.padEnd(width), ...VERDICTS.map((v) => String(row?.[v] ?? 0).padStart(v.length))].join('  '));
  }
  for (const p of results.profiles) {
    const diverging = results.cases.filter((c) => c.verdicts[p.id]?.verdict === 'diverges');
    if (diverging.length === 0) continue;
    out.push('', paint(1, `Divergences from ${p.name} (${p.id}): ${diverging.length}`));
    for (const c of diverging) {
      const v = c.verdicts[p.id];
      if (!v) continue;
      out.push(`  ${paint(31, c.id)}  ${c.title}  [${c.context.name}]`);
      out.push(`    expected: ${v.expected}`);
      out.push(`    observed: ${v.observed ?? '-'}`);
      if (v.reason) out.push(`    why:      ${v.reason}`);
      for (const cl of v.clauses ?? []) out.push(`    clause ${cl.id} (${cl.section}): "${short(cl.quote.replace(/\s+/g, ' '))}"`);
      if (v.basis) out.push(`    basis:    ${v.basis}`);
    }
  }
  const broken = results.cases.filter((c) => c.status === 'error');
  if (broken.length > 0) {
    out.push('', paint(1, `Errors (the case itself broke): ${broken.length}`));
    for (const c of broken) out.push(`  ${paint(33, c.id)}  ${c.reason ?? ''}`);
  }
  const skipped = results.cases.filter((c) => c.status === 'skipped' || c.status === 'unsupported');
  if (skipped.length > 0) {
    out.push('', `Not run: ${skipped.length}`);
    for (const c of skipped) out.push(`  ${c.id}  ${c.status}: ${c.reason ?? ''}`);
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
