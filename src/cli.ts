#!/usr/bin/env node
// semconf command line: parses the command and its options (node:util parseArgs), runs it, maps failures to exit
// codes. Each command lives in src/commands/<name>.ts; add one there and one line to COMMANDS.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UnsupportedOsError } from '../runners/index.js';
import { type Command, EXIT, UsageError } from './commands/command.js';
import { auditCommand } from './commands/audit.js';
import { coverageCommand } from './commands/coverage.js';
import { diffCommand } from './commands/diff.js';
import { lintCommand } from './commands/lint.js';
import { listCommand } from './commands/list.js';
import { mergeCommand } from './commands/merge.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { OutputError, ResultsFileError } from './results.js';
import { InputError } from './spec/diagnostics.js';
import { LaunchError } from './targets/launcher.js';

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  lint: lintCommand,
  list: listCommand,
  coverage: coverageCommand,
  report: reportCommand,
  diff: diffCommand,
  merge: mergeCommand,
  audit: auditCommand,
  validate: validateCommand,
  schema: schemaCommand,
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "semconf: checks what the memory-locking calls of this machine do against what each platform's manual says.",
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
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
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
    if (positionals.length > 0 && command.positionals !== true) throw new UsageError(`unexpected argument "${positionals[0]}"`);
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
    if (e instanceof OutputError) {
      process.stderr.write(`semconf: ${e.message}\n`);
      return EXIT.failed;
    }
    if (e instanceof LaunchError) {
      // A target's run failed somewhere else: one sentence, what clean-up found, exit 1 (no results were written).
      const { leftoverProcesses, leftoverState } = e.cleanup;
      const left = leftoverProcesses.length + leftoverState.length > 0 ? ` (left behind and removed: ${leftoverProcesses.length} process(es), ${leftoverState.join(', ') || 'no state'})` : '';
      process.stderr.write(`semconf: ${e.message}${left}; no results were written\n`);
      return EXIT.failed;
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
  const code = await main(process.argv.slice(2));
  // Leave through process.exit once stdout and stderr are flushed, not by letting the event loop drain: a natural
  // exit tears the signal handlers down first, and a SIGINT in that window (a second Ctrl-C as the run saves and
  // ends) kills the process by signal, losing the exit code that says what happened. process.exit keeps them.
  const flushed = (stream: NodeJS.WriteStream): Promise<void> => new Promise((done) => stream.write('', () => done()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
