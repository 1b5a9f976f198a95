// semconf validate: is this a valid results file or matrix?
import { readReportInput } from '../matrix.js';
import { type Command, EXIT, UsageError } from './command.js';

export const validateCommand: Command = {
  summary: 'check that files are valid semconf results files or matrices, of either version (and say what is wrong if not)',
  usage: 'semconf validate FILE...',
  positionals: true,
  options: {},
  async run(_values, positionals) {
    if (positionals.length === 0) throw new UsageError('validate takes one or more results files or matrices');
    for (const file of positionals) {
      const input = readReportInput(file);
      if (input.kind === 'results') {
        const r = input.results;
        process.stdout.write(`${file}: valid ${input.schema}, target ${r.target.id}, ${r.cases.length} cases, ${r.complete ? 'complete' : 'incomplete'}\n`);
      } else {
        const m = input.matrix;
        process.stdout.write(`${file}: valid ${input.schema}, ${m.targets.length} target(s), ${m.complete ? 'complete' : 'incomplete or stale'}\n`);
      }
    }
    return EXIT.ok;
  },
};
