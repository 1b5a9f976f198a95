// The proof that a reused worker is back where it started after a case: nothing locked, no MCL_FUTURE in force, the
// same limits and credentials. A worker that cannot show it is retired (the pool starts another), so the next case
// meets the state a fresh process would have given it.
import type { Credentials, Runner } from '../../runners/types.js';

export interface Baseline {
  /** what the kernel charges (VmLck); where it cannot be read, what is pinned (smaps_rollup, which costs
   * milliseconds in a Node process: VmLck, read from a short status file, says as much where it exists, since pages
   * are pinned only where they are locked) */
  lockedBytes: number | null;
  credentials: Credentials;
  groups: number[];
}

export function takeBaseline(runner: Runner): Baseline {
  return {
    lockedBytes: runner.probes.lockedBytes() ?? runner.probes.pinnedBytes?.() ?? null,
    credentials: runner.credentials(),
    groups: process.getgroups?.() ?? [],
  };
}

/** Whether MCL_FUTURE is in force: a mapping made now would be locked (Linux marks the new VMA VM_LOCKED, also when
 * it is PROT_NONE). null when the lock probe cannot see it. */
function futureLocked(runner: Runner): boolean | null {
  const page = runner.memory.reserve(1);
  if (page === null) return null;
  try {
    const lock = runner.probes.pageLocks(page, 1)?.[0];
    return lock === undefined ? null : lock === 'L';
  } finally {
    runner.memory.unmap(page, 1);
  }
}

/** How the worker differs from its baseline, one clause each; empty when it is back at it. `futureChecked`: whether
 * to look for MCL_FUTURE, which only mlockall sets (it is the process's default for new mappings, mm->def_flags on
 * Linux): after a case that called no whole-process function (spec/functions.ts PROCESS_WIDE; every call a case makes
 * is allowlisted) or a case run in a forked copy (another process), nothing could have set it, and the look costs a
 * reading of the lock probe (under gVisor a whole /proc/self/smaps: milliseconds per case). */
export function departuresFrom(runner: Runner, baseline: Baseline, futureChecked = true): string[] {
  const now = takeBaseline(runner);
  const out: string[] = [];
  const same = (what: string, was: unknown, is: unknown): void => {
    if (JSON.stringify(was) !== JSON.stringify(is)) out.push(`${what} ${JSON.stringify(is)} (was ${JSON.stringify(was)})`);
  };
  same('locked bytes', baseline.lockedBytes, now.lockedBytes);
  same('credentials', baseline.credentials, now.credentials);
  same('groups', baseline.groups, now.groups);
  if (!futureChecked) return out;
  const future = futureLocked(runner);
  if (future === true) out.push('MCL_FUTURE in force (a fresh mapping is locked)');
  // Blind to a fresh mapping's lock state, the worker cannot show that no MCL_FUTURE is left: it is not trusted.
  if (future === null) out.push('cannot tell whether MCL_FUTURE is in force (the lock state of a fresh mapping is not observable)');
  return out;
}
