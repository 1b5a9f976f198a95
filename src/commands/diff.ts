// semconf diff: what changed between two results files of a target (or of two targets). Exit 1 when a required
// profile regressed or the target's behaviour changed under the same spec; see src/diff.ts for the rules.
import { diffResults } from '../diff.js';
import { readReportInput } from '../matrix.js';
import { renderDiffMarkdown } from '../report/diff-markdown.js';
import { type Results, ResultsFileError } from '../results.js';
import { type Command, EXIT, str, UsageError } from './command.js';
import { emit, requiredProfiles } from './report.js';

function readOne(file: string): Results {
  const input = readReportInput(file);
  if (input.kind !== 'results') throw new ResultsFileError(`${file}: a matrix; diff compares two results files (semconf-results/1)`);
  return input.results;
}

export const diffCommand: Command = {
  summary: 'what changed between two results files: observations, verdicts, cases, target facts',
  usage: `semconf diff OLD.json NEW.json [--require PROFILE]... [--format md|json] [--out FILE]

  --require P   a profile the target must conform to; repeatable. A case of it going from conforms to diverges or
                error is a regression (exit 1)
  --format F    md (default) or json
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
    const format = str(values.format) ?? 'md';
    if (format !== 'md' && format !== 'json') throw new UsageError(`--format ${format}: expected md or json`);
    const a = readOne(oldFile);
    const b = readOne(newFile);
    const known = [...new Set([...a.profiles, ...b.profiles].map((p) => p.id))];
    const required = requiredProfiles(values, known, `${oldFile} and ${newFile}`);
    const diff = diffResults(a, b, { required, oldFile, newFile });
    emit(format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : renderDiffMarkdown(diff), str(values.out));
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
