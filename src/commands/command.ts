// What every command module exports, and the few things they share.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParseArgsConfig } from 'node:util';

/** 0 the command completed (divergences are findings); 1 a case broke or the run did not complete; 2 bad input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
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
