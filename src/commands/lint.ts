// semconf lint: schema, lint rules, optional verbatim quote check, and clause coverage (uncited clauses fail).
// This module is the command's light shell: an unchanged spec tree is answered from the cache (the outcome of the
// last cold lint of exactly these files, by this build), and only a miss imports the work (lint-check.ts).
import { cacheKey, CacheStore, copyState, openCache, PlainTree, readSpecInputs } from '../spec/catalog-cache.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import type { CopyDirs } from '../spec/sources.js';
import { type Command, DEFAULT_SPECS, EXIT, str, UsageError } from './command.js';

const FORMATS = ['text', 'github'] as const;
export type LintFormat = (typeof FORMATS)[number];

function formatOf(value: unknown): LintFormat {
  const f = str(value) ?? 'text';
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format ${f}: expected one of ${FORMATS.join(', ')}`);
  return f as LintFormat;
}

/** Everything a lint prints and returns, so that a warm lint prints exactly what the cold one did. */
export interface LintOutcome {
  stdout: string;
  stderr: string;
  exit: number;
  /** bad input in the text format: thrown as InputError, so the CLI prints it as it does for every command */
  problems: Diagnostic[] | null;
  /** the document copies the quote check read (lint --sources), each with its state (copyState) when read;
   * undefined (not plainly readable) keeps the outcome out of the cache */
  copies: { file: string; state: string | undefined }[];
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDiagnostic = (v: unknown): v is Diagnostic =>
  isRecord(v) && isString(v.file) && Number.isInteger(v.line) && Number.isInteger(v.col) && isString(v.path) && isString(v.message);

/** Whether a cached payload is a LintOutcome. Checked by hand, not by a zod schema: importing zod alone costs about
 * half of a warm lint's budget. */
export function isLintOutcome(v: unknown): v is LintOutcome {
  return (
    isRecord(v) &&
    isString(v.stdout) &&
    isString(v.stderr) &&
    (Object.values(EXIT) as unknown[]).includes(v.exit) &&
    (v.problems === null || (Array.isArray(v.problems) && v.problems.every(isDiagnostic))) &&
    Array.isArray(v.copies) &&
    v.copies.every((c) => isRecord(c) && isString(c.file) && isString(c.state))
  );
}

/** Whether every copy the outcome read is as it was then (and none was read when no --sources is given). */
function copiesUnchanged(outcome: LintOutcome, sources: string | undefined): boolean {
  if (sources === undefined) return outcome.copies.length === 0;
  const tree = new PlainTree(sources);
  return outcome.copies.every((c) => c.state !== undefined && copyState(c.file, tree) === c.state);
}

/** The outcome of linting `dir`: from `cache` when these very inputs were linted before by this build, else cold
 * (and then kept, unless an input changed while it was being linted). */
async function lintOutcome(dir: string, copies: CopyDirs, format: LintFormat, cache: CacheStore | undefined): Promise<LintOutcome> {
  const sources = copies.sourcesDir;
  const inputs = cache === undefined ? undefined : readSpecInputs(dir);
  const key = cache === undefined || inputs === undefined ? undefined : cacheKey('lint', [dir, sources ?? null, format, inputs.digest], cache);
  if (cache !== undefined && key !== undefined) {
    const hit = cache.get('lint', key);
    if (isLintOutcome(hit) && copiesUnchanged(hit, sources)) return hit;
  }
  const { checkLint } = await import('./lint-check.js');
  const outcome = checkLint(dir, copies, format);
  if (cache !== undefined && key !== undefined && readSpecInputs(dir)?.digest === inputs?.digest && copiesUnchanged(outcome, sources)) {
    cache.put('lint', key, outcome);
  }
  return outcome;
}

export const lintCommand: Command = {
  summary: 'validate spec and profile files (schema, allowlist, ids, clauses) without running anything',
  usage: `semconf lint [--specs DIR] [--sources DIR] [--man-pages DIR] [--format text|github] [--no-cache]

  --specs DIR       spec directory (default: the specs/ shipped with semconf)
  --sources DIR     check every clause quote verbatim against the document copies in DIR (e.g. ../shared/seeds)
  --man-pages DIR   check the quotes of documents with \`man:\` against the installed pages under DIR
                    (e.g. /usr/share/man), when the installed release is the one the profile cites (never cached)
  --format FORMAT   text (default): file:line:col: path: message on stderr; github: one
                    ::error file=...,line=...,col=...::message workflow command per problem on stdout
                    (annotations on a pull request); the exit code is the same either way
  --no-cache        lint from scratch, neither using nor updating the cache ($XDG_CACHE_HOME/semconf, default
                    ~/.cache/semconf) that answers an unchanged spec tree without parsing it again`,
  options: { specs: { type: 'string' }, sources: { type: 'string' }, 'man-pages': { type: 'string' }, format: { type: 'string' }, 'no-cache': { type: 'boolean' } },
  async run(values) {
    const format = formatOf(values.format);
    const manDir = str(values['man-pages']);
    // The installed man pages are rendered by man(1) and change with a package upgrade: a lint that reads them is
    // done cold every time, rather than tracking every page the cache would depend on.
    const cache = manDir !== undefined ? undefined : openCache(values['no-cache'] === true);
    const outcome = await lintOutcome(str(values.specs) ?? DEFAULT_SPECS, { sourcesDir: str(values.sources), ...(manDir !== undefined ? { manDir } : {}) }, format, cache);
    // what the lint deferred (the build's digest, kept: catalog-cache.ts keptFor)
    cache?.flush();
    process.stdout.write(outcome.stdout);
    process.stderr.write(outcome.stderr);
    if (outcome.problems !== null) {
      // Loaded only now: the diagnostics module brings the yaml library with it.
      const { InputError } = await import('../spec/diagnostics.js');
      throw new InputError(outcome.problems);
    }
    return outcome.exit;
  },
};
