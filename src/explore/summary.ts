// The summary of an exploration: one table (per target pair: sequences tried, differences found, distinct after
// shrinking), the cost per target, and the findings, as Markdown or terminal text. Pure.
import { mdCode, mdText, visibleControls } from '../report/escape.js';
import type { ExploreReport } from './explore.js';
import { callText } from './sequence.js';

export function summaryMarkdown(r: ExploreReport): string {
  const lines = [
    `## semconf explore (seed ${r.seed})`,
    '',
    '| targets | sequences tried | differences found | distinct after shrinking |',
    '|---|---|---|---|',
    ...r.pairs.map((p) => `| ${p.pair} | ${p.tried} | ${p.found} | ${p.distinct} |`),
    '',
    '| target | sequences run | seconds | sequences per second |',
    '|---|---|---|---|',
    ...r.costs.map((c) => `| ${c.target} | ${c.sequences} | ${(c.ms / 1000).toFixed(1)} | ${c.ms > 0 ? ((c.sequences * 1000) / c.ms).toFixed(1) : '-'} |`),
  ];
  if (r.findings.length > 0) {
    lines.push('', '| case | minimal sequence | differs |', '|---|---|---|');
    for (const f of r.findings) {
      const seq = [...f.sequence.steps.map(callText), callText(f.sequence.call)].join(' then ');
      const what = f.differences.flatMap((d) => d.changes.map((c) => `${d.pair} ${c.what}: ${c.old} → ${c.new}`)).join('; ');
      const context = f.sequence.limit !== null ? ` (unprivileged, memlock ${f.sequence.limit})` : '';
      // Table cells: mdText escapes the pipes of "MCL_CURRENT | MCL_FUTURE", which a code span would not.
      lines.push(`| ${mdCode(f.id)} | ${mdText(seq)}${context} | ${mdText(what)} |`);
    }
  }
  if (r.unconfirmed > 0) lines.push('', `${r.unconfirmed} shrunk difference(s) did not show again on the confirming rerun and were dropped.`);
  return `${lines.join('\n')}\n`;
}

export function summaryTerminal(r: ExploreReport): string {
  const rows = [['targets', 'tried', 'found', 'distinct'], ...r.pairs.map((p) => [p.pair, String(p.tried), String(p.found), String(p.distinct)])];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const out = rows.map((row) => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  for (const c of r.costs) out.push(`${c.target}: ${c.sequences} sequence(s) in ${(c.ms / 1000).toFixed(1)} s (${c.ms > 0 ? ((c.sequences * 1000) / c.ms).toFixed(1) : '-'}/s)`);
  for (const f of r.findings) {
    out.push(`${f.id}: ${[...f.sequence.steps.map(callText), callText(f.sequence.call)].join(' then ')}`);
    for (const d of f.differences) for (const c of d.changes) out.push(`  ${d.pair} ${c.what}: ${c.old} -> ${c.new}`);
  }
  return `${out.map(visibleControls).join('\n')}\n`;
}
