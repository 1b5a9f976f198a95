// What every command module exports, and the few things they share.
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { PACKAGE_ROOT } from '../package-info.js';

/** 0 the command completed (divergences are findings); 1 a case broke or the run did not complete; 2 bad input;
 * 130 interrupted by SIGINT (128 + 2, as shells report it), 143 stopped by SIGTERM (128 + 15), each after saving
 * every completed case. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

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
