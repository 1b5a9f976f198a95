// The work of `semconf lint`, done cold: load and lint the catalog, check the quotes, check clause coverage. Its
// output is captured as a LintOutcome rather than written, so the command can print it and keep it in the cache
// (src/commands/lint.ts); a warm lint never loads this module, nor the yaml parser, zod or the rules it imports.
import { join } from 'node:path';
import { coverage, uncited } from '../coverage.js';
import { githubAnnotation } from '../spec/annotations.js';
import type { Catalog } from '../spec/catalog.js';
import { copyState, PlainTree } from '../spec/catalog-cache.js';
import { type Diagnostic, InputError } from '../spec/diagnostics.js';
import { loadCatalog } from '../spec/lint.js';
import { checkQuotes, type CopyDirs } from '../spec/sources.js';
import { EXIT } from './command.js';
import type { LintFormat, LintOutcome } from './lint.js';

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

/** The document copies the quote check reads (the paths src/spec/sources.ts joins), each with its state now. */
function copiesOf(catalog: Catalog, sources: string): LintOutcome['copies'] {
  const files = new Set(catalog.profiles.flatMap((p) => p.value.documents.flatMap((d) => (d.source === undefined ? [] : [join(sources, d.source)]))));
  const tree = new PlainTree(sources);
  return [...files].map((file) => ({ file, state: copyState(file, tree) }));
}

/** Lint `dir` (and the quotes against `sources`), as the command would print it. */
export function checkLint(dir: string, copies: CopyDirs, format: LintFormat): LintOutcome {
  const outcome: LintOutcome = { stdout: '', stderr: '', exit: EXIT.ok, problems: null, copies: [] };
  try {
    outcome.exit = lint(dir, copies, format, outcome);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    if (format === 'github') {
      for (const d of e.diagnostics) outcome.stdout += `${githubAnnotation(d)}\n`;
      outcome.stderr += `semconf: ${e.diagnostics.length} problem(s); nothing was run or written\n`;
    } else {
      // Thrown again by the command, so the CLI prints it as it prints every InputError (src/cli-failure.ts).
      outcome.problems = e.diagnostics;
    }
    outcome.exit = EXIT.usage;
  }
  return outcome;
}

function lint(dir: string, copies: CopyDirs, format: LintFormat, out: LintOutcome): number {
  const sources = copies.sourcesDir;
  const catalog = loadCatalog(dir);
  const cases = catalog.specs.reduce((n, s) => n + s.value.cases.length, 0);
  out.stdout += `${dir}: ${catalog.specs.length} spec files, ${cases} cases, ${catalog.profiles.length} profiles: ok\n`;
  if (sources !== undefined || copies.manDir !== undefined) {
    // The copies' states are taken before they are read for the check: a copy that changes during the check no
    // longer matches the state kept, so the outcome is never reused for it.
    if (sources !== undefined) out.copies = copiesOf(catalog, sources);
    const quotes = checkQuotes(catalog, copies);
    if (quotes.problems.length > 0) throw new InputError(quotes.problems);
    const against = [sources, copies.manDir].filter((d) => d !== undefined).join(' and ');
    out.stdout += `quotes: ${quotes.checked} checked verbatim against ${against}: ok\n`;
    if (quotes.unchecked.length > 0) out.stdout += `quotes: unchecked (no copy given): ${quotes.unchecked.join(', ')}\n`;
  }
  const missing = uncited(coverage(catalog));
  if (missing.length > 0) {
    if (format === 'github') for (const d of uncitedAt(catalog, missing)) out.stdout += `${githubAnnotation(d)}\n`;
    out.stderr += `semconf lint: ${missing.length} clause(s) neither cited by a case nor marked untestable:\n  ${missing.join('\n  ')}\n`;
    return EXIT.failed;
  }
  return EXIT.ok;
}
