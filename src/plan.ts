// Plan: cases × contexts → work items, in spec order. Decides which items need a fresh process.
import { parseCall } from './spec/call.js';
import { allCases, type Catalog } from './spec/catalog.js';
import { PROCESS_WIDE, isCallable } from './spec/functions.js';
import { contextName } from './spec/context-name.js';
import { LOCK_BUDGET_BYTES } from './spec/memory.js';
import type { Case, Context } from './spec/schema.js';

export const DEFAULT_TIMEOUT_MS = 5000;
/** A whole-process lock (mlockall) pins every accessible page of the Node worker, far more than any one mapping:
 * such cases are held to this budget, measured in the worker before the call. */
export const PROCESS_LOCK_BUDGET_BYTES = 512 * 1024 * 1024;

export interface PlanItem {
  /** case id and context: unique within a plan */
  key: string;
  function: string;
  case: Case;
  context: Context;
  contextName: string;
  /** runs in a fresh process that leaves through _exit, because it changes process-wide state */
  isolated: boolean;
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

function changesProcessState(c: Case): boolean {
  return [...(c.before ?? []), c.call].some((text) => {
    const fn = parseCall(text).fn;
    return isCallable(fn) && PROCESS_WIDE.has(fn);
  });
}

export interface PlanOptions {
  /** keep cases whose id contains this text, or matches it as /regex/ */
  filter?: string;
  timeoutMs?: number;
  /** every case's timeout times this (default 1): a target that emulates every instruction (a VM under TCG) runs a
   * case tens of times slower than this machine, and a timeout guards against hangs, not slowness */
  timeoutScale?: number;
}

export function matchesFilter(id: string, filter: string | undefined): boolean {
  if (filter === undefined || filter === '') return true;
  const re = /^\/(.*)\/$/.exec(filter);
  return re ? new RegExp(re[1] ?? '').test(id) : id.includes(filter);
}

export function plan(catalog: Catalog, options: PlanOptions = {}): PlanItem[] {
  return allCases(catalog)
    .filter((ref) => matchesFilter(ref.case.id, options.filter))
    .map(({ spec, case: c }) => {
      const context = c.as ?? 'privileged';
      return {
        key: `${c.id}@${contextName(context)}`,
        function: spec.value.function,
        case: c,
        context,
        contextName: contextName(context),
        isolated: context !== 'privileged' || changesProcessState(c),
        timeoutMs: Math.round((c.timeout_ms ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * (options.timeoutScale ?? 1)),
        budgetBytes: LOCK_BUDGET_BYTES,
        processBudgetBytes: PROCESS_LOCK_BUDGET_BYTES,
        observe: observationsAskedFor(c),
      };
    });
}
