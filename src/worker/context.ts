// Establishing an execution context inside a fresh worker, before any case runs. A context that cannot be
// established is reported as such (its cases become `skipped`), never silently run in another context.
import type { Runner } from '../../runners/types.js';
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
    // Where the kernel exempts nobody from RLIMIT_MEMLOCK (runner.privilegedIsRoot), root is as privileged as a
    // process gets: requiring an exemption there would skip every privileged case rather than record what root gets.
    if (runner.privilegedIsRoot !== undefined) {
      return before.euid === 0 ? record(true) : record(false, `privileged context needs root (${runner.privilegedIsRoot}); this process has euid ${before.euid}`);
    }
    return before.euid === 0 && before.canLockMemory
      ? record(true)
      : record(false, `privileged context needs root with CAP_IPC_LOCK; this process has euid ${before.euid} and ${before.canLockMemory ? '' : 'no '}CAP_IPC_LOCK`);
  }
  if (before.euid !== 0) return record(false, `dropping to uid ${UNPRIVILEGED_UID} needs root; this process has euid ${before.euid}`);
  let limit: bigint | null = null;
  if (context.memlock !== 'default') {
    try {
      limit = memlockBytes(context.memlock, runner.pageSize);
    } catch (e) {
      return record(false, (e as Error).message);
    }
  }
  if (context.memlock !== 'default' && !runner.setMemlockLimit(limit)) {
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
