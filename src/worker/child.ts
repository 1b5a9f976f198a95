// Worker process entry. Started by pool.ts with a WorkerStart as argv[2]; says hello, then runs the cases it is sent.
// A fresh worker establishes its one context at start, runs one case and leaves through _exit (after
// mlockall(MCL_FUTURE) Node would abort in its own exit path). A reused worker enters each case's context, undoes a
// whole-process lock with munlockall after the case, and proves it is back where the case began (baseline.ts); it
// retires when it is not. A dropped (unprivileged) context is kept for the next case when that case has the same one
// (the pool sends cases grouped by context: lanes.ts), and left before a case of any other: each of the six calls that
// drop and restore it (setgroups, setgid, setresuid) is a broadcast to every thread of the process in glibc, ~55 us
// each natively and ~600 us inside gVisor with a worker's four threads (measured), which made entering and leaving a
// quarter of an ordinary unprivileged case's time.
import { createRunner } from '../../runners/index.js';
import type { Runner } from '../../runners/types.js';
import type { PlanItem } from '../plan.js';
import { type Baseline, departuresFrom, droppedState, takeBaseline } from './baseline.js';
import { type Entered, enterContext, establishContext } from './context.js';
import { contextName } from '../spec/context-name.js';
import { executeCase } from './execute.js';
import { runForked } from './forked.js';
import type { CallRecord } from '../results.js';
import type { CaseOutcome, FromWorker, ToWorker, WorkerStart } from './protocol.js';

function send(msg: FromWorker): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('worker started without an IPC channel'));
    process.send(msg, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

/** A case that needs a process of its own, in a forked copy of this worker (forked.ts), and the proof after that the
 * worker itself is still at its baseline. Where no copy can be made the pool gives the case a fresh process. */
function runIsolated(runner: Runner, item: PlanItem, baseline: Baseline, why: string, copies: boolean): CaseOutcome {
  const copy = runner.forkCopy;
  const cannot = (reason?: string): CaseOutcome => ({ status: 'skipped', reason: reason ?? why, needsFresh: reason === undefined ? why : `${why}; ${reason}`, durationMs: 0 });
  if (!copies) return cannot();
  if (copy === undefined) return cannot('this OS file makes no forked copy of a worker');
  const outcome = runForked(runner, copy, item);
  if ('cannot' in outcome) return cannot(`no forked copy: ${outcome.cannot}`);
  // the copy is another process: whatever it locked or changed ended with it; this one changed nothing of its own
  const departures = departuresFrom(runner, baseline, { future: false, credentials: false });
  if (departures.length === 0) return outcome;
  const retire = `worker state after the case's forked copy differs from its baseline: ${departures.join('; ')}`;
  return { ...outcome, warnings: [...(outcome.warnings ?? []), retire], retire };
}

/** A young-generation collection now, where the worker runs with --expose-gc (lean.ts QUIET_GC): before a case that
 * may lock the whole process (or a copy of it), so that no collection falls while it is locked. */
function collectYoung(): void {
  const gc = (globalThis as { gc?: (options: { type: 'minor'; execution: 'sync' }) => void }).gc;
  gc?.({ type: 'minor', execution: 'sync' });
}

/** A dropped context a reused worker is still in after a case: kept for the next case if it has the same one. `state`
 * is the worker as the context left it when entered (the baseline's locked bytes; the credentials, groups and soft
 * limit of the drop), which every case in it is proven back at. */
interface Held {
  name: string;
  entered: Entered;
  state: Baseline;
}

/** The context held since the case before, if any (a reused worker; null: the worker is at its baseline). */
let held: Held | null = null;

/** Out of the held context, and the proof that the worker is back at its baseline: null, or what went wrong. */
function leaveHeld(runner: Runner, baseline: Baseline): string | null {
  const h = held;
  if (h === null) return null;
  held = null;
  const left = h.entered.leave();
  const departures = [...(left === null ? [] : [left]), ...departuresFrom(runner, baseline, { future: false, credentials: true })];
  return departures.length === 0 ? null : `leaving ${h.name} for the next case: ${departures.join('; ')}`;
}

/** One case in a reused worker: into its context (or still in it from the case before), the case, and the proof that
 * nothing stayed; out of the context again unless it is one that can be held for the next case. */
function runReused(runner: Runner, item: PlanItem, baseline: Baseline, copies: boolean, onCalled: ((call: CallRecord) => void) | undefined): CaseOutcome {
  const name = contextName(item.context);
  // A case of another context, or one for a forked copy (which would inherit the held credentials), begins at the
  // baseline. Where the worker cannot get back to it, it runs nothing more: the case goes to the next worker.
  if (held !== null && (held.name !== name || item.isolated)) {
    const failed = leaveHeld(runner, baseline);
    if (failed !== null) return { status: 'skipped', reason: failed, notRun: failed, retire: failed, durationMs: 0 };
  }
  if (item.wholeProcess || item.isolated) collectYoung();
  if (item.isolated) return runIsolated(runner, item, baseline, item.freshReason ?? 'the case needs a process of its own', copies);
  const kept = held;
  held = null;
  // proven back at its baseline after the case before (or at the held context's state): its credentials are known
  const entered = kept?.entered ?? enterContext(runner, item.context, baseline.credentials);
  if (entered.notRestorable !== undefined) return runIsolated(runner, item, baseline, entered.notRestorable, copies);
  // A context entered as asked, by a drop, is held for the next case: each case in it is proven back at the state
  // right after the drop, before it is left. Any other is left first and proven back at the baseline.
  const dropped = entered.changed && entered.problem === undefined && entered.record.established ? entered.record.credentials : null;
  const holds = dropped !== null;
  const state = kept?.state ?? (dropped !== null ? droppedState(baseline, dropped) : baseline);
  let outcome: CaseOutcome =
    entered.problem !== undefined ? { status: 'skipped', reason: entered.problem, durationMs: 0 } : executeCase(runner, item, onCalled);
  // Undone inside the context, before anything else is mapped: under MCL_FUTURE every mapping the worker makes is
  // locked, and in an unprivileged context charged against its limit.
  if (item.wholeProcess && runner.has('munlockall')) runner.call('munlockall', []);
  const leave = (): string[] => {
    const left = entered.leave();
    return left === null ? [] : [left];
  };
  const departures = [...(holds ? [] : leave()), ...departuresFrom(runner, state, { future: item.wholeProcess, credentials: entered.changed })];
  if (holds && departures.length === 0) held = { name, entered, state };
  else if (holds) departures.push(...leave());
  if (outcome.execPending === true) {
    // never in a reused worker: the exec ends the process (plan.ts gives every case that observes an exec a fresh one)
    const { execPending: _, ...rest } = outcome;
    outcome = { ...rest, status: 'error', reason: 'the exec probe needs a fresh worker' };
  }
  if (departures.length > 0) {
    const why = `worker state after the case differs from ${holds ? `the state ${name} was entered in` : 'its baseline'}: ${departures.join('; ')}`;
    outcome = { ...outcome, warnings: [...(outcome.warnings ?? []), why], retire: why };
  }
  return { ...outcome, context: entered.record, ...(kept !== null ? { contextHeld: true as const } : {}) };
}

async function main(): Promise<void> {
  const start = JSON.parse(process.argv[2] ?? '{}') as WorkerStart;
  const runner = createRunner();
  const established = start.process === 'fresh' ? establishContext(runner, start.context) : null;
  const baseline = takeBaseline(runner);
  const { lockState, residency, lockedTotal, forkChild, execChild } = runner.probes;
  const probes = { lockState, residency, lockedTotal, forkChild, execChild };
  const problem = established?.problem;
  await send({ type: 'hello', facts: runner.facts, probes, context: established?.record ?? null, ...(problem !== undefined ? { contextProblem: problem } : {}) });

  // The parent is gone (or asked us to leave): leave at once, through _exit, whatever this process locked.
  process.on('disconnect', () => runner.exitNow(0));
  /** This worker runs nothing more: it is leaving (retired, or a case broke in it). The parent sends cases
   * while the one before them runs (pool.ts SEND_AHEAD), so cases may arrive after the one that retired the worker:
   * they are not run here, and the parent sends them to the next worker. */
  let done = false;
  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'exit') {
      process.disconnect?.();
      return;
    }
    if (done) return;
    const fresh = start.process === 'fresh';
    // A case may leave the process unable to go on (mlockall(MCL_FUTURE) with no room left to map): tell the parent
    // what the call did before observing anything else.
    const onCalled = fresh || msg.item.wholeProcess ? (call: CallRecord) => void send({ type: 'called', key: msg.item.key, call }).catch(() => undefined) : undefined;
    const outcome: CaseOutcome = fresh ? executeCase(runner, msg.item, onCalled) : runReused(runner, msg.item, baseline, start.copies, onCalled);
    done = fresh || outcome.retire !== undefined || outcome.status === 'error';
    void send({ type: 'result', key: msg.item.key, outcome }).then(() => {
      if (outcome.execPending === true) {
        // Returns only when execve failed; the reason is on stderr after the marker, where the pool looks.
        process.stderr.write(`${runner.probes.execSelf()}\n`);
        runner.exitNow(0);
      }
      if (fresh || outcome.retire !== undefined) runner.exitNow(0);
    });
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`semconf worker: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(70);
});
