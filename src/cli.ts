#!/usr/bin/env node
// semconf command line: parses the command and its options (node:util parseArgs), runs it, maps failures to exit
// codes. Each command lives in src/commands/<name>.ts; add one there and one entry to COMMANDS.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArgumentError, type OptionSpecs, parseCommandArgs, withShortFlags } from './cli-args.js';
import { COLOR_CHOICES, isColorChoice, setColorChoice } from './color.js';
import { type Command, EXIT, EXIT_CODES, UsageError } from './commands/command.js';
import { toolVersion } from './package-info.js';
import { nearest } from './suggest.js';

/** Every command: its summary for the top-level help, and its module, imported only when it runs (or shows its
 * help), so `semconf --help` and `--version` start without loading zod schemas, koffi or the report renderers.
 * The summary is the command's own (test/cli-surface.test.ts checks they agree). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: {
    summary: 'run every case against this machine, write the results file and print the report',
    load: async () => (await import('./commands/run.js')).runCommand,
  },
  list: {
    summary: 'list the cases a run would select: id, function, context and title',
    load: async () => (await import('./commands/list.js')).listCommand,
  },
  lint: {
    summary: 'validate spec and profile files (schema, allowlist, ids, clauses) without running anything',
    load: async () => (await import('./commands/lint.js')).lintCommand,
  },
  coverage: {
    summary: 'per profile and document: clauses cited by a case, marked untestable, and uncited',
    load: async () => (await import('./commands/coverage.js')).coverageCommand,
  },
  report: {
    summary: 'report a results file or a merged matrix: terminal, Markdown, self-contained HTML or JUnit XML',
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  diff: {
    summary: 'what changed between two results files: observations, verdicts, cases, target facts',
    load: async () => (await import('./commands/diff.js')).diffCommand,
  },
  merge: {
    summary: 'merge results files from many machines into one cross-target matrix (semconf-matrix/2)',
    load: async () => (await import('./commands/merge.js')).mergeCommand,
  },
  explore: {
    summary: 'generate call sequences, run them on several targets, shrink every difference into a ready-to-review case',
    load: async () => (await import('./commands/explore.js')).exploreCommand,
  },
  audit: {
    summary: 'porting audit: what a platform documents that this target breaks, cannot confirm or does not promise',
    load: async () => (await import('./commands/audit.js')).auditCommand,
  },
  validate: {
    summary: 'check that files are valid semconf results files or matrices, of either version (and say what is wrong if not)',
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  schema: {
    summary: 'write the JSON Schemas of spec and profile files (for editors) into a directory',
    load: async () => (await import('./commands/schema.js')).schemaCommand,
  },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** Whether `name` is a command, and which. */
export function commandEntry(name: string): (typeof COMMANDS)[string] | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

/** The short forms of long options: one table for every command, applied to whichever command has the long option,
 * so a letter means the same thing everywhere (and no command can give it another meaning). --version is
 * top-level only. */
export const SHORT_FLAGS: Readonly<Record<string, string>> = {
  help: 'h',
  version: 'V',
  out: 'o',
  format: 'f',
  jobs: 'j',
  target: 't',
  specs: 's',
  profile: 'p',
  require: 'r',
};

/** Options every command takes, besides its own. */
const GLOBAL_OPTIONS: OptionSpecs = { help: { type: 'boolean' }, color: { type: 'string' } };

const GLOBAL_HELP = [
  'options of every command:',
  `  --color[=WHEN]  colour in terminal output: ${COLOR_CHOICES.join(', ')}; --color alone is always. auto (the default):`,
  '                  colour on a terminal, unless NO_COLOR is set or TERM=dumb; FORCE_COLOR forces it (FORCE_COLOR=0: none)',
  '  -h, --help      this help',
].join('\n');

function exitCodesHelp(): string {
  return ['exit codes:', ...Object.values(EXIT_CODES).map((e) => `  ${String(e.code).padEnd(3)}  ${e.meaning}`)].join('\n');
}

function mainHelp(): string {
  const width = Math.max(...COMMAND_NAMES.map((c) => c.length));
  return [
    "semconf: checks what the memory-locking calls of this machine do against what each platform's manual says.",
    '',
    'usage: semconf <command> [options]     semconf <command> --help (-h)     semconf --version (-V)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    GLOBAL_HELP,
    '',
    exitCodesHelp(),
  ].join('\n');
}

function commandHelp(command: Command, options: OptionSpecs): string {
  const shorts = Object.entries(options)
    .filter(([long, spec]) => long !== 'help' && spec.short !== undefined)
    .map(([long, spec]) => `-${spec.short ?? ''} --${long}`);
  const shortLine = shorts.length > 0 ? `\nshort forms: ${shorts.join(', ')}` : '';
  return `${command.summary}\n\nusage: ${command.usage}\n\n${GLOBAL_HELP}${shortLine}\n`;
}

/** A bare `--color` means always; `--color WHEN` and `--color=WHEN` name the choice (parseArgs reads both once the
 * bare form has its value). Arguments after `--` are left alone. */
function normaliseColorFlag(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, i) => {
    if (arg !== '--color' || (end !== -1 && i > end)) return arg;
    const next = args[i + 1];
    return next !== undefined && isColorChoice(next) ? arg : '--color=always';
  });
}

/** The first line of a command's usage: the synopsis, without the option descriptions under it. */
const synopsis = (command: Command): string => command.usage.split('\n')[0] ?? command.usage;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === `-${SHORT_FLAGS.help}` || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === `-${SHORT_FLAGS.version}`) {
    process.stdout.write(`${toolVersion()}\n`);
    return EXIT.ok;
  }
  let command: Command | undefined;
  try {
    const entry = commandEntry(name);
    if (entry === undefined) {
      const near = nearest(name, name.startsWith('-') ? ['--help', '--version'] : COMMAND_NAMES);
      const what = name.startsWith('-') ? `unknown option ${name} before the command` : `unknown command "${name}"`;
      throw new UsageError(`${what}${near === undefined ? '' : `; did you mean "${near}"?`} (commands: ${COMMAND_NAMES.join(', ')})`);
    }
    command = await entry.load();
    const options = withShortFlags({ ...command.options, ...GLOBAL_OPTIONS }, SHORT_FLAGS);
    const { values, positionals } = parseCommandArgs(normaliseColorFlag(rest), options);
    const { help, color, ...own } = values;
    if (color !== undefined) {
      if (typeof color !== 'string' || !isColorChoice(color)) throw new ArgumentError(`--color=${String(color)}: expected ${COLOR_CHOICES.join(', ')}`);
      setColorChoice(color);
    }
    if (help === true) {
      process.stdout.write(commandHelp(command, options));
      return EXIT.ok;
    }
    if (positionals.length > 0 && command.positionals !== true) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return await command.run(own, positionals);
  } catch (e) {
    if (e instanceof ArgumentError && command !== undefined) {
      process.stderr.write(`semconf ${name}: ${e.message}\nusage: ${synopsis(command)}\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`semconf: ${e.message}\n`);
      return EXIT.usage;
    }
    const { reportFailure } = await import('./cli-failure.js');
    return reportFailure(e);
  }
}

/** A reader that stops early (`semconf report r.json | head -1`) closes the pipe: the reader's choice, not a
 * failure, so no message and no stack trace. Node then drops whatever else is written to that stream; the command
 * still finishes (a run still saves its results) and exits with its own code. Any other write error stays fatal. */
function ignoreClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

// Run when started as a program (also through npm's bin symlink), not when imported by tests.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ignoreClosedReader(process.stdout);
  ignoreClosedReader(process.stderr);
  const code = await main(process.argv.slice(2));
  // Leave through process.exit once stdout and stderr are flushed, not by letting the event loop drain: a natural
  // exit tears the signal handlers down first, and a SIGINT in that window (a second Ctrl-C as the run saves and
  // ends) kills the process by signal, losing the exit code that says what happened. process.exit keeps them.
  const flushed = (stream: NodeJS.WriteStream): Promise<void> => new Promise((done) => stream.write('', () => done()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
