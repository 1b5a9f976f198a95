// semconf report: one results file or a merged matrix → terminal, Markdown, HTML or JUnit. Every format is built
// from the JSON alone. --require decides the exit code the same way for every format.
import { asMatrix } from '../merge.js';
import { readReportInput } from '../matrix.js';
import { renderHtmlChunks } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { profilesOf, requiredFailures } from '../report/model.js';
import { renderTerminal } from '../report/terminal.js';
import { writeFileAtomicChunks } from '../results.js';
import { type Command, EXIT, type OptionValues, str, UsageError } from './command.js';
import { useColor } from '../color.js';

export const FORMATS = ['terminal', 'md', 'html', 'junit'] as const;
type Format = (typeof FORMATS)[number];

const isFormat = (f: string): f is Format => (FORMATS as readonly string[]).includes(f);

/** --require values, each checked against the profiles the input was judged against. */
export function requiredProfiles(values: OptionValues, known: readonly string[], file: string): string[] {
  const raw = values.require;
  const required = Array.isArray(raw) ? raw.flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '') : [];
  for (const p of required) {
    if (!known.includes(p)) throw new UsageError(`--require ${p}: no verdicts for profile "${p}" in ${file}; profiles there: ${known.join(', ')}`);
  }
  return [...new Set(required)];
}

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
  usage: `semconf report [--format terminal|md|html|junit] [--require PROFILE]... [--out FILE] RESULTS.json|MATRIX.json

  --format F        terminal (default), md (GitHub job summary), html (one self-contained file), junit (CI test report)
  --require P       a profile the target must conform to; repeatable or comma-separated. Its divergences and errors
                    fail the report (exit 1); other profiles are information. junit: only these become test cases
  --out FILE        write the report to FILE (atomically) instead of standard output`,
  positionals: true,
  options: { format: { type: 'string' }, require: { type: 'string', multiple: true }, out: { type: 'string' } },
  async run(values, positionals) {
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('report takes exactly one results or matrix file');
    const format = str(values.format) ?? 'terminal';
    if (!isFormat(format)) throw new UsageError(`--format ${format}: expected one of ${FORMATS.join(', ')}`);
    const input = readReportInput(file);
    const matrix = asMatrix(input, file);
    const required = requiredProfiles(values, profilesOf(matrix).map((p) => p.id), file);
    const out = str(values.out);
    const color = out === undefined && useColor(process.stdout);
    let chunks: Iterable<string>;
    switch (format) {
      case 'terminal':
        chunks = [matrix.targets.map((t) => renderTerminal(t.results, { color })).join('\n')];
        break;
      case 'md':
        chunks = [renderMarkdown(matrix, { required })];
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
