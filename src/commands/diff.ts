// semconf diff: what changed between two results files of a target (or of two targets). Exit 1 when a required
// profile regressed or the target's behaviour changed under the same spec; see src/diff.ts for the rules.
import { diffResults } from '../diff.js';
import { readReportInput } from '../matrix.js';
import { useColor } from '../color.js';
import { renderDiffHtml } from '../report/diff-html.js';
import { renderDiffMarkdown } from '../report/diff-markdown.js';
import { renderDiffTerminal } from '../report/diff-terminal.js';
import { type Results, ResultsFileError } from '../results.js';
import { type Command, EXIT, str, UsageError } from './command.js';
import { emit, requiredProfiles } from './report.js';

export const DIFF_FORMATS = ['terminal', 'md', 'json', 'html'] as const;
type DiffFormat = (typeof DIFF_FORMATS)[number];

const isDiffFormat = (f: string): f is DiffFormat => (DIFF_FORMATS as readonly string[]).includes(f);

/** Without --format: plain text for a person at a terminal; Markdown when piped or written with --out, as before
 * the terminal form existed, so scripts and CI job summaries that capture the diff see no change. */
export function defaultDiffFormat(stdout: { isTTY?: boolean }, out: string | undefined): DiffFormat {
  return out === undefined && stdout.isTTY === true ? 'terminal' : 'md';
}

function readOne(file: string): Results {
  const input = readReportInput(file);
  if (input.kind !== 'results') throw new ResultsFileError(`${file}: a matrix; diff compares two results files`);
  return input.results;
}

export const diffCommand: Command = {
  summary: 'what changed between two results files: observations, verdicts, cases, target facts',
  usage: `semconf diff OLD.json NEW.json [--require PROFILE]... [--format terminal|md|json|html] [--out FILE]

  --require P   a profile the target must conform to; repeatable. A case of it going from conforms to diverges or
                error is a regression (exit 1)
  --format F    terminal (plain aligned text), md (Markdown, e.g. a GitHub job summary), json, or html (one
                self-contained static page). Default: terminal when standard output is a terminal and there is
                no --out; md when piped or with --out
  --out FILE    write the diff to FILE (atomically) instead of standard output

  exit 1 also when a case's behaviour (status, outcome, setup, page states, inherited state: what its expectations
  can judge) changed while neither the spec digest nor that case's expectations did: the target itself behaves
  differently. Environment (the worker's whole-process locked total, durations, reasons) is shown apart and never
  fails; cases flaky in either run (run --repeat) are listed apart and never fail`,
  positionals: true,
  options: { require: { type: 'string', multiple: true }, format: { type: 'string' }, out: { type: 'string' } },
  async run(values, positionals) {
    const [oldFile, newFile] = positionals;
    if (oldFile === undefined || newFile === undefined || positionals.length > 2) throw new UsageError('diff takes two results files: OLD NEW');
    const out = str(values.out);
    const format = str(values.format) ?? defaultDiffFormat(process.stdout, out);
    if (!isDiffFormat(format)) throw new UsageError(`--format ${format}: expected one of ${DIFF_FORMATS.join(', ')}`);
    const a = readOne(oldFile);
    const b = readOne(newFile);
    const known = [...new Set([...a.profiles, ...b.profiles].map((p) => p.id))];
    const required = requiredProfiles(values, known, `${oldFile} and ${newFile}`);
    const diff = diffResults(a, b, { required, oldFile, newFile });
    const color = out === undefined && useColor(process.stdout);
    const render: Record<DiffFormat, () => string> = {
      terminal: () => renderDiffTerminal(diff, { color }),
      md: () => renderDiffMarkdown(diff),
      json: () => `${JSON.stringify(diff, null, 2)}\n`,
      html: () => renderDiffHtml(diff),
    };
    const text = render[format]();
    emit(text, out);
    if (diff.failing) {
      const why = [
        diff.regressions.length > 0 ? `${diff.regressions.length} regression(s) in required profiles` : '',
        diff.unexplained.length > 0 ? `${diff.unexplained.length} unexplained behaviour change(s): ${diff.unexplained.join(', ')}` : '',
      ].filter((w) => w !== '');
      process.stderr.write(`semconf diff: ${why.join('; ')}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
};
