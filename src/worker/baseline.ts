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

const lockedNow = (runner: Runner): number | null => runner.probes.lockedBytes() ?? runner.probes.pinnedBytes?.() ?? null;
const groupsNow = (): number[] => process.getgroups?.() ?? [];

export function takeBaseline(runner: Runner): Baseline {
  return { lockedBytes: lockedNow(runner), credentials: runner.credentials(), groups: groupsNow() };
}

/** The state a reused worker is in right after dropping to a context it holds for the cases of that context
 * (child.ts): the baseline's locked total (a drop locks nothing), the credentials read after the drop, its groups now. */
export function droppedState(baseline: Baseline, credentials: Credentials): Baseline {
  return { lockedBytes: baseline.lockedBytes, credentials, groups: groupsNow() };
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

/** What the proof after a case looks at, besides the locked total (which any case may leave behind: a lock that
 * outlived its mapping's munmap, say). Each is looked at only where something could have changed it, since every call
 * a case makes is allowlisted (spec/functions.ts CALLABLES) and none of them sets a uid, a group or a limit. */
export interface ProofScope {
  /** whether MCL_FUTURE may be in force: only mlockall sets it (it is the process's default for new mappings,
   * mm->def_flags on Linux), so only after a case that called a whole-process function (spec/functions.ts
   * PROCESS_WIDE) in this process, not one run in a forked copy (another process). The look costs a reading of the
   * lock probe (under gVisor a whole /proc/self/smaps: milliseconds per case). */
  future: boolean;
  /** whether credentials, groups and limits may differ: only entering a context changes them (context.ts
   * enterContext, `changed`), so only after a case whose context was entered by a drop. The look costs a /proc
   * status reading and a getrlimit (under gVisor ~0.5 ms per case). */
  credentials: boolean;
}

/** How the worker differs from its baseline, one clause each; empty when it is back at it. `scope`: what the case
 * could have changed, always said by the caller (child.ts), so that no part is looked at by default where it cannot
 * have moved. */
export function departuresFrom(runner: Runner, baseline: Baseline, scope: ProofScope): string[] {
  const out: string[] = [];
  const same = (what: string, was: unknown, is: unknown): void => {
    if (JSON.stringify(was) !== JSON.stringify(is)) out.push(`${what} ${JSON.stringify(is)} (was ${JSON.stringify(was)})`);
  };
  same('locked bytes', baseline.lockedBytes, lockedNow(runner));
  if (scope.credentials) {
    same('credentials', baseline.credentials, runner.credentials());
    same('groups', baseline.groups, groupsNow());
  }
  if (!scope.future) return out;
  const future = futureLocked(runner);
  if (future === true) out.push('MCL_FUTURE in force (a fresh mapping is locked)');
  // Blind to a fresh mapping's lock state, the worker cannot show that no MCL_FUTURE is left: it is not trusted.
  if (future === null) out.push('cannot tell whether MCL_FUTURE is in force (the lock state of a fresh mapping is not observable)');
  return out;
}
