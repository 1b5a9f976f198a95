// Execution contexts inside a worker. A fresh worker establishes its context once, before any case runs, for good
// (setuid, both limits). A reused worker enters a context for a case and leaves it after (enterContext; child.ts
// holds a dropped one for the next case of the same context): the unprivileged uid with 0 kept as the saved uid, the
// soft RLIMIT_MEMLOCK alone. A context that cannot be established is reported as such (its cases become `skipped`),
// never silently run in another context; one that cannot be entered so that it can be left again says why, and the
// case gets a fresh process instead.
import type { Credentials, Runner } from '../../runners/types.js';
import type { ContextRecord } from '../results.js';
import type { Context } from '../spec/schema.js';
import { contextName } from '../spec/context-name.js';
import { MAX_RLIMIT_BYTES } from '../spec/memory.js';

/** The uid an unprivileged context drops to: `nobody` on Linux and the BSDs. */
export const UNPRIVILEGED_UID = 65534;

/** RLIMIT_MEMLOCK in bytes (null: unlimited). Lint bounds the spec; this refuses anything a runner's setrlimit would
 * receive wrapped (koffi reduces a bigint modulo 2^64: 2^64 + 4096 would become 4096). */
export function memlockBytes(memlock: number | string, pageSize: number): bigint | null {
  if (memlock === 'unlimited') return null;
  const bytes = typeof memlock === 'number' ? BigInt(memlock) : BigInt(memlock.slice(0, -1)) * BigInt(pageSize);
  if (bytes < 0n || bytes > MAX_RLIMIT_BYTES) {
    throw new RangeError(`RLIMIT_MEMLOCK ${memlock} is ${bytes} bytes; expected 0 to ${MAX_RLIMIT_BYTES}, or "unlimited"`);
  }
  return bytes;
}

export interface Established {
  record: ContextRecord;
  /** why the context could not be established; its cases are skipped with this reason */
  problem?: string;
}

export function establishContext(runner: Runner, context: Context): Established {
  const record = (established: boolean, problem?: string): Established => ({
    record: { name: contextName(context), spec: context, established, credentials: runner.credentials() },
    ...(problem !== undefined ? { problem } : {}),
  });
  const before = runner.credentials();
  if (context === 'privileged') {
    const problem = privilegedProblem(runner, before);
    return problem === null ? record(true) : record(false, problem);
  }
  if (before.euid !== 0) return record(false, droppingNeedsRoot(before));
  const limit = requestedLimit(runner, context);
  if ('problem' in limit) return record(false, limit.problem);
  if (limit.set && !runner.setMemlockLimit(limit.bytes)) {
    return record(false, `could not set RLIMIT_MEMLOCK to ${context.memlock} (raising a hard limit needs CAP_SYS_RESOURCE)`);
  }
  try {
    process.setgroups?.([]);
    process.setgid?.(UNPRIVILEGED_UID);
    process.setuid?.(UNPRIVILEGED_UID);
  } catch (e) {
    return record(false, `could not drop to uid ${UNPRIVILEGED_UID}: ${(e as Error).message}`);
  }
  const after = runner.credentials();
  return after.euid === UNPRIVILEGED_UID && !after.canLockMemory
    ? record(true)
    : record(false, `after the drop the process still has euid ${after.euid}${after.canLockMemory ? ' and CAP_IPC_LOCK' : ''}`);
}

/** Why this process is not privileged (null: it is). */
function privilegedProblem(runner: Runner, creds: Credentials): string | null {
  // Where the kernel exempts nobody from RLIMIT_MEMLOCK (runner.privilegedIsRoot), root is as privileged as a
  // process gets: requiring an exemption there would skip every privileged case rather than record what root gets.
  if (runner.privilegedIsRoot !== undefined) {
    return creds.euid === 0 ? null : `privileged context needs root (${runner.privilegedIsRoot}); this process has euid ${creds.euid}`;
  }
  return creds.euid === 0 && creds.canLockMemory
    ? null
    : `privileged context needs root with CAP_IPC_LOCK; this process has euid ${creds.euid} and ${creds.canLockMemory ? '' : 'no '}CAP_IPC_LOCK`;
}

const droppingNeedsRoot = (creds: Credentials): string => `dropping to uid ${UNPRIVILEGED_UID} needs root; this process has euid ${creds.euid}`;

type RequestedLimit = { set: false } | { set: true; bytes: bigint | null } | { problem: string };

/** The context's RLIMIT_MEMLOCK in bytes (null: unlimited), none to leave it alone (`default`), or why it is refused. */
function requestedLimit(runner: Runner, context: Exclude<Context, 'privileged'>): RequestedLimit {
  if (context.memlock === 'default') return { set: false };
  try {
    return { set: true, bytes: memlockBytes(context.memlock, runner.pageSize) };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

export interface Entered extends Established {
  /** why the context cannot be entered so that it can be left again: the case needs a fresh process */
  notRestorable?: string;
  /** back to the worker's baseline context; null when that worked, else why not (the worker is then retired) */
  leave(): string | null;
  /** whether entering changed the worker's credentials, groups or soft limit (even part way): leaving restores them,
   * and the proof after the case compares them with the baseline (baseline.ts ProofScope). Entering a privileged
   * context, or refusing one before the first change, changes nothing. */
  changed: boolean;
}

/** Enter a context in a reused worker, for one case. Privileged: the worker's own state, checked. Unprivileged: the
 * soft RLIMIT_MEMLOCK set (the hard one kept), the groups dropped, gid and uid set to nobody with 0 kept as the saved
 * uid. Nothing is changed when the context cannot be entered restorably (a soft limit above the hard one, no
 * setresuid): the caller runs the case in a fresh process. `current`: the credentials the worker has now, where the
 * caller knows them (a reused worker proven back at its baseline), so they are not read again. */
export function enterContext(runner: Runner, context: Context, current: Credentials = runner.credentials()): Entered {
  const stay = (): null => null;
  const before = current;
  // Unchanged until the drop: read again only after it (each reading costs a few /proc reads).
  let credentials = before;
  const record = (established: boolean, leave: () => string | null, problem?: string): Entered => ({
    record: { name: contextName(context), spec: context, established, credentials },
    leave,
    changed: leave !== stay,
    ...(problem !== undefined ? { problem } : {}),
  });
  const notRestorable = (why: string): Entered => ({ ...record(false, stay), notRestorable: why });
  if (context === 'privileged') {
    const problem = privilegedProblem(runner, before);
    return problem === null ? record(true, stay) : record(false, stay, problem);
  }
  if (before.euid !== 0) return record(false, stay, droppingNeedsRoot(before));
  const limit = requestedLimit(runner, context);
  if ('problem' in limit) return record(false, stay, limit.problem);
  const setUserIds = runner.setUserIds;
  if (setUserIds === undefined) return notRestorable('this C library has no setresuid, so a dropped uid could not be taken back');
  const soft = before.memlock.soft === 'unlimited' ? null : /^\d+$/.test(before.memlock.soft) ? BigInt(before.memlock.soft) : undefined;
  if (soft === undefined) return notRestorable(`RLIMIT_MEMLOCK reads ${before.memlock.soft} here, so it could not be restored`);
  if (limit.set && !runner.setMemlockSoftLimit(limit.bytes)) {
    return notRestorable(`RLIMIT_MEMLOCK ${context.memlock} is above the hard limit ${before.memlock.hard}, which only a fresh process may raise`);
  }
  const groups = process.getgroups?.() ?? [];
  const gid = process.getgid?.() ?? 0;
  const leave = (): string | null => {
    const problems: string[] = [];
    if (!setUserIds(0, 0, 0)) problems.push('setresuid(0, 0, 0) failed');
    try {
      process.setgid?.(gid);
      process.setgroups?.(groups);
    } catch (e) {
      problems.push(`could not restore the groups: ${(e as Error).message}`);
    }
    if (!runner.setMemlockSoftLimit(soft)) problems.push(`could not restore the soft RLIMIT_MEMLOCK ${before.memlock.soft}`);
    return problems.length === 0 ? null : `leaving ${contextName(context)}: ${problems.join('; ')}`;
  };
  try {
    process.setgroups?.([]);
    process.setgid?.(UNPRIVILEGED_UID);
  } catch (e) {
    credentials = runner.credentials();
    return record(false, leave, `could not drop to gid ${UNPRIVILEGED_UID}: ${(e as Error).message}`);
  }
  if (!setUserIds(UNPRIVILEGED_UID, UNPRIVILEGED_UID, 0)) {
    credentials = runner.credentials();
    return record(false, leave, `could not drop to uid ${UNPRIVILEGED_UID}: setresuid failed`);
  }
  const after = runner.credentials();
  credentials = after;
  return after.euid === UNPRIVILEGED_UID && !after.canLockMemory
    ? record(true, leave)
    : record(false, leave, `after the drop the process still has euid ${after.euid}${after.canLockMemory ? ' and CAP_IPC_LOCK' : ''}`);
}
