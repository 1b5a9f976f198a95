// The options that choose cases (--filter, --exclude, --shard) as data, without the code that reads them
// (selection-options.ts): a command's module can declare them without loading the catalog and its schemas.
import type { OptionValues } from './command.js';

export const SELECTION_OPTIONS = {
  filter: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  shard: { type: 'string' },
} as const;

export const SELECTION_USAGE = `  --filter PATTERN  run the cases whose id matches PATTERN: a glob (mlock.*, *.zero-length; without * ? [ ] { }
                    the id itself) or /REGEX/; repeatable, or comma-separated: a case matching any of them
  --exclude PATTERN leave out the cases matching PATTERN (same syntax), after --filter
  --shard K/N       only shard K of N (1-based): every case is in exactly one of the N shards, chosen by its id`;

/** A repeatable string option's values as given (one, several, or none). */
export const strings = (v: OptionValues[string]): string[] | undefined => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : undefined);
