#!/usr/bin/env node
// semconf command line. Exit codes: 0 the command completed (divergences are findings, not failures);
// 1 a case broke (`error`) or the run did not complete; 2 bad input or usage.
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UnsupportedOsError } from '../runners/index.js';
import { renderTerminal } from './report/terminal.js';
import { readResults, ResultsFileError, writeResults } from './results.js';
import { runCatalog } from './run.js';
import { InputError } from './spec/diagnostics.js';
import { renderJsonSchema, SCHEMA_FILES } from './spec/json-schema.js';
import { loadCatalog } from './spec/lint.js';
import { checkQuotes } from './spec/sources.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_SPECS = join(PACKAGE_ROOT, 'specs');

class UsageError extends Error {}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run every case against this machine, write the results file and print the report',
    usage: `semconf run [--specs DIR] [--profile P]... [--filter PATTERN] [--out FILE] [--jobs N] [--json]

  --specs DIR       spec directory (default: the specs/ shipped with semconf)
  --profile P       judge against profile P only; repeatable (default: every profile)
  --filter PATTERN  run cases whose id contains PATTERN, or matches /REGEX/
  --out FILE        results file (default: results/<target-id>.json)
  --jobs N          worker lanes run in parallel (default 2)
  --json            print the results JSON instead of the terminal report`,
    options: {
      specs: { type: 'string' },
      profile: { type: 'string', multiple: true },
      filter: { type: 'string' },
      out: { type: 'string' },
      jobs: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values) {
      const catalog = loadCatalog(str(values.specs) ?? DEFAULT_SPECS);
      const profiles = values.profile as string[] | undefined;
      const known = catalog.profiles.map((p) => p.value.id);
      for (const p of profiles ?? []) {
        if (!known.includes(p)) throw new UsageError(`unknown profile "${p}"; expected one of ${known.join(', ')}`);
      }
      const jobs = Number(str(values.jobs) ?? 2);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError('--jobs takes a whole number from 1 to 64');
      const interrupt = new AbortController();
      const onSigint = (): void => interrupt.abort();
      process.once('SIGINT', onSigint);
      const results = await runCatalog(catalog, {
        jobs,
        signal: interrupt.signal,
        ...(profiles ? { profiles } : {}),
        ...(str(values.filter) !== undefined ? { filter: str(values.filter) } : {}),
      }).finally(() => process.off('SIGINT', onSigint));
      const out = str(values.out) ?? join('results', `${results.target.id}.json`);
      mkdirSync(dirname(resolve(out)), { recursive: true });
      writeResults(out, results);
      if (values.json === true) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else process.stdout.write(`${renderTerminal(results, { color: process.stdout.isTTY })}\nresults: ${out}\n`);
      const broken = results.cases.some((c) => c.status === 'error');
      if (!results.complete) process.stderr.write('semconf: the run did not complete; the results file says complete: false\n');
      return broken || !results.complete ? EXIT.failed : EXIT.ok;
    },
  },
  lint: {
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
      if (sources === undefined) return EXIT.ok;
      const quotes = checkQuotes(catalog, sources);
      if (quotes.problems.length > 0) throw new InputError(quotes.problems);
      process.stdout.write(`quotes: ${quotes.checked} checked verbatim against ${sources}: ok\n`);
      if (quotes.unchecked.length > 0) process.stdout.write(`quotes: unchecked (no copy given): ${quotes.unchecked.join(', ')}\n`);
      return EXIT.ok;
    },
  },
  report: {
    summary: 'print the terminal report of a results file',
    usage: 'semconf report RESULTS.json',
    options: {},
    async run(_values, positionals) {
      const file = positionals[0];
      if (file === undefined || positionals.length > 1) throw new UsageError('report takes exactly one results file');
      process.stdout.write(renderTerminal(readResults(file), { color: process.stdout.isTTY }));
      return EXIT.ok;
    },
  },
  validate: {
    summary: 'check that results files are valid semconf-results/1 files (and say what is wrong if not)',
    usage: 'semconf validate RESULTS.json...',
    options: {},
    async run(_values, positionals) {
      if (positionals.length === 0) throw new UsageError('validate takes one or more results files');
      for (const file of positionals) {
        const r = readResults(file);
        process.stdout.write(`${file}: valid ${r.schema}, target ${r.target.id}, ${r.cases.length} cases, ${r.complete ? 'complete' : 'incomplete'}\n`);
      }
      return EXIT.ok;
    },
  },
  schema: {
    summary: 'write the JSON Schemas of spec and profile files (for editors) into a directory',
    usage: 'semconf schema [--out DIR]   (default: the schema/ shipped with semconf)',
    options: { out: { type: 'string' } },
    async run(values) {
      const dir = str(values.out) ?? join(PACKAGE_ROOT, 'schema');
      mkdirSync(dir, { recursive: true });
      for (const [name, schema] of Object.entries(SCHEMA_FILES)) writeFileSync(join(dir, name), renderJsonSchema(schema));
      process.stdout.write(`wrote ${Object.keys(SCHEMA_FILES).join(', ')} to ${dir}\n`);
      return EXIT.ok;
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'semconf: checks what the memory-locking calls of this machine do against what each platform\'s manual says.',
    '',
    'usage: semconf <command> [options]     semconf <command> --help',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 completed (divergences are findings), 1 a case broke or the run was incomplete, 2 bad input or usage',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(`unknown command "${name}"; expected one of ${Object.keys(COMMANDS).join(', ')}`);
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      process.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 0 && name !== 'report' && name !== 'validate') throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return await command.run(values, positionals);
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`${e.message}\nsemconf: ${e.diagnostics.length} problem(s); nothing was run or written\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof ResultsFileError || e instanceof UnsupportedOsError) {
      process.stderr.write(`semconf: ${e.message}\n`);
      return EXIT.usage;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`semconf ${name}: ${(e as Error).message}\nusage: ${command?.usage ?? ''}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`semconf: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}

// Run when started as a program (also through npm's bin symlink), not when imported by tests.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
