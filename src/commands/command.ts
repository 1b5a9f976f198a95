// What every command module exports, and the few things they share.
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { PACKAGE_ROOT } from '../package-info.js';

/** Every exit code semconf uses, with what it means: the one source for the code, for `semconf --help` and for
 * README (so they cannot drift apart). */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'completed: divergences are findings, not failures' },
  failed: {
    code: 1,
    meaning: 'a case broke or the run was incomplete; lint found an uncited clause; a required profile diverged; diff found an unexplained change',
  },
  usage: { code: 2, meaning: 'bad input or usage: every problem named (file:line:col for specs); nothing run or written' },
  nothingRan: { code: 3, meaning: 'no case could run (every one skipped, e.g. not root), or a required context was missing' },
  interrupted: { code: 130, meaning: 'interrupted by SIGINT (128 + 2, as shells report it); every completed case saved, complete: false' },
  terminated: { code: 143, meaning: 'stopped by SIGTERM (128 + 15); every completed case saved, complete: false' },
} as const;

type ExitName = keyof typeof EXIT_CODES;
export const EXIT = Object.fromEntries(Object.entries(EXIT_CODES).map(([name, e]) => [name, e.code])) as {
  readonly [K in ExitName]: (typeof EXIT_CODES)[K]['code'];
};

export { PACKAGE_ROOT };
export const DEFAULT_SPECS = join(PACKAGE_ROOT, 'specs');

/** Bad usage: printed as one sentence, exit 2. */
export class UsageError extends Error {}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** whether the command takes positional arguments (files) */
  positionals?: boolean;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
