// JUnit XML for CI test reporters: one <testsuite> per target × profile, one <testcase> per case in it. Only the
// required profiles become suites (all profiles when none is required), so a CI dashboard shows what the target
// promises to conform to. diverges → <failure>, error → <error>, and every verdict that neither passes nor fails
// (skipped, unsupported, unspecified, inconclusive) → <skipped> with the reason.
//
// The output is valid against the common JUnit schema (Jenkins xunit plugin's junit-10.xsd, test/fixtures/junit/):
// <testsuites> has no `skipped` attribute there (the suites carry it), and a suite's time allows at most three
// decimals. Times are honest in a matrix: a testcase's is its case's duration, a suite's the sum of its cases, and
// the total counts each target's run once, although the run appears in one suite per profile.
import type { Matrix, MatrixTarget } from '../matrix.js';
import type { CaseResult, Verdict } from '../results.js';
import { escapeXml as x, oneLine } from './escape.js';
import { countVerdicts, type ProfileInfo, profilesOf } from './model.js';

export interface JunitOptions {
  required?: readonly string[];
}

// Milliseconds, the schema's finest grain (its time pattern allows three decimals).
const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** How long the cases judged against profile `p` took: a suite's time. */
const casesTime = (t: MatrixTarget, p: string): number =>
  t.results.cases.filter((c) => c.verdicts[p] !== undefined).reduce((ms, c) => ms + c.durationMs, 0);

/** The body of a <failure> or <error>: everything needed to act on it without opening the results file. */
function details(c: CaseResult, v: Verdict): string {
  const lines = [
    `${c.id}: ${c.title}`,
    `call:     ${c.observed?.call.text ?? '-'} [${c.context.name}]`,
    `expected: ${v.expected}`,
    `observed: ${v.observed ?? '-'}`,
  ];
  if (v.reason) lines.push(`why:      ${v.reason}`);
  if (c.reason && c.reason !== v.reason) lines.push(`case:     ${c.reason}`);
  for (const cl of v.clauses ?? []) lines.push(`clause ${cl.id} (${cl.document}, ${cl.section}): "${oneLine(cl.quote)}"`);
  if (v.basis) lines.push(`basis:    ${v.basis}`);
  for (const w of c.warnings ?? []) lines.push(`warning:  ${w}`);
  return lines.join('\n');
}

function testcase(p: ProfileInfo, c: CaseResult, indent: string): string {
  const v = c.verdicts[p.id];
  const head = `${indent}<testcase classname="${x(`semconf.${p.id}.${c.function}`)}" name="${x(c.id)}" time="${seconds(c.durationMs)}"`;
  if (v === undefined || v.verdict === 'conforms') return `${head}/>`;
  const inner = `${indent}  `;
  let body: string;
  switch (v.verdict) {
    case 'diverges': {
      const message = `${v.reason ?? `expected ${v.expected}, observed ${v.observed ?? '-'}`}`;
      body = `${inner}<failure type="diverges" message="${x(message)}">${x(details(c, v))}</failure>`;
      break;
    }
    case 'error':
      body = `${inner}<error type="error" message="${x(v.reason ?? c.reason ?? 'the case broke')}">${x(details(c, v))}</error>`;
      break;
    default: {
      const why = v.reason ?? c.reason;
      body = `${inner}<skipped message="${x(`${v.verdict}${why ? `: ${why}` : ''}`)}"/>`;
    }
  }
  return `${head}>\n${body}\n${indent}</testcase>`;
}

function testsuite(t: MatrixTarget, p: ProfileInfo, timestamp: string): string {
  const r = t.results;
  const counts = countVerdicts(r, p.id);
  const skipped = counts.skipped + counts.unsupported + counts.unspecified + counts.inconclusive;
  const tests = r.cases.filter((c) => c.verdicts[p.id] !== undefined);
  const time = seconds(casesTime(t, p.id));
  const props: [string, string][] = [
    ...Object.entries(r.target).map(([k, v]): [string, string] => [`target.${k}`, String(v)]),
    ['profile.name', p.name],
    ['profile.version', p.version],
    ['specDigest', r.specDigest],
    ['complete', String(t.complete)],
    ['stale', String(t.stale)],
    ...t.notes.map((n, i): [string, string] => [`note.${i + 1}`, n]),
  ];
  return [
    `  <testsuite name="${x(`${t.id}: ${p.id}`)}" tests="${tests.length}" failures="${counts.diverges}" errors="${counts.error}" skipped="${skipped}" time="${time}" timestamp="${x(timestamp)}" hostname="${x(t.id)}">`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${x(k)}" value="${x(v)}"/>`),
    '    </properties>',
    ...tests.map((c) => testcase(p, c, '    ')),
    '  </testsuite>',
  ].join('\n');
}

export function renderJunit(matrix: Matrix, options: JunitOptions = {}): string {
  const all = profilesOf(matrix);
  const required = options.required ?? [];
  const profiles = required.length > 0 ? all.filter((p) => required.includes(p.id)) : all;
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let ms = 0;
  for (const t of matrix.targets) {
    // Each run once: its suites (one per profile) are the same cases judged again, not more time spent.
    let runMs = 0;
    for (const p of profiles) {
      if (!t.results.profiles.some((q) => q.id === p.id)) continue;
      const counts = countVerdicts(t.results, p.id);
      tests += Object.values(counts).reduce((a, b) => a + b, 0);
      failures += counts.diverges;
      errors += counts.error;
      runMs = Math.max(runMs, casesTime(t, p.id));
      // ISO 8601 without the zone, as the JUnit schema's timestamp wants it.
      suites.push(testsuite(t, p, t.results.startedAt.replace(/Z$/, '').replace(/\.\d+$/, '')));
    }
    ms += runMs;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="semconf" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(ms)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
