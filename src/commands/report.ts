// semconf report: one results file or a merged matrix → terminal, Markdown, HTML or JUnit. Every format is built
// from the JSON alone. --require decides the exit code the same way for every format.
import { nearest } from '../suggest.js';
import { asMatrix } from '../merge.js';
import { readReportInput } from '../matrix.js';
import { renderCompact } from '../report/compact.js';
import type { ReportFilter } from '../report/filter.js';
import { renderHtmlChunks } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { profilesOf, requiredFailures } from '../report/model.js';
import { renderTerminal } from '../report/terminal.js';
import { writeFileAtomicChunks } from '../atomic-file.js';
import { VERDICTS, VerdictName } from '../results.js';
import { type Command, EXIT, type OptionValues, str, UsageError } from './command.js';
import { useColor } from '../color.js';

export const FORMATS = ['terminal', 'md', 'html', 'junit'] as const;
type Format = (typeof FORMATS)[number];

const isFormat = (f: string): f is Format => (FORMATS as readonly string[]).includes(f);

/** A repeatable, comma-separated option's values, once each, in the order given. */
function listOption(values: OptionValues, name: string): string[] {
  const raw = values[name];
  const list = Array.isArray(raw) ? raw.flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '') : [];
  return [...new Set(list)];
}

/** Values of a profile option (--require, --profile), each checked against the profiles the input was judged
 * against. */
function profileOption(values: OptionValues, name: string, known: readonly string[], file: string): string[] {
  const profiles = listOption(values, name);
  for (const p of profiles) {
    if (!known.includes(p)) throw new UsageError(`--${name} ${p}: no verdicts for profile "${p}" in ${file}; profiles there: ${known.join(', ')}`);
  }
  return profiles;
}

/** --require values, each checked against the profiles the input was judged against. */
export function requiredProfiles(values: OptionValues, known: readonly string[], file: string): string[] {
  return profileOption(values, 'require', known, file);
}

/** --profile and --verdict: what the report lists. Neither given: everything. */
function reportFilter(values: OptionValues, known: readonly string[], file: string): ReportFilter {
  const profiles = profileOption(values, 'profile', known, file);
  const verdicts = listOption(values, 'verdict').map((v) => {
    const parsed = VerdictName.safeParse(v);
    if (parsed.success) return parsed.data;
    const near = nearest(v, VERDICTS);
    throw new UsageError(`--verdict ${v}: not a verdict${near !== undefined ? ` (did you mean ${near}?)` : ''}; expected one of ${VERDICTS.join(', ')}`);
  });
  return { ...(profiles.length > 0 ? { profiles } : {}), ...(verdicts.length > 0 ? { verdicts } : {}) };
}

// HTML has its own filters in the page; JUnit is a CI test report whose cases are the required profiles' (a filtered
// one would hide passing tests), so neither takes --profile, --verdict or --compact.
const FILTERABLE: ReadonlySet<Format> = new Set<Format>(['terminal', 'md']);

/** Print to stdout, or write the whole file atomically, piece by piece: a report too big for one string (the HTML of
 * a 1,000-target matrix) is never joined into one. */
export function emitChunks(chunks: Iterable<string>, out: string | undefined): void {
  if (out === undefined) for (const chunk of chunks) process.stdout.write(chunk);
  else writeFileAtomicChunks(out, chunks);
}

export function emit(text: string, out: string | undefined): void {
  emitChunks([text], out);
}

export const reportCommand: Command = {
  summary: 'report a results file or a merged matrix: terminal, Markdown, self-contained HTML or JUnit XML',
  usage: `semconf report [--format terminal|md|html|junit] [--require PROFILE]... [--profile P]... [--verdict V]...
                      [--compact] [--out FILE] RESULTS.json|MATRIX.json

  --format F        terminal (default), md (GitHub job summary), html (one self-contained file), junit (CI test report)
  --require P       a profile the target must conform to; repeatable or comma-separated. Its divergences and errors
                    fail the report (exit 1); other profiles are information. junit: only these become test cases
  --profile P       show only these profiles (summary rows, listed findings); repeatable or comma-separated
  --verdict V       show only these verdicts (summary columns, listed findings): ${VERDICTS.join(', ')};
                    repeatable or comma-separated. Default lists divergences; other verdicts are listed when named.
                    --profile and --verdict narrow what is printed, never the exit code (--require decides it);
                    terminal and md only (html has filters in the page; junit reports every required case)
  --compact         terminal only: one line per finding, "CASE [CONTEXT] PROFILE VERDICT: why" (a matrix prefixes
                    "TARGET: "); findings are diverges and error unless --verdict names others
  --out FILE        write the report to FILE (atomically) instead of standard output`,
  positionals: true,
  options: {
    format: { type: 'string' },
    require: { type: 'string', multiple: true },
    profile: { type: 'string', multiple: true },
    verdict: { type: 'string', multiple: true },
    compact: { type: 'boolean' },
    out: { type: 'string' },
  },
  async run(values, positionals) {
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('report takes exactly one results or matrix file');
    const format = str(values.format) ?? 'terminal';
    if (!isFormat(format)) throw new UsageError(`--format ${format}: expected one of ${FORMATS.join(', ')}`);
    const input = readReportInput(file);
    const matrix = asMatrix(input, file);
    const known = profilesOf(matrix).map((p) => p.id);
    const required = requiredProfiles(values, known, file);
    const filter = reportFilter(values, known, file);
    const compact = values.compact === true;
    if (!FILTERABLE.has(format)) {
      const used = [filter.profiles ? '--profile' : '', filter.verdicts ? '--verdict' : '', compact ? '--compact' : ''].filter((o) => o !== '');
      if (used.length > 0) throw new UsageError(`${used.join(', ')}: not with --format ${format}; expected --format terminal or md`);
    }
    if (compact && format !== 'terminal') throw new UsageError(`--compact: not with --format ${format}; it is a form of the terminal report`);
    const out = str(values.out);
    const color = out === undefined && useColor(process.stdout);
    let chunks: Iterable<string>;
    switch (format) {
      case 'terminal':
        chunks = compact
          ? [renderCompact(matrix, { filter, color })]
          : [matrix.targets.map((t) => renderTerminal(t.results, { color, filter })).join('\n')];
        break;
      case 'md':
        chunks = [renderMarkdown(matrix, { required, filter })];
        break;
      case 'html':
        chunks = renderHtmlChunks(matrix, { required, source: file });
        break;
      case 'junit':
        chunks = [renderJunit(matrix, { required })];
        break;
    }
    emitChunks(chunks, out);
    const failures = requiredFailures(matrix, required);
    if (failures.length > 0) {
      const per = required
        .map((p) => [p, failures.filter((f) => f.profile === p).length] as const)
        .filter(([, n]) => n > 0)
        .map(([p, n]) => `${p} ${n}`)
        .join(', ');
      process.stderr.write(`semconf report: ${failures.length} divergence(s) or error(s) in required profiles (${per})\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
};
