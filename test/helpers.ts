// Shared test helpers: build plan items from inline cases, as the planner would.
import { plan, type PlanItem } from '../src/plan.js';
import type { Catalog } from '../src/spec/catalog.js';
import { type Results, RESULTS_SCHEMA, type TargetFacts } from '../src/results.js';
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

/** FAKE: an empty, valid results file as a runner inside a launched target would send it back (no case ran), for
 * tests of what a launcher's `adopt` accepts and refuses. `target` overrides the runner's facts. */
export function emptyResults(target: Partial<TargetFacts> = {}): Results {
  const probe = { available: true, method: 'm' };
  return {
    schema: RESULTS_SCHEMA,
    tool: { name: 'semconf', version: '0' },
    target: { id: 'linux-x86_64-glibc', os: 'linux', release: '6', kernel: '#1', arch: 'x86_64', libc: 'glibc', runtime: 'native', pageSize: 4096, node: 'v20', koffi: '3', ...target },
    probes: { lockState: probe, residency: probe, lockedTotal: probe, forkChild: probe, execChild: probe },
    specDigest: 'x',
    profiles: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    complete: true,
    cases: [],
    summary: {},
  };
}
