// semconf report: the terminal report of a results file.
import { renderTerminal } from '../report/terminal.js';
import { readResults } from '../results.js';
import { type Command, EXIT, UsageError } from './command.js';

export const reportCommand: Command = {
  summary: 'print the terminal report of a results file',
  usage: 'semconf report RESULTS.json',
  positionals: true,
  options: {},
  async run(_values, positionals) {
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('report takes exactly one results file');
    process.stdout.write(renderTerminal(readResults(file), { color: process.stdout.isTTY }));
    return EXIT.ok;
  },
};
