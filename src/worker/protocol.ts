// Messages between the parent (pool.ts) and a worker process (child.ts), over Node's IPC channel.
import type { PlanItem } from '../plan.js';
import type { CallRecord, CaseStatus, ContextRecord, Observation, Probes, TargetFacts } from '../results.js';
import type { Context } from '../spec/schema.js';

/** How a worker process is started: argv[2] of the worker entry (child.cjs, bundled from child.ts), as JSON. `fresh`:
 * a process for one case, its context established for good at start; it leaves through _exit after reporting.
 * `reused`: a worker that runs case after case, entering each case's context and leaving it (context.ts enterContext;
 * a dropped one is held for the next case of the same context: child.ts), proving after each that it is back where
 * the case began (baseline.ts); a case that needs a process of its own it runs in a forked copy of itself. */
export type WorkerStart =
  | { process: 'fresh'; context: Context }
  /** `copies`: a case that needs a process of its own runs in a forked copy of the worker (forked.ts); else the worker
   * hands it back to the pool for a fresh process (run --fresh-processes) */
  | { process: 'reused'; copies: boolean };

export interface CaseOutcome {
  status: CaseStatus;
  reason?: string;
  observed?: Observation;
  warnings?: string[];
  /** the worker is no longer at its baseline and will exit; the parent starts a new one */
  retire?: string;
  /** the worker execs into the exec probe's program after sending this; its report completes effects.exec */
  execPending?: true;
  /** the case was cut short by an interrupt (SIGINT): not a completed case */
  interrupted?: boolean;
  /** a reused worker: the context the case ran in (a fresh worker says it in its hello) */
  context?: ContextRecord;
  /** a reused worker could not enter the case's context so that it can leave it again: the case did not run, and
   * needs a fresh process (this says why) */
  needsFresh?: string;
  /** a reused worker ran the case in the dropped context it held since the case before (child.ts), not one entered for
   * it: the pool's view only, not written to the results (the context's record is the same either way) */
  contextHeld?: true;
  /** a reused worker did not run the case: it could not get back to its baseline from the context it held since the
   * case before (this says how), and retires; the case goes to the next worker */
  notRun?: string;
  /** the case ran in a forked copy of a reused worker (forked.ts), a process of its own */
  forked?: true;
  durationMs: number;
}

export type ToWorker = { type: 'run'; item: PlanItem } | { type: 'exit' };

export type FromWorker =
  /** `context`: the context a fresh worker established (null for a reused one, which enters one per case) */
  | { type: 'hello'; facts: TargetFacts; probes: Probes; context: ContextRecord | null; contextProblem?: string }
  | { type: 'result'; key: string; outcome: CaseOutcome }
  /** fresh workers, and reused ones for a whole-process case: the call under test returned; sent before its effects
   * are observed */
  | { type: 'called'; key: string; call: CallRecord };
