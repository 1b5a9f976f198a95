// semconf lint: schema, lint rules, optional verbatim quote check, and clause coverage (uncited clauses fail).
import { coverage, uncited } from '../coverage.js';
import { InputError } from '../spec/diagnostics.js';
import { loadCatalog } from '../spec/lint.js';
import { checkQuotes } from '../spec/sources.js';
import { type Command, DEFAULT_SPECS, EXIT, str } from './command.js';

export const lintCommand: Command = {
  summary: 'validate spec and profile files (schema, allowlist, ids, clauses) without running anything',
  usage: `semconf lint [--specs DIR] [--sources DIR]

  --specs DIR     spec directory (default: the specs/ shipped with semconf)
  --sources DIR   check every clause quote verbatim against the document copies in DIR (e.g. ../shared/seeds)`,
  options: { specs: { type: 'string' }, sources: { type: 'string' } },
  async run(values) {
    const dir = str(values.specs) ?? DEFAULT_SPECS;
    const catalog = loadCatalog(dir);
    const cases = catalog.specs.reduce((n, s) => n + s.value.cases.length, 0);
    process.stdout.write(`${dir}: ${catalog.specs.length} spec files, ${cases} cases, ${catalog.profiles.length} profiles: ok\n`);
    const sources = str(values.sources);
    if (sources !== undefined) {
      const quotes = checkQuotes(catalog, sources);
      if (quotes.problems.length > 0) throw new InputError(quotes.problems);
      process.stdout.write(`quotes: ${quotes.checked} checked verbatim against ${sources}: ok\n`);
      if (quotes.unchecked.length > 0) process.stdout.write(`quotes: unchecked (no copy given): ${quotes.unchecked.join(', ')}\n`);
    }
    const missing = uncited(coverage(catalog));
    if (missing.length > 0) {
      process.stderr.write(`semconf lint: ${missing.length} clause(s) neither cited by a case nor marked untestable:\n  ${missing.join('\n  ')}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  },
};
