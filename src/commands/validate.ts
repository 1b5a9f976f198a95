// semconf validate: is this a valid results file?
import { readResults } from '../results.js';
import { type Command, EXIT, UsageError } from './command.js';

export const validateCommand: Command = {
  summary: 'check that results files are valid semconf-results/1 files (and say what is wrong if not)',
  usage: 'semconf validate RESULTS.json...',
  positionals: true,
  options: {},
  async run(_values, positionals) {
    if (positionals.length === 0) throw new UsageError('validate takes one or more results files');
    for (const file of positionals) {
      const r = readResults(file);
      process.stdout.write(`${file}: valid ${r.schema}, target ${r.target.id}, ${r.cases.length} cases, ${r.complete ? 'complete' : 'incomplete'}\n`);
    }
    return EXIT.ok;
  },
};
