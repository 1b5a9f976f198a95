// What an outer `semconf run --target T` and the run it starts somewhere else (inner.ts) exchange. One protocol for
// every launcher: the request travels as one JSON argument, the results come back on the inner run's stdout between
// two marker lines, so anything else printed on the way (runsc, a VM's console, a chroot's shell) cannot corrupt it.
import type { Shard } from '../selection.js';
import type { BuildIdentity } from '../spec/catalog-cache.js';

/** The run somewhere else: argv[2] of inner.js, as JSON. */
export interface InnerRequest {
  /** absolute spec directory, as the inner run sees it (launchers share the host's files read-only) */
  specs: string;
  jobs: number;
  profiles?: string[];
  /** run --filter, --exclude, --shard: the inner run selects (and records) the same cases as the outer one */
  filter?: string[];
  exclude?: string[];
  shard?: Shard;
  /** run --repeat N */
  repeat?: number;
  /** every case's timeout and the workers' start-up limit times this (Launcher.timeoutScale; default 1) */
  timeoutScale?: number;
  /** print each case to stderr as it completes (run --progress) */
  progress?: boolean;
  /** how the inner run names where it runs in its own messages ("inside gVisor") */
  where: string;
  /** the launcher's private state directory: on the inner run's command line, so that clean-up can find every
   * process of the run by it even when it left the launcher's process group */
  stateDir: string;
  /** the launching build (catalog-cache.ts adoptBuild): the inner run keys the catalog cache with its digest instead
   * of hashing its code again, where it runs that very code */
  build?: BuildIdentity;
  /** the launching run's catalog cache directory (catalog-cache.ts cacheDir), at its host path, which the launcher
   * makes visible there (gVisor and a VM see the host's files; the i386 root binds it): the inner run plans from the
   * entry the launching run's own load made, read-only. Absent (run --no-cache): the inner run loads the specs cold. */
  cache?: string;
}

export const RESULTS_BEGIN = '<<<semconf-results>>>';
export const RESULTS_END = '<<<end-semconf-results>>>';

/** What came back between the markers: the JSON text, `truncated` when the results began but never ended (a run
 * killed while printing, a console that dropped bytes), or `absent` when they never began. */
export type Extracted = { kind: 'results'; json: string } | { kind: 'truncated'; bytes: number } | { kind: 'absent' };

export function extract(stdout: string): Extracted {
  const begin = stdout.lastIndexOf(`${RESULTS_BEGIN}\n`);
  if (begin === -1) return { kind: 'absent' };
  const from = begin + RESULTS_BEGIN.length + 1;
  const end = stdout.indexOf(`\n${RESULTS_END}`, from);
  return end === -1 ? { kind: 'truncated', bytes: stdout.length - from } : { kind: 'results', json: stdout.slice(from, end) };
}

/** The JSON text between the markers, or null when it is absent or truncated. */
export function extractResults(stdout: string): string | null {
  const e = extract(stdout);
  return e.kind === 'results' ? e.json : null;
}
