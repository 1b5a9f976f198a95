// Plan: cases × contexts → work items, in spec order. Decides which items need a fresh process: by default only those
// whose state a reused worker could not take back faithfully; with `freshProcesses`, every one (the reference the
// reuse-equivalence test compares against).
import { readFileSync } from 'node:fs';
import { parseCall } from './spec/call.js';
import { selector, type SelectionOptions } from './selection.js';
import { allCases, type CaseRef, type Catalog } from './spec/catalog-model.js';
import { PROCESS_WIDE, isCallable } from './spec/functions.js';
import { contextName } from './spec/context-name.js';
import { LOCK_BUDGET_BYTES } from './spec/memory.js';
import type { Case, Context } from './spec/schema.js';
import { stepCall } from './spec/step.js';

export const DEFAULT_TIMEOUT_MS = 5000;
/** A whole-process lock (mlockall) pins every accessible page of the Node worker, far more than any one mapping:
 * such cases are held to this budget, measured in the worker before the call. */
export const PROCESS_LOCK_BUDGET_BYTES = 512 * 1024 * 1024;

export interface PlanItem {
  /** case id, context and (with --repeat) repetition: unique within a plan */
  key: string;
  /** 1 … repeat: which run of the case this is (run --repeat N) */
  repetition: number;
  function: string;
  case: Case;
  context: Context;
  contextName: string;
  /** runs in a fresh process of its own that leaves through _exit (see freshReason) */
  isolated: boolean;
  /** why the item gets a fresh process; absent when a reused worker runs it */
  freshReason?: string;
  /** the case locks or unlocks the whole process (mlockall, munlockall): the reused worker (V8 without a JIT, as
   * every worker) undoes it with munlockall after the case */
  wholeProcess: boolean;
  timeoutMs: number;
  /** most bytes the case's own mappings may span */
  budgetBytes: number;
  /** most bytes a whole-process lock may pin in the worker */
  processBudgetBytes: number;
  /** observations only some expectations ask for, because they cost a process each */
  observe: { child: boolean; exec: boolean };
}

/** Which costly observations any profile's expectation (or one of its alternatives) asks for. */
function observationsAskedFor(c: Case): PlanItem['observe'] {
  const outcomes = Object.values(c.expect).flatMap((e) => (typeof e === 'string' || 'unspecified' in e ? [] : [e, ...(e.one_of ?? [])]));
  return { child: outcomes.some((o) => o.child !== undefined), exec: outcomes.some((o) => o.exec !== undefined) };
}

/** The functions a case calls: its setup steps, the call under test, the steps after it. */
const callsOf = (c: Case): string[] => [...(c.before ?? []).map(stepCall), c.call, ...(c.after ?? []).map(stepCall)].map((text) => parseCall(text).fn);

function changesProcessState(c: Case): boolean {
  return callsOf(c).some((fn) => isCallable(fn) && PROCESS_WIDE.has(fn));
}

/** The hard RLIMIT_MEMLOCK this process has, and its workers inherit (Linux's /proc/self/limits, in bytes); null where
 * it cannot be read. Read once, whatever it gave: gVisor (runsc 20221219) has no /proc/self/limits, and a memo that
 * kept only a value read it again for every case (199 failed opens in one run inside the sandbox, runsc --strace). */
let hardMemlock: { value: number | 'unlimited' | null } | undefined;
function hardMemlockOfThisProcess(): number | 'unlimited' | null {
  hardMemlock ??= { value: readHardMemlock() };
  return hardMemlock.value;
}

function readHardMemlock(): number | 'unlimited' | null {
  try {
    const hard = /^Max locked memory\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    if (hard === undefined) return null;
    return hard === 'unlimited' ? 'unlimited' : Number(hard);
  } catch {
    return null;
  }
}

/** Why a case cannot run in a reused worker, or undefined when it can. */
export function freshReasonOf(c: Case, context: Context, observe: PlanItem['observe']): string | undefined {
  if (observe.exec) return 'the exec probe replaces the process';
  // Under a finite RLIMIT_MEMLOCK without CAP_IPC_LOCK, mlockall(MCL_FUTURE) can succeed and leave Node unable to
  // allocate (it dies with bad_alloc): such a worker could not even undo it. The flags are expressions, so any
  // mlockall there is taken as one.
  if (context !== 'privileged' && context.memlock !== 'unlimited' && callsOf(c).includes('mlockall')) {
    return `mlockall under a finite RLIMIT_MEMLOCK (${context.memlock}) may starve the worker`;
  }
  // Known here only for "unlimited" (a size in pages needs the target's page size): the worker says so for the rest,
  // and runs the case in a forked copy (or, where it forks none, the pool gives it a fresh process).
  const hard = hardMemlockOfThisProcess();
  if (context !== 'privileged' && context.memlock === 'unlimited' && hard !== null && hard !== 'unlimited') {
    return `RLIMIT_MEMLOCK unlimited is above the hard limit ${hard}, which only a process of its own may raise`;
  }
  return undefined;
}

export interface PlanOptions extends SelectionOptions {
  timeoutMs?: number;
  /** run every case this many times (default 1): cases whose behaviour differs between repetitions are flaky */
  repeat?: number;
  /** every case's timeout times this (default 1): a target that emulates every instruction (a VM under TCG) runs a
   * case tens of times slower than this machine, and a timeout guards against hangs, not slowness */
  timeoutScale?: number;
  /** every case in a fresh process of its own (run --fresh-processes): the reference for the reuse-equivalence test */
  freshProcesses?: boolean;
}

/** The catalog's cases the selection (--filter, --exclude, --shard) keeps, in spec order. */
export function selectedCases(catalog: Catalog, options: SelectionOptions = {}): CaseRef[] {
  const keep = selector(options);
  return allCases(catalog).filter((ref) => keep(ref.case.id));
}

export function plan(catalog: Catalog, options: PlanOptions = {}): PlanItem[] {
  const once = selectedCases(catalog, options);
  const repeat = options.repeat ?? 1;
  // Repetitions go round by round (the whole selection, then again), not case after case: a case that depends on
  // what ran before it in a reused worker, or on how busy the machine is, then meets other neighbours and moments.
  return Array.from({ length: repeat }, (_, r) => r + 1).flatMap((repetition) =>
    once.map(({ spec, case: c }): PlanItem => {
      const context = c.as ?? 'privileged';
      const observe = observationsAskedFor(c);
      const freshReason = options.freshProcesses === true ? 'every case in a fresh process (--fresh-processes)' : freshReasonOf(c, context, observe);
      return {
        key: `${c.id}@${contextName(context)}${repeat > 1 ? `#${repetition}` : ''}`,
        repetition,
        function: spec.value.function,
        case: c,
        context,
        contextName: contextName(context),
        isolated: freshReason !== undefined,
        ...(freshReason !== undefined ? { freshReason } : {}),
        wholeProcess: changesProcessState(c),
        timeoutMs: Math.round((c.timeout_ms ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * (options.timeoutScale ?? 1)),
        budgetBytes: LOCK_BUDGET_BYTES,
        processBudgetBytes: PROCESS_LOCK_BUDGET_BYTES,
        observe,
      };
    }),
  );
}
