// Shared test helpers: build plan items from inline cases, as the planner would.
import { plan, type PlanItem } from '../src/plan.js';
import type { Catalog } from '../src/spec/catalog.js';
import type { Case, SpecFile } from '../src/spec/schema.js';

/** Plan items for inline cases (no YAML): the same planner the CLI uses, over a one-file catalog. */
export function itemsFor(fn: SpecFile['function'], cases: Case[], timeoutMs?: number): PlanItem[] {
  const catalog = {
    dir: '(inline)',
    digest: 'inline',
    profiles: [],
    specs: [{ file: '(inline)', value: { function: fn, cases }, source: undefined as never }],
  } as unknown as Catalog;
  return plan(catalog, timeoutMs !== undefined ? { timeoutMs } : {});
}

export const c = (id: string, call: string, extra: Partial<Case> = {}): Case => ({
  id,
  title: id,
  call,
  expect: {},
  memory: { buf: { pages: 2 } },
  ...extra,
});
