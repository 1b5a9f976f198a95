// semconf lint: schema, lint rules, optional verbatim quote check, and clause coverage (uncited clauses fail).
import { coverage, uncited } from '../coverage.js';
import { githubAnnotation } from '../spec/annotations.js';
import type { Catalog } from '../spec/catalog.js';
import { type Diagnostic, InputError } from '../spec/diagnostics.js';
import { loadCatalog } from '../spec/lint.js';
import { checkQuotes, type CopyDirs } from '../spec/sources.js';
import { type Command, DEFAULT_SPECS, EXIT, str, UsageError } from './command.js';

const FORMATS = ['text', 'github'] as const;
type Format = (typeof FORMATS)[number];

function formatOf(value: unknown): Format {
  const f = str(value) ?? 'text';
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format ${f}: expected one of ${FORMATS.join(', ')}`);
  return f as Format;
}

/** Each uncited clause at its id in its profile file, for annotations (the text format lists them by name). */
function uncitedAt(catalog: Catalog, missing: readonly string[]): Diagnostic[] {
  return missing.map((name) => {
    const [profile, id] = [name.slice(0, name.indexOf('/')), name.slice(name.indexOf('/') + 1)];
    const message = `clause "${id}" is neither cited by a case nor marked untestable`;
    const p = catalog.profiles.find((x) => x.value.id === profile);
    const i = p?.value.clauses.findIndex((c) => c.id === id) ?? -1;
    return p !== undefined && i >= 0 ? p.source.at(['clauses', i, 'id'], message) : { file: catalog.dir, line: 1, col: 1, path: '', message: `${name}: ${message}` };
  });
}

export const lintCommand: Command = {
  summary: 'validate spec and profile files (schema, allowlist, ids, clauses) without running anything',
  usage: `semconf lint [--specs DIR] [--sources DIR] [--man-pages DIR] [--format text|github]

  --specs DIR       spec directory (default: the specs/ shipped with semconf)
  --sources DIR     check every clause quote verbatim against the document copies in DIR (e.g. ../shared/seeds)
  --man-pages DIR   check the quotes of documents with \`man:\` against the installed pages under DIR
                    (e.g. /usr/share/man), when the installed release is the one the profile cites
  --format FORMAT   text (default): file:line:col: path: message on stderr; github: one
                    ::error file=...,line=...,col=...::message workflow command per problem on stdout
                    (annotations on a pull request); the exit code is the same either way`,
  options: { specs: { type: 'string' }, sources: { type: 'string' }, 'man-pages': { type: 'string' }, format: { type: 'string' } },
  async run(values) {
    const format = formatOf(values.format);
    try {
      return lint(str(values.specs) ?? DEFAULT_SPECS, { sourcesDir: str(values.sources), manDir: str(values['man-pages']) }, format);
    } catch (e) {
      if (!(e instanceof InputError) || format !== 'github') throw e;
      for (const d of e.diagnostics) process.stdout.write(`${githubAnnotation(d)}\n`);
      process.stderr.write(`semconf: ${e.diagnostics.length} problem(s); nothing was run or written\n`);
      return EXIT.usage;
    }
  },
};

function lint(dir: string, copies: CopyDirs, format: Format): number {
  const catalog = loadCatalog(dir);
  const cases = catalog.specs.reduce((n, s) => n + s.value.cases.length, 0);
  process.stdout.write(`${dir}: ${catalog.specs.length} spec files, ${cases} cases, ${catalog.profiles.length} profiles: ok\n`);
  if (copies.sourcesDir !== undefined || copies.manDir !== undefined) {
    const quotes = checkQuotes(catalog, copies);
    if (quotes.problems.length > 0) throw new InputError(quotes.problems);
    const against = [copies.sourcesDir, copies.manDir].filter((d) => d !== undefined).join(' and ');
    process.stdout.write(`quotes: ${quotes.checked} checked verbatim against ${against}: ok\n`);
    if (quotes.unchecked.length > 0) process.stdout.write(`quotes: unchecked (no copy given): ${quotes.unchecked.join(', ')}\n`);
  }
  const missing = uncited(coverage(catalog));
  if (missing.length > 0) {
    if (format === 'github') for (const d of uncitedAt(catalog, missing)) process.stdout.write(`${githubAnnotation(d)}\n`);
    process.stderr.write(`semconf lint: ${missing.length} clause(s) neither cited by a case nor marked untestable:\n  ${missing.join('\n  ')}\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
