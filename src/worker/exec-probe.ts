// The exec probe: after the call under test, an isolated worker replaces itself (execve, same pid, same process:
// nothing forked in between) with a small program that prints its own /proc/self/status to the worker's stderr.
// Every mapping of that new image is made after the exec, so its VmLck says whether the locking process's locks
// or its MCL_FUTURE setting survived the exec. fork already drops both, so a program started from a forked child
// could not tell.
//
// The worker writes EXEC_MARKER to stderr just before execve; the pool reads what follows once the process is gone.
// The program and the text are Linux's (the only runner with this probe): cat(1) and a status file.
import { lockedBytesIn } from '../../runners/linux-proc.js';
import type { CaseOutcome } from './protocol.js';

export const EXEC_MARKER = 'semconf-exec-probe: execve follows';
export const EXEC_FAILED = 'semconf-exec-probe: execve failed';

export interface ExecReport {
  lockedBytes: number | null;
  /** why there is no value, when there is none */
  problem?: string;
}

/** What the exec'd program reported, from the end of the worker's stderr. `workerPid`: the status must be the
 * worker's own (an exec keeps the pid); a status of any other process proves nothing about the exec. */
export function execReportIn(stderrTail: string, how: string, workerPid: number | undefined): ExecReport {
  const at = stderrTail.lastIndexOf(EXEC_MARKER);
  if (at < 0) return { lockedBytes: null, problem: `the worker ${how} before it exec'd the probe program` };
  const after = stderrTail.slice(at + EXEC_MARKER.length);
  const failed = after.indexOf(EXEC_FAILED);
  if (failed >= 0) return { lockedBytes: null, problem: after.slice(failed).split('\n')[0] ?? EXEC_FAILED };
  const pid = /^Pid:\s*(\d+)$/m.exec(after)?.[1];
  if (pid !== undefined && workerPid !== undefined && Number(pid) !== workerPid) {
    return { lockedBytes: null, problem: `the status printed is of pid ${pid}, not the worker's ${workerPid}: it was not the worker exec'd` };
  }
  const bytes = lockedBytesIn(after);
  if (bytes !== null) return { lockedBytes: bytes };
  return {
    lockedBytes: null,
    problem: /^Name:/m.test(after) ? "the exec'd program's /proc/self/status has no VmLck line" : `the exec'd program printed no status (it ${how})`,
  };
}

/** The outcome with what the exec'd program reported; a missing report is a warning, and the value stays null
 * (so the verdict is inconclusive for an expectation about it, never a pass). */
export function withExecReport(o: CaseOutcome, report: ExecReport): CaseOutcome {
  const { execPending: _, ...rest } = o;
  if (rest.observed?.effects.exec === undefined) return rest;
  const effects = { ...rest.observed.effects, exec: { lockedBytes: report.lockedBytes } };
  return {
    ...rest,
    observed: { ...rest.observed, effects },
    ...(report.problem !== undefined ? { warnings: [...(rest.warnings ?? []), `exec probe: ${report.problem}`] } : {}),
  };
}
