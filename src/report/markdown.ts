// The Markdown report: short enough for a GitHub job summary (a table, then one line per profile), complete enough
// for an audit (every divergence with expected, observed, why and the quoted clause). Required profiles come first
// and open; the other profiles' divergences are information and fold into <details>. report --profile / --verdict
// narrow the table and the sections (src/report/filter.ts).
import type { Matrix, MatrixTarget } from '../matrix.js';
import { type ClauseRef, VERDICTS, type VerdictName } from '../results.js';
import { mdCode, mdText } from './escape.js';
import { describeFilter, isFiltered, keepCase, keepProfile, keepVerdict, listedVerdicts, type ReportFilter } from './filter.js';
import {
  type CaseRow,
  casesOf,
  type Counts,
  countVerdicts,
  describeCounts,
  missingProbes,
  type ProfileInfo,
  profilesOf,
  targetState,
} from './model.js';

export interface MarkdownOptions {
  /** profiles a target must conform to: their divergences and errors are failures */
  required?: readonly string[];
  /** report --profile / --verdict: the profiles (table rows, sections), verdicts (columns, listings) to show */
  filter?: ReportFilter;
}

/** A list item holding a block quote: the clause verbatim, then where it is from. */
const clauseLine = (cl: ClauseRef): string =>
  `  - > ${mdText(cl.quote)}<br>— ${mdText(cl.document)}, ${mdText(cl.section)} (${mdCode(cl.id)})`;

function targetLine(t: MatrixTarget): string {
  const f = t.results.target;
  const facts = [`${f.os} ${f.release}`, f.libc, f.arch, `runtime ${f.runtime}`, `page ${f.pageSize} B`, `${t.results.cases.length} cases`];
  return `${facts.map(mdText).join(' · ')} · spec ${mdCode(t.results.specDigest.slice(0, 19))} · ${targetState(t)}`;
}

function targetsSection(matrix: Matrix): string[] {
  const out: string[] = [];
  if (matrix.targets.length === 1) {
    const [t] = matrix.targets;
    if (t === undefined) return out;
    out.push(`# semconf report: ${mdText(t.id)}`, '', targetLine(t));
  } else {
    out.push(`# semconf report: ${matrix.targets.length} targets`, '');
    out.push(`Spec reference ${mdCode(matrix.specDigest.value.slice(0, 19))} (${mdText(matrix.specDigest.basis)}: ${mdText(matrix.specDigest.detail)}).`, '');
    out.push('| target | system | libc | arch | runtime | cases | state |', '|---|---|---|---|---|--:|---|');
    for (const t of matrix.targets) {
      const f = t.results.target;
      out.push(`| ${[t.id, `${f.os} ${f.release}`, f.libc, f.arch, f.runtime].map(mdText).join(' | ')} | ${t.results.cases.length} | ${targetState(t)} |`);
    }
  }
  out.push(...expectedLines(matrix));
  for (const t of matrix.targets) {
    const who = matrix.targets.length > 1 ? `${mdText(t.id)}: ` : '';
    for (const p of missingProbes(t.results)) out.push('', `${who}probe ${mdText(p.name)} not available (${mdText(p.method)}); effects it would see are inconclusive.`);
    for (const n of t.notes) out.push('', `${who}${mdText(n)}`);
  }
  return out;
}

/** The targets merge --expect named, each with the target that holds its results or, loudly, none. */
function expectedLines(matrix: Matrix): string[] {
  const expected = matrix.expected ?? [];
  if (expected.length === 0) return [];
  const missing = expected.filter((e) => e.targets.length === 0);
  const head = `Expected ${expected.length} target(s)${missing.length > 0 ? `, **${missing.length} missing**` : ', all present'}:`;
  const line = (e: (typeof expected)[number]): string =>
    e.targets.length > 0 ? `- ${mdText(e.name)}: ${e.targets.map(mdCode).join(', ')}` : `- ❗ ${mdText(e.name)}: **missing: no results**`;
  return ['', head, '', ...expected.map(line)];
}

/** Fails (required) or differs (information); silent when the profile's documents say nothing checkable here. */
function resultMark(counts: Counts, isRequired: boolean): string {
  if (counts.diverges + counts.error > 0) return isRequired ? '❌ fails' : 'ℹ️ differs';
  if (counts.conforms + counts.inconclusive === 0) return '➖ silent';
  return isRequired ? '✅ passes' : '✅ conforms';
}

function summaryTable(matrix: Matrix, profiles: readonly ProfileInfo[], required: ReadonlySet<string>, columns: readonly VerdictName[]): string[] {
  const many = matrix.targets.length > 1;
  const out = [
    `| profile |${many ? ' target |' : ''} result | ${columns.join(' | ')} |`,
    `|---|${many ? '---|' : ''}---|${columns.map(() => '--:').join('|')}|`,
  ];
  for (const p of profiles) {
    for (const t of matrix.targets) {
      if (!t.results.profiles.some((q) => q.id === p.id)) continue;
      const counts = countVerdicts(t.results, p.id);
      const mark = resultMark(counts, required.has(p.id));
      const name = `${mdText(p.name)} (${mdText(p.id)})${required.has(p.id) ? ', **required**' : ''}`;
      out.push(`| ${name} |${many ? ` ${mdText(t.id)} |` : ''} ${mark} | ${columns.map((v) => counts[v]).join(' | ')} |`);
    }
  }
  return out;
}

/** One case judged `verdict` (a divergence, by default) under one profile, over every target that shows it. */
function findingLines(row: CaseRow, profile: string, targets: readonly MatrixTarget[], verdict: VerdictName): string[] {
  const hits = targets.flatMap((t) => {
    const c = row.byTarget.get(t.id);
    const v = c?.verdicts[profile];
    return c && v?.verdict === verdict ? [{ t, c, v }] : [];
  });
  const [first] = hits;
  if (first === undefined) return [];
  const many = targets.length > 1;
  const on = (t: MatrixTarget): string => (many ? ` on ${mdText(t.id)}` : '');
  const call = first.c.observed?.call.text;
  const out = [`- **${mdText(row.id)}**: ${mdText(row.title)}<br>${call ? `${mdCode(call)} · ` : ''}${mdText(first.c.context.name)}`];
  const sameExpected = hits.every((h) => h.v.expected === first.v.expected);
  if (sameExpected) out.push(`  - expected: ${mdText(first.v.expected)}`);
  for (const h of hits) {
    if (!sameExpected) out.push(`  - expected${on(h.t)}: ${mdText(h.v.expected)}`);
    out.push(`  - observed${on(h.t)}: ${mdText(h.v.observed ?? '-')}`);
  }
  const unique = (xs: (string | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => x !== undefined))];
  for (const r of unique(hits.map((h) => h.v.reason))) out.push(`  - why: ${mdText(r)}`);
  for (const b of unique(hits.map((h) => h.v.basis))) out.push(`  - basis: ${mdText(b)}`);
  const clauses = new Map<string, ClauseRef>();
  for (const h of hits) for (const cl of h.v.clauses ?? []) clauses.set(`${cl.document}\u0000${cl.id}`, cl);
  for (const cl of clauses.values()) out.push(clauseLine(cl));
  return out;
}

function profileSection(matrix: Matrix, rows: readonly CaseRow[], p: ProfileInfo, isRequired: boolean, listed: readonly VerdictName[]): string[] {
  const targets = matrix.targets.filter((t) => t.results.profiles.some((q) => q.id === p.id));
  const perTarget = targets.map((t) => ({ t, counts: countVerdicts(t.results, p.id) }));
  const marks = perTarget.map((x) => resultMark(x.counts, isRequired));
  const mark = (marks.find((m) => m.startsWith('❌') || m.startsWith('ℹ️')) ?? marks.find((m) => m.startsWith('✅')) ?? marks[0] ?? '').split(' ')[0];
  const tally =
    perTarget.length === 1 && matrix.targets.length === 1
      ? perTarget.map((x) => describeCounts(x.counts)).join('')
      : perTarget.map((x) => `${mdText(x.t.id)} ${describeCounts(x.counts)}`).join('; ');
  const out = ['', `## ${mark} ${mdText(p.name)} (${mdText(p.id)})${isRequired ? ', required' : ''}: ${tally}`];
  for (const verdict of listed) {
    const findings = rows.map((r) => findingLines(r, p.id, targets, verdict)).filter((lines) => lines.length > 0);
    if (findings.length === 0) continue;
    const body = findings.flat();
    // A required profile's divergences are its failures: open. Everything else is information: folded.
    if (isRequired && verdict === 'diverges') {
      out.push('', ...body);
      continue;
    }
    const label = verdict === 'diverges' ? `${findings.length} diverging case(s): information, not required` : `${findings.length} case(s) ${verdict}`;
    out.push('', `<details><summary>${label}</summary>`, '', ...body, '', '</details>');
  }
  return out;
}

/** Broken cases, once each (every profile's verdict is `error`): they fail every required profile they touch. */
function errorSection(matrix: Matrix, required: ReadonlySet<string>, filter: ReportFilter): string[] {
  if (!keepVerdict(filter, 'error')) return [];
  const many = matrix.targets.length > 1;
  const lines = matrix.targets.flatMap((t) =>
    t.results.cases
      .filter((c) => c.status === 'error' || Object.values(c.verdicts).some((v) => v.verdict === 'error'))
      .filter((c) => keepCase(filter, c))
      .map((c) => {
        const hit = Object.entries(c.verdicts).filter(([p, v]) => v.verdict === 'error' && required.has(p)).map(([p]) => p);
        const fails = hit.length > 0 ? ` (fails required ${hit.map(mdText).join(', ')})` : '';
        return `- **${mdText(c.id)}**${many ? ` on ${mdText(t.id)}` : ''}${fails}: ${mdText(c.reason ?? 'the case broke')}`;
      }),
  );
  return lines.length === 0 ? [] : ['', `## ❗ Errors (the case itself broke): ${lines.length}`, '', ...lines];
}

/** run --repeat: cases whose behaviour varied between repetitions; their verdicts are the first repetition's. */
function flakySection(matrix: Matrix, filter: ReportFilter): string[] {
  const many = matrix.targets.length > 1;
  const lines = matrix.targets.flatMap((t) =>
    t.results.cases.flatMap((c) =>
      c.flaky === undefined || !keepCase(filter, c)
        ? []
        : [`- **${mdText(c.id)}**${many ? ` on ${mdText(t.id)}` : ''} over ${c.flaky.repetitions} repetitions: ${c.flaky.differed.map((d) => `${mdText(d.what)} ${d.values.map(mdCode).join(' / ')}`).join('; ')}`],
    ),
  );
  return lines.length === 0 ? [] : ['', `## 🔁 Flaky (behaviour varied between repetitions of a run): ${lines.length}`, '', ...lines];
}

function notRunSection(matrix: Matrix, filter: ReportFilter): string[] {
  const many = matrix.targets.length > 1;
  const lines = matrix.targets.flatMap((t) =>
    t.results.cases
      .filter((c) => (c.status === 'skipped' || c.status === 'unsupported') && keepVerdict(filter, c.status) && keepCase(filter, c))
      .map((c) => `- ${mdText(c.id)}${many ? ` on ${mdText(t.id)}` : ''}: ${c.status}${c.reason ? `: ${mdText(c.reason)}` : ''}`),
  );
  return lines.length === 0 ? [] : ['', `## Not run: ${lines.length}`, '', ...lines];
}

export function renderMarkdown(matrix: Matrix, options: MarkdownOptions = {}): string {
  const required = new Set(options.required ?? []);
  const filter = options.filter ?? {};
  const profiles = profilesOf(matrix).filter((p) => keepProfile(filter, p.id));
  const ordered = [...profiles.filter((p) => required.has(p.id)), ...profiles.filter((p) => !required.has(p.id))];
  const rows = casesOf(matrix);
  const out = [...targetsSection(matrix)];
  if (isFiltered(filter)) out.push('', `Showing only ${mdText(describeFilter(filter))}; \`--require\` still counts every required profile.`);
  out.push('', ...summaryTable(matrix, ordered, required, VERDICTS.filter((v) => keepVerdict(filter, v))));
  if (required.size === 0) out.push('', 'No profile is required (`--require PROFILE`): every divergence below is information.');
  const listed = listedVerdicts(filter);
  for (const p of ordered) out.push(...profileSection(matrix, rows, p, required.has(p.id), listed));
  out.push(...errorSection(matrix, required, filter), ...notRunSection(matrix, filter), ...flakySection(matrix, filter));
  return `${out.join('\n')}\n`;
}
