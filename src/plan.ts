// Plan: cases × contexts → work items, in spec order. Decides which items need a fresh process.
import { parseCall } from './spec/call.js';
import { allCases, type Catalog } from './spec/catalog.js';
import { PROCESS_WIDE, isCallable } from './spec/functions.js';
import { LOCK_BUDGET_BYTES } from './spec/lint.js';
import type { Case, Context } from './spec/schema.js';

export const DEFAULT_TIMEOUT_MS = 5000;

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
  budgetBytes: number;
}

export function contextName(context: Context): string {
  return context === 'privileged' ? 'privileged' : `unprivileged(memlock=${context.memlock})`;
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
        timeoutMs: c.timeout_ms ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        budgetBytes: LOCK_BUDGET_BYTES,
      };
    });
}
