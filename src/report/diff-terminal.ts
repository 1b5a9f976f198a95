// The terminal form of a diff: the same sections in the same order as the Markdown form (src/report/diff-markdown.ts),
// as plain aligned text. No Markdown and no HTML entities (a probe reading `clone(&pause)` prints as that), but every
// string from the results files goes through terminalText: a title holding ESC[2K or OSC 52 prints as text, a line
// break cannot forge a report line. The only escape sequences written are the diff's own colours.
import type { CaseChange, Diff, FlakyCase, ObservationChange, VerdictChange } from '../diff.js';
import type { Flaky } from '../results.js';
import { terminalText as s } from './escape.js';

type Paint = (code: number, text: string) => string;

const BOLD = 1;
const RED = 31;
const GREEN = 32;
const YELLOW = 33;

const arrow = (a: string, b: string): string => `${s(a)} → ${s(b)}`;

/** Rows of label and text, the labels padded to the longest so the texts start in one column. */
function aligned(indent: string, rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, text]) => `${indent}${`${label}:`.padEnd(width + 1)}  ${text}`);
}

function observationRow(o: ObservationChange): [string, string] {
  const note = o.part === 'call' ? ' (the case changed)' : o.part === 'visibility' ? ' (not observable on one side: not a change of behaviour)' : '';
  return [s(o.what), `${arrow(o.old, o.new)}${note}`];
}

function verdictRows(verdicts: readonly VerdictChange[], paint: Paint): [string, string][] {
  return verdicts.flatMap((v): [string, string][] => {
    const tags = [v.required ? 'required' : '', v.regression ? paint(RED, 'regression') : '', v.expectationChanged ? 'expectation changed' : '']
      .filter((t) => t !== '')
      .join(', ');
    const row: [string, string] = [s(v.profile), `${v.old ?? 'not judged'} → ${v.new ?? 'not judged'}${tags ? ` (${tags})` : ''}`];
    return v.expectationChanged ? [row, [`${s(v.profile)} expected`, arrow(v.oldExpected ?? '-', v.newExpected ?? '-')]] : [row];
  });
}

function caseLines(c: CaseChange, paint: Paint): string[] {
  const out = [`  ${paint(c.unexplained ? RED : BOLD, s(c.id))}  ${s(c.title)}`];
  if (c.unexplained) out.push(`    ${paint(RED, '! the behaviour changed with the same spec and the same expectations: the target behaves differently')}`);
  out.push(...aligned('    ', [...c.observation.map(observationRow), ...verdictRows(c.verdicts, paint)]));
  return out;
}

function flakyLines(c: FlakyCase, paint: Paint): string[] {
  const within = (name: string, f: Flaky | null): [string, string][] =>
    f === null ? [] : [[`flaky in ${name} run`, `over ${f.repetitions} repetitions: ${f.differed.map((d) => `${s(d.what)} ${d.values.map(s).join(' / ')}`).join('; ')}`]];
  return [
    `  ${paint(YELLOW, s(c.id))}  ${s(c.title)}`,
    ...aligned('    ', [...within('old', c.old), ...within('new', c.new), ...c.observation.map(observationRow), ...verdictRows(c.verdicts, paint)]),
  ];
}

const EXAMPLES = 2;

function environmentLines(diff: Diff): string[] {
  const byWhat = new Map<string, Diff['environment']>();
  for (const e of diff.environment) byWhat.set(e.what, [...(byWhat.get(e.what) ?? []), e]);
  const cases = new Set(diff.environment.map((e) => e.id)).size;
  const rows = [...byWhat].map(([what, list]): [string, string] => {
    const eg = list.slice(0, EXAMPLES).map((e) => `${s(e.id)} ${arrow(e.old, e.new)}`);
    return [s(what), `${list.length} case(s), e.g. ${eg.join('; ')}${list.length > EXAMPLES ? ' …' : ''}`];
  });
  return [
    '',
    `Environment: differs in ${cases} case(s); what varies with semconf's own process (its heap, the worker's whole-process locked total, timings) is not behaviour and never a change`,
    ...aligned('  ', rows),
  ];
}

export function renderDiffTerminal(diff: Diff, opts: { color?: boolean } = {}): string {
  const paint: Paint = (code, text) => (opts.color === true ? `\x1b[${code}m${text}\x1b[0m` : text);
  const out = [paint(BOLD, `semconf diff: ${s(diff.old.file)} → ${s(diff.new.file)}`)];
  const side = (d: Diff['old']): string =>
    `${s(d.target)}, run ${s(d.startedAt)}, ${d.cases} cases, spec ${s(d.specDigest.slice(0, 19))}${d.complete ? '' : ', INCOMPLETE'}`;
  out.push(...aligned('  ', [['old', side(diff.old)], ['new', side(diff.new)]]), '');
  const req = diff.required.length > 0 ? `required: ${diff.required.map(s).join(', ')}` : 'no profile required; name them with --require';
  if (diff.failing) {
    const why = [
      diff.regressions.length > 0 ? `${diff.regressions.length} regression(s) in required profiles` : '',
      diff.unexplained.length > 0 ? `${diff.unexplained.length} behaviour change(s) the spec does not explain` : '',
    ].filter((w) => w !== '');
    out.push(`${paint(RED, `FAIL: ${why.join('; ')}`)} (${req})`);
  } else {
    out.push(`${paint(GREEN, 'OK: no regression and no unexplained behaviour change')} (${req})`);
  }
  out.push(
    `${diff.changed.length} case(s) changed, ${diff.flaky.length} flaky, ${diff.added.length} new, ${diff.removed.length} removed${diff.specChanged ? '; the spec changed between the runs' : '; same spec'}`,
  );
  if (diff.regressions.length > 0) {
    out.push('', paint(BOLD, `Regressions: ${diff.regressions.length}`));
    const width = Math.max(...diff.regressions.map((r) => s(r.id).length));
    for (const r of diff.regressions) out.push(`  ${paint(RED, s(r.id).padEnd(width))}  ${s(r.profile)}: ${r.old} → ${r.new}`);
  }
  if (diff.facts.length > 0) {
    out.push('', paint(BOLD, 'Target'), ...aligned('  ', diff.facts.map((f): [string, string] => [s(f.field), arrow(f.old, f.new)])));
  }
  const ordered = [...diff.changed].sort((a, b) => Number(b.unexplained) - Number(a.unexplained));
  if (ordered.length > 0) out.push('', paint(BOLD, `Changed cases: ${ordered.length}`), ...ordered.flatMap((c) => caseLines(c, paint)));
  if (diff.flaky.length > 0) {
    out.push('', paint(BOLD, `Flaky cases (their behaviour varied between repetitions of a run: never a failure): ${diff.flaky.length}`));
    out.push(...diff.flaky.flatMap((c) => flakyLines(c, paint)));
  }
  const briefs = (title: string, list: Diff['added']): void => {
    if (list.length === 0) return;
    out.push('', paint(BOLD, `${title}: ${list.length}`), ...aligned('  ', list.map((c): [string, string] => [s(c.id), s(c.title)])));
  };
  briefs('New cases', diff.added);
  briefs('Removed cases', diff.removed);
  if (diff.environment.length > 0) out.push(...environmentLines(diff));
  return `${out.join('\n')}\n`;
}
