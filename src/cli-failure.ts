// What the command line says and returns when a command failed with something other than a usage error. Loaded
// only when a command threw: the error classes live in the heavy modules (zod schemas, runners, launchers), which
// `semconf --help` and `--version` should not have to load.
import { UnsupportedOsError } from '../runners/index.js';
import { EXIT } from './commands/command.js';
import { OutputError, ResultsFileError } from './results.js';
import { InputError } from './spec/diagnostics.js';
import { LaunchError } from './targets/launcher.js';

/** Print one message for `e` on stderr and return the exit code it means. */
export function reportFailure(e: unknown): number {
  if (e instanceof InputError) {
    process.stderr.write(`${e.message}\nsemconf: ${e.diagnostics.length} problem(s); nothing was run or written\n`);
    return EXIT.usage;
  }
  if (e instanceof ResultsFileError || e instanceof UnsupportedOsError) {
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
  process.stderr.write(`semconf: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.failed;
}
