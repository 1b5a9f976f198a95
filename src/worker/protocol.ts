// Messages between the parent (pool.ts) and a worker process (child.ts), over Node's IPC channel.
import type { PlanItem } from '../plan.js';
import type { CallRecord, CaseStatus, ContextRecord, Observation, Probes, TargetFacts } from '../results.js';
import type { Context } from '../spec/schema.js';

/** How a worker process is started: argv[2] of child.js, as JSON. */
export interface WorkerStart {
  context: Context;
  /** a fresh process for one case; it leaves through _exit after reporting */
  isolated: boolean;
}

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
  durationMs: number;
}

export type ToWorker = { type: 'run'; item: PlanItem } | { type: 'exit' };

export type FromWorker =
  | { type: 'hello'; facts: TargetFacts; probes: Probes; context: ContextRecord; contextProblem?: string }
  | { type: 'result'; key: string; outcome: CaseOutcome }
  /** isolated workers: the call under test returned; sent before its effects are observed */
  | { type: 'called'; key: string; call: CallRecord };
