// README's results section, generated from the committed results (never written by hand): `npm run readme` rewrites
// the text between the results-summary markers, and the exit-code list between the exit-codes markers from the
// EXIT_CODES table; test/readme.test.ts fails when README disagrees with either.
//
// What it writes: for every committed results file, what it ran on and its verdict counts; the divergences each
// target shows against each live profile; and, for each comparison in COMPARISONS, the behaviour changes `semconf
// diff` finds, each with the explanation written in results/explanations.yaml, or marked unexplained. The speed table
// between the speed markers is copied from bench/results.json, the figures of the last `npm run bench`.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { readBenchResults } from '../bench/results-file.js';
import { EXIT_CODES } from '../src/commands/command.js';
import { diffResults } from '../src/diff.js';
import { PACKAGE_ROOT } from '../src/package-info.js';
import { mdCode, mdText } from '../src/report/escape.js';
import { type Results, readResults, VERDICTS } from '../src/results.js';

export const START = '<!-- results-summary:start -->';
export const END = '<!-- results-summary:end -->';
/** README's exit-code list, generated from EXIT_CODES (the table the code and `semconf --help` use). */
export const EXIT_START = '<!-- exit-codes:start -->';
export const EXIT_END = '<!-- exit-codes:end -->';
/** README's speed table, generated from bench/results.json (written by `npm run bench`). */
export const SPEED_START = '<!-- speed:start -->';
export const SPEED_END = '<!-- speed:end -->';

/** The regression reports README shows: old → new, by target id, with the question each answers. */
export const COMPARISONS: { old: string; new: string; title: string }[] = [
  { old: 'linux-6.1-x86_64-glibc-vm', new: 'linux-x86_64-glibc', title: 'Kernel upgrade: Linux 6.1 (VM) → 6.18 (this machine)' },
  { old: 'linux-x86_64-glibc', new: 'linux-x86_64-glibc-ia32', title: 'ABI: x86_64 → ia32 (a 32-bit process on the same kernel)' },
  { old: 'linux-x86_64-glibc', new: 'linux-x86_64-glibc-gvisor', title: 'Implementation: Linux → gVisor' },
];

/** results/explanations.yaml: per comparison ("OLD -> NEW"), per case id, one sentence on why it changed. */
const Explanations = z.record(z.string(), z.record(z.string(), z.string()));

function loadResults(dir: string): Results[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readResults(join(dir, f)))
    // This machine's native run first, then the targets launched elsewhere in the order of their launchers.
    .sort((a, b) => (a.target.launch?.target ?? '').localeCompare(b.target.launch?.target ?? '') || a.target.id.localeCompare(b.target.id));
}

function describeTarget(r: Results): string {
  const t = r.target;
  const launch = t.launch ? `; started by \`--target ${t.launch.target}\` (${Object.entries(t.launch.facts).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  return `Linux ${t.release}, ${t.arch}${t.abi ? ` (${t.abi} ABI)` : ''}, ${t.libc}, runtime ${t.runtime}, Node ${t.node}${launch}`;
}

function countsTable(r: Results): string {
  const head = `| profile | ${VERDICTS.join(' | ')} |`;
  const rule = `|---|${VERDICTS.map(() => '---:').join('|')}|`;
  const rows = r.profiles.map((p) => `| ${p.id} | ${VERDICTS.map((v) => String(r.summary[p.id]?.[v] ?? 0)).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

function divergences(r: Results): string {
  const live = r.profiles.filter((p) => p.kind === 'live').map((p) => p.id);
  const lines: string[] = [];
  for (const p of live) {
    const cases = r.cases.filter((c) => c.verdicts[p]?.verdict === 'diverges');
    if (cases.length === 0) continue;
    lines.push(`- against **${p}** (${cases.length}): ${cases.map((c) => mdCode(c.id)).join(', ')}`);
  }
  return lines.length > 0 ? lines.join('\n') : '- none against a live profile';
}

function comparison(all: Results[], spec: (typeof COMPARISONS)[number], explanations: z.infer<typeof Explanations>): string {
  const a = all.find((r) => r.target.id === spec.old);
  const b = all.find((r) => r.target.id === spec.new);
  if (a === undefined || b === undefined) return `### ${spec.title}\n\nNot committed: no results for ${a === undefined ? spec.old : spec.new}.`;
  const d = diffResults(a, b, { oldFile: `results/${spec.old}.json`, newFile: `results/${spec.new}.json` });
  const key = `${spec.old} -> ${spec.new}`;
  const why = explanations[key] ?? {};
  const behaviour = d.changed.filter((c) => c.observation.some((o) => o.part !== 'call' && o.part !== 'visibility' && o.part !== 'environment'));
  const visibility = d.changed.filter((c) => c.observation.some((o) => o.part === 'visibility')).length;
  const command = `semconf diff results/${spec.old}.json results/${spec.new}.json`;
  const head = [
    `### ${spec.title}`,
    '',
    `\`${command}\` exits ${d.failing ? 1 : 0}: ${behaviour.length} case(s) behave differently` +
      `${visibility > 0 ? `; ${visibility} differ only in what a probe could see (visibility, not behaviour)` : ''}` +
      `${d.flaky.length > 0 ? `; ${d.flaky.length} flaky` : ''}; spec ${d.specChanged ? 'changed' : 'the same'}.`,
  ];
  if (behaviour.length === 0) return head.join('\n');
  const rows = behaviour.map((c) => {
    const changes = c.observation
      .filter((o) => o.part !== 'call' && o.part !== 'visibility' && o.part !== 'environment')
      .map((o) => `${mdText(o.what)}: ${mdCode(o.old)} → ${mdCode(o.new)}`)
      .join('; ');
    const explained = Object.hasOwn(why, c.id) ? mdText(why[c.id] ?? '') : '**unexplained**';
    return `| ${mdCode(c.id)} | ${changes} | ${explained} |`;
  });
  return [...head, '', `| case | ${spec.old} → ${spec.new} | why |`, '|---|---|---|', ...rows].join('\n');
}

/** The whole generated section, markers included. */
export function generate(root = PACKAGE_ROOT): string {
  const all = loadResults(join(root, 'results'));
  const explanations = Explanations.parse(parse(readFileSync(join(root, 'results', 'explanations.yaml'), 'utf8')) ?? {});
  const digests = new Set(all.map((r) => r.specDigest));
  const parts = [
    START,
    '## What the live targets do (generated from the committed results: `npm run readme`)',
    '',
    `${all.length} results files, ${digests.size === 1 ? `all from spec ${mdCode(`${[...digests][0]}`.slice(0, 19))}` : `from ${digests.size} different spec digests`}, ${all[0]?.cases.length ?? 0} cases each.`,
    '',
  ];
  for (const r of all) {
    parts.push(`### ${mdCode(r.target.id)}`, '', `${describeTarget(r)}; ${r.complete ? 'complete' : '**incomplete**'}.`, '', countsTable(r), '', 'Divergences:', '', divergences(r), '');
  }
  parts.push('## Regression reports between the targets', '');
  for (const spec of COMPARISONS) parts.push(comparison(all, spec, explanations), '');
  parts.push(END);
  return parts.join('\n');
}

/** The exit-code section, markers included: one row per EXIT_CODES entry. */
export function generateExitCodes(): string {
  const rows = Object.values(EXIT_CODES).map((e) => `| ${e.code} | ${mdText(e.meaning)} |`);
  return [EXIT_START, 'Exit codes (generated from `EXIT_CODES` in src/commands/command.ts; `semconf --help` lists the same):', '', '| code | meaning |', '|---:|---|', ...rows, EXIT_END].join('\n');
}

export const EXPLORE_START = '<!-- explore:start -->';
export const EXPLORE_END = '<!-- explore:end -->';

/** The exploration section, markers included: the committed summary of `semconf explore` (results/explore/), as the
 * command wrote it, under the command line that produced it. */
export function generateExplore(root = PACKAGE_ROOT): string {
  const summary = readFileSync(join(root, 'results', 'explore', 'summary.md'), 'utf8').trim().replace(/^## .*\n+/, '');
  return [
    EXPLORE_START,
    'Generated from `results/explore/summary.md`: the summary `semconf explore --targets native,gvisor --time 60s --seed 1` wrote into its `--out`, copied there with the explored cases it emitted:',
    '',
    summary,
    EXPLORE_END,
  ].join('\n');
}

/** The speed section, markers included: every figure of bench/results.json, as measured and as a ratio. */
export function generateSpeed(root = PACKAGE_ROOT): string {
  const b = readBenchResults(join(root, 'bench', 'results.json'));
  const rows = b.figures.map((f) => {
    const ratio = f.ratio === undefined ? '' : `${f.ratio.toFixed(2)} ×${f.baselineMs !== undefined ? ` of ${f.baselineMs.toFixed(1)} ms` : ''}`;
    const met = f.met === undefined ? '' : f.met ? 'met' : '**not met**';
    return `| ${f.what.replaceAll('|', '\\|')} | ${mdText(f.measured)} | ${ratio} | ${mdText(f.target ?? '')} | ${met}${f.note !== undefined ? ` (${mdText(f.note)})` : ''} |`;
  });
  return [
    SPEED_START,
    `Generated from bench/results.json (\`npm run bench\`, then \`npm run readme\`): measured ${b.measuredAt.slice(0, 10)} on ${b.machine.cores} cores (${mdText(b.machine.cpu)}), Node ${b.machine.node}${b.machine.pageCache !== undefined ? ` (${mdText(b.machine.pageCache)}: whole-process cases cost less the more of it is; bench/page-cache.ts)` : ''}; every ratio is against a bare \`node -e 0\` timed in the same invocation, in turns with the figure's own runs where its row says “of N ms” (the median of those), else against the median of every start-up the bench timed: ${b.baselineMs.toFixed(1)} ms.`,
    '',
    '| figure | measured | × node start-up | target | |',
    '|---|---|---:|---|---|',
    ...rows,
    SPEED_END,
  ].join('\n');
}

/** README with the section between `start` and `end` replaced (the results section unless told otherwise). */
export function withSection(readme: string, section: string, start = START, end = END): string {
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a === -1 || b === -1 || b < a) throw new Error(`README.md has no ${start} … ${end} section`);
  return `${readme.slice(0, a)}${section}${readme.slice(b + end.length)}`;
}

if (process.argv[1]?.endsWith('readme.js')) {
  const file = join(PACKAGE_ROOT, 'README.md');
  let readme = withSection(withSection(readFileSync(file, 'utf8'), generate()), generateExitCodes(), EXIT_START, EXIT_END);
  readme = withSection(readme, generateExplore(), EXPLORE_START, EXPLORE_END);
  writeFileSync(file, withSection(readme, generateSpeed(), SPEED_START, SPEED_END));
  process.stdout.write('README.md: results, exit-code, exploration and speed sections regenerated\n');
}
