// Shared test helpers: build plan items from inline cases, as the planner would.
import type { Runner } from '../runners/types.js';
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

/** FAKE runner, for the parts of executeCase that do not need a real kernel (the lock budgets, which probes are read):
 * every mlock adds `lockAdds` bytes to what the "kernel" charges and munlockall clears it; `pinnedShare` of the charge
 * is pinned. Memory calls succeed at made-up addresses, every probe is blind. `calls` is every allowlisted call made,
 * `readings` how often the charged and the pinned totals were read. */
export function ledgerRunner(lockAdds: number, pinnedShare = 1): { runner: Runner; calls: string[]; readings: { charged: number; pinned: number } } {
  let next = 0x7f0000000000n;
  let charged = 0;
  const calls: string[] = [];
  const readings = { charged: 0, pinned: 0 };
  const blind = { available: false, method: 'fake' };
  const runner = {
    facts: {},
    pageSize: 4096,
    addressSpace: { wordBits: 64, nullEnd: 0x10000n, userEnd: 1n << 63n },
    constants: { MCL_CURRENT: 1n },
    errnoName: (n: number) => `E${n}`,
    has: () => true,
    call(fn: string) {
      calls.push(fn);
      if (fn === 'mlock') charged += lockAdds;
      if (fn === 'munlockall') charged = 0;
      return { ret: 0, errno: null };
    },
    memory: {
      reserve(pages: number) {
        const at = next;
        next += BigInt(pages + 16) * 4096n;
        return at;
      },
      protect: () => true,
      unmap: () => true,
      touch: () => undefined,
      isMapped: () => false,
    },
    probes: {
      lockState: blind, residency: blind, lockedTotal: blind, forkChild: blind, execChild: blind,
      pageLocks: () => null,
      pageResidency: () => null,
      lockedBytes: () => (readings.charged++, charged),
      pinnedBytes: () => (readings.pinned++, Math.floor(charged * pinnedShare)),
      lockableBytes: () => 0,
      inspectForkedChild: () => null,
      execSelf: () => '',
    },
  } as unknown as Runner;
  return { runner, calls, readings };
}
