// semconf coverage: which clauses of which documents the cases cite.
import { coverage, renderCoverageMarkdown } from '../coverage.js';
import { writeFileAtomic } from '../atomic-file.js';
import { loadCatalog } from '../spec/lint.js';
import { type Command, DEFAULT_SPECS, EXIT, str, UsageError } from './command.js';

export const coverageCommand: Command = {
  summary: 'per profile and document: clauses cited by a case, marked untestable, and uncited',
  usage: `semconf coverage [--specs DIR] [--format md|json] [--out FILE]`,
  options: { specs: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  async run(values) {
    const format = str(values.format) ?? 'md';
    if (format !== 'md' && format !== 'json') throw new UsageError('--format is md or json');
    const cov = coverage(loadCatalog(str(values.specs) ?? DEFAULT_SPECS));
    const text = format === 'json' ? `${JSON.stringify(cov, null, 2)}\n` : renderCoverageMarkdown(cov);
    const out = str(values.out);
    if (out === undefined) process.stdout.write(text);
    else writeFileAtomic(out, text);
    return EXIT.ok;
  },
};
