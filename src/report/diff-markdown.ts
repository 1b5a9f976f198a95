// The Markdown form of a diff: the verdict on top (what fails it), then target facts, then each changed case with
// its behaviour and verdict changes, then flaky cases, new and removed cases, and last, folded, the environment.
import type { CaseChange, Diff, FlakyCase } from '../diff.js';
import type { Flaky } from '../results.js';
import { mdCode, mdText } from './escape.js';

const arrow = (a: string, b: string): string => `${mdCode(a)} → ${mdCode(b)}`;

function caseLines(c: CaseChange): string[] {
  const out = [`- **${mdText(c.id)}**: ${mdText(c.title)}`];
  if (c.unexplained) out.push('  - ⚠️ **the behaviour changed with the same spec and the same expectations: the target behaves differently**');
  const note = (o: (typeof c.observation)[number]): string =>
    o.part === 'call' ? ' (the case changed)' : o.part === 'visibility' ? ' (not observable on one side: not a change of behaviour)' : '';
  for (const o of c.observation) out.push(`  - ${mdText(o.what)}: ${arrow(o.old, o.new)}${note(o)}`);
  out.push(...verdictLines(c.verdicts));
  return out;
}

function verdictLines(verdicts: CaseChange['verdicts']): string[] {
  const out: string[] = [];
  for (const v of verdicts) {
    const tags = [v.required ? 'required' : '', v.regression ? '**regression**' : '', v.expectationChanged ? 'expectation changed' : '']
      .filter((t) => t !== '')
      .join(', ');
    out.push(`  - ${mdText(v.profile)}: ${v.old ?? 'not judged'} → ${v.new ?? 'not judged'}${tags ? ` (${tags})` : ''}`);
    if (v.expectationChanged) out.push(`    - expected ${arrow(v.oldExpected ?? '-', v.newExpected ?? '-')}`);
  }
  return out;
}

function flakyLines(c: FlakyCase): string[] {
  const out = [`- **${mdText(c.id)}**: ${mdText(c.title)}`];
  const within = (name: string, f: Flaky | null): void => {
    if (f === null) return;
    const what = f.differed.map((d) => `${mdText(d.what)} ${d.values.map(mdCode).join(' / ')}`).join('; ');
    out.push(`  - flaky in the ${name} run over ${f.repetitions} repetitions: ${what}`);
  };
  within('old', c.old);
  within('new', c.new);
  for (const o of c.observation) out.push(`  - ${mdText(o.what)}: ${arrow(o.old, o.new)}${o.part === 'visibility' ? ' (not observable on one side)' : ''}`);
  out.push(...verdictLines(c.verdicts));
  return out;
}

const EXAMPLES = 2;

/** Environment, one line per kind: how many cases differ in it, and a couple of examples. */
function environmentLines(diff: Diff): string[] {
  const byWhat = new Map<string, Diff['environment']>();
  for (const e of diff.environment) byWhat.set(e.what, [...(byWhat.get(e.what) ?? []), e]);
  const cases = new Set(diff.environment.map((e) => e.id)).size;
  const out = [
    '',
    `<details><summary>Environment: differs in ${cases} case(s); what varies with semconf's own process (its heap, the worker's whole-process locked total, timings) is not behaviour and never a change</summary>`,
    '',
  ];
  for (const [what, list] of byWhat) {
    const eg = list.slice(0, EXAMPLES).map((e) => `${mdText(e.id)} ${arrow(e.old, e.new)}`);
    out.push(`- ${mdText(what)}: ${list.length} case(s), e.g. ${eg.join('; ')}${list.length > EXAMPLES ? ' …' : ''}`);
  }
  out.push('', '</details>');
  return out;
}

export function renderDiffMarkdown(diff: Diff): string {
  const out = [`# semconf diff: ${mdText(diff.old.file)} → ${mdText(diff.new.file)}`, ''];
  const sideLine = (name: string, s: Diff['old']): string =>
    `- ${name}: ${mdText(s.target)}, run ${mdText(s.startedAt)}, ${s.cases} cases, spec ${mdCode(s.specDigest.slice(0, 19))}${s.complete ? '' : ', INCOMPLETE'}`;
  out.push(sideLine('old', diff.old), sideLine('new', diff.new), '');
  const req = diff.required.length > 0 ? `required: ${diff.required.map(mdText).join(', ')}` : 'no profile required; name them with --require';
  if (diff.failing) {
    const why = [
      diff.regressions.length > 0 ? `${diff.regressions.length} regression(s) in required profiles` : '',
      diff.unexplained.length > 0 ? `${diff.unexplained.length} behaviour change(s) the spec does not explain` : '',
    ].filter((w) => w !== '');
    out.push(`**❌ ${why.join('; ')}** (${req}).`);
  } else {
    out.push(`**✅ no regression and no unexplained behaviour change** (${req}).`);
  }
  out.push(
    '',
    `${diff.changed.length} case(s) changed, ${diff.flaky.length} flaky, ${diff.added.length} new, ${diff.removed.length} removed${diff.specChanged ? '; the spec changed between the runs' : '; same spec'}.`,
  );
  if (diff.selectionChanged) {
    const outside = diff.outsideSelection.onlyOld.length + diff.outsideSelection.onlyNew.length;
    out.push(
      '',
      `**The runs selected different cases**: old ${mdText(diff.old.selection)}; new ${mdText(diff.new.selection)}. ` +
        `${outside} case(s) held by one side only because only its selection took them are neither new nor removed.`,
    );
  }
  if (diff.regressions.length > 0) {
    out.push('', '## Regressions', '');
    for (const r of diff.regressions) out.push(`- **${mdText(r.id)}** ${mdText(r.profile)}: ${r.old} → ${r.new}`);
  }
  if (diff.facts.length > 0) {
    out.push('', '## Target', '', '| fact | old | new |', '|---|---|---|');
    for (const f of diff.facts) out.push(`| ${mdText(f.field)} | ${mdText(f.old)} | ${mdText(f.new)} |`);
  }
  const ordered = [...diff.changed].sort((a, b) => Number(b.unexplained) - Number(a.unexplained));
  if (ordered.length > 0) out.push('', '## Changed cases', '', ...ordered.flatMap(caseLines));
  if (diff.flaky.length > 0) {
    out.push('', '## Flaky cases (their behaviour varied between repetitions of a run: never a failure)', '', ...diff.flaky.flatMap(flakyLines));
  }
  if (diff.added.length > 0) {
    out.push('', '## New cases', '');
    for (const c of diff.added) out.push(`- **${mdText(c.id)}**: ${mdText(c.title)}`);
  }
  if (diff.removed.length > 0) {
    out.push('', '## Removed cases', '');
    for (const c of diff.removed) out.push(`- **${mdText(c.id)}**: ${mdText(c.title)}`);
  }
  if (diff.environment.length > 0) out.push(...environmentLines(diff));
  return `${out.join('\n')}\n`;
}
