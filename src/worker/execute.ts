// Runs one case inside a worker: fenced fresh mappings, setup calls, the call under test, its effects, cleanup.
// Everything the case may touch goes through the runner; nothing here reaches a symbol outside the allowlist.
import type { Runner } from '../../runners/types.js';
import type { PlanItem } from '../plan.js';
import type { CallRecord, MappingEffects, Observation } from '../results.js';
import { evaluate, parseCall, type ParsedCall } from '../spec/call.js';
import { isCallable, isConstantName } from '../spec/functions.js';
import { pagesOf } from '../spec/memory.js';
import { type Mapping, type PageKind, type Step, stepCall } from '../spec/schema.js';
import { listOf, matches } from '../verdict.js';
import { confinementProblem, describeConfinement, type Region } from './confine.js';
import type { CaseOutcome } from './protocol.js';

/** One guard page on each side keeps the kernel from merging a test mapping with its neighbours. */
const GUARD_PAGES = 1;

interface Placed {
  name: string;
  reservation: bigint;
  base: bigint;
  layout: PageKind[];
}

function layoutOf(m: Mapping): PageKind[] {
  return m.layout ?? Array.from({ length: m.pages ?? 0 }, () => m.prot ?? 'rw');
}

class CaseError extends Error {
  constructor(
    readonly status: 'error' | 'unsupported' | 'skipped',
    message: string,
    /** the worker cannot be trusted to be at its baseline any more: the parent replaces it */
    readonly retire = false,
  ) {
    super(message);
  }
}

/** `onCalled` hears the call under test's outcome as soon as it returns, before any effect is observed: a process
 * whose state the call broke (it can no longer allocate memory, say) may die before it reports the whole case. */
export function executeCase(runner: Runner, item: PlanItem, onCalled?: (call: CallRecord) => void): CaseOutcome {
  const started = performance.now();
  const placed: Placed[] = [];
  const outcome = runPlaced(runner, item, placed, onCalled);
  for (const p of placed) runner.memory.unmap(p.reservation, p.layout.length + 2 * GUARD_PAGES);
  const stale = placed.filter((p) => pagesOfReservation(runner, p).some((a) => runner.memory.isMapped(a)));
  const durationMs = performance.now() - started;
  if (stale.length === 0) return { ...outcome, durationMs };
  // The worker is not at its baseline: say so on this case, and let the parent replace the worker.
  const why = `mappings of the case still present after cleanup: ${stale.map((p) => p.name).join(', ')}`;
  return { ...outcome, durationMs, warnings: [...(outcome.warnings ?? []), why], retire: why };
}

function pagesOfReservation(runner: Runner, p: Placed): bigint[] {
  const ps = BigInt(runner.pageSize);
  return Array.from({ length: p.layout.length + 2 * GUARD_PAGES }, (_, i) => p.reservation + BigInt(i) * ps);
}

/** Everything between placing the mappings and observing the effects; `placed` collects what to clean up. */
function runPlaced(
  runner: Runner,
  item: PlanItem,
  placed: Placed[],
  onCalled: ((call: CallRecord) => void) | undefined,
): Omit<CaseOutcome, 'durationMs'> {
  try {
    const steps = item.case.before ?? [];
    const calls = [...steps.map(stepCall), item.case.call].map((t) => parseCall(t));
    checkSupported(runner, calls, Object.keys(item.case.memory ?? {}));
    checkBudget(runner, item);
    const memory = Object.entries(item.case.memory ?? {});
    const placeAll = (afterCall: boolean): void => {
      for (const [name, m] of memory) {
        if ((m.after_call ?? false) === afterCall) placed.push(place(runner, name, layoutOf(m), m.touch ?? false));
      }
    };
    placeAll(false);
    // The runner's width: "SIZE_MAX - 1p + 1" wraps at 2^32 in an i386 process, at 2^64 in an x86_64 one.
    const env = {
      wordBits: runner.wordBits,
      pageSize: BigInt(runner.pageSize),
      mappings: Object.fromEntries(placed.map((p) => [p.name, p.base])),
      constants: runner.constants as Record<string, bigint>,
    };
    const wholeProcess = calls.some((c) => c.fn === 'mlockall');
    // What the process had locked before the case (a shared worker at its baseline: nothing), and what the case may
    // add: its own memory's budget, or for a whole-process lock the process budget. Enforced on what is really
    // locked after every step, not on what the spec declares.
    // nothing charged (a reused worker at its baseline): nothing pinned either, without reading smaps_rollup
    const lockedAtStart = runner.probes.lockedBytes() === 0 ? 0 : pinned(runner);
    const lockBudget = wholeProcess ? item.processBudgetBytes : item.budgetBytes;
    const regions: Region[] = placed.map((p) => ({ name: p.name, start: p.reservation, end: p.reservation + BigInt(p.layout.length + 2 * GUARD_PAGES) * env.pageSize }));
    const invoke = (call: ParsedCall): CallRecord => {
      const args = call.args.map((a) => evaluate(a, env));
      const refused = confinementProblem(call.fn, args, regions, runner.addressSpace, env.pageSize);
      if (refused !== null) throw new CaseError('error', `refused ${call.text}: ${describeConfinement(refused, true)}`, true);
      // Measured right before each whole-process lock, after the steps before it changed what is mapped.
      if (call.fn === 'mlockall') checkProcessBudget(runner, item);
      const r = runner.call(call.fn as Parameters<Runner['call']>[0], args);
      const name = (n: number | null): string | null => (n === null ? null : runner.errnoName(n));
      const rec: CallRecord = { text: call.text, ret: r.ret, errno: name(r.errno) };
      if (r.completion !== undefined) rec.completion = { ret: r.completion.ret, errno: name(r.completion.errno) };
      checkLocked(runner, rec, lockedAtStart, lockBudget);
      return rec;
    };
    const before: CallRecord[] = [];
    calls.slice(0, -1).forEach((call, i) => {
      const rec = invoke(call);
      before.push(rec);
      const wrong = stepMismatch(steps[i] ?? rec.text, rec);
      if (wrong !== undefined) throw new CaseError('error', wrong);
    });
    const call = invoke(calls[calls.length - 1] as ParsedCall);
    onCalled?.(call);
    placeAll(true);
    // Mappings made after the call are locked by an MCL_FUTURE in force: they count too.
    if (placed.some((p) => item.case.memory?.[p.name]?.after_call === true)) checkLocked(runner, { text: 'placing the mappings made after the call' }, lockedAtStart, lockBudget);
    const observed: Observation = { before, call, effects: observeEffects(runner, placed, item.observe) };
    assertHolesIntact(runner, placed);
    // The exec probe ends this process: the worker sends this outcome, then execs (child.ts), and the pool fills in
    // what the exec'd program reported (pool.ts). Only an isolated worker may do that (plan.ts isolates such cases).
    const execNext = observed.effects.exec !== undefined && runner.probes.execChild.available;
    return { status: 'ran', observed, ...(execNext ? { execPending: true } : {}) };
  } catch (e) {
    if (e instanceof CaseError) return { status: e.status, reason: e.message, ...(e.retire ? { retire: e.message } : {}) };
    return { status: 'error', reason: `worker failed: ${(e as Error).stack ?? String(e)}` };
  }
}

function checkSupported(runner: Runner, calls: ParsedCall[], mappings: string[]): void {
  for (const call of calls) {
    if (!isCallable(call.fn) || !runner.has(call.fn)) {
      throw new CaseError('unsupported', `${call.fn} is not available in this target's C library`);
    }
    for (const arg of call.args) {
      for (const t of arg.terms) {
        if (t.kind === 'name' && !mappings.includes(t.name) && isConstantName(t.name) && runner.constants[t.name] === undefined) {
          throw new CaseError('unsupported', `${t.name} is not defined on this target`);
        }
      }
    }
  }
}

function checkBudget(runner: Runner, item: PlanItem): void {
  const pages = Object.values(item.case.memory ?? {}).reduce((n, m) => n + pagesOf(m), 0);
  const bytes = pages * runner.pageSize;
  if (bytes > item.budgetBytes) {
    throw new CaseError('error', `the case maps ${bytes} bytes, over the per-case lock budget of ${item.budgetBytes}`);
  }
}

/** Reserve guard + pages + guard as PROT_NONE, then give each page its protection or punch it out as a hole. */
function place(runner: Runner, name: string, layout: PageKind[], touch: boolean): Placed {
  const total = layout.length + 2 * GUARD_PAGES;
  const reservation = runner.memory.reserve(total);
  if (reservation === null) throw new CaseError('error', `could not map ${total} pages for "${name}"`);
  const ps = BigInt(runner.pageSize);
  const base = reservation + BigInt(GUARD_PAGES) * ps;
  const p: Placed = { name, reservation, base, layout };
  layout.forEach((kind, i) => {
    const at = base + BigInt(i) * ps;
    const ok =
      kind === 'hole'
        ? runner.memory.unmap(at, 1)
        : touch && kind !== 'none'
          ? runner.memory.protect(at, 1, 'rw') && (runner.memory.touch(at, 1), runner.memory.protect(at, 1, kind))
          : runner.memory.protect(at, 1, kind);
    if (!ok) throw new CaseError('error', `could not prepare page ${i} of "${name}" as ${kind}`);
  });
  return p;
}

function checkProcessBudget(runner: Runner, item: PlanItem): void {
  const lockable = runner.probes.lockableBytes();
  if (lockable === null) throw new CaseError('skipped', 'cannot measure what a whole-process lock would pin here, so it is not attempted');
  if (lockable > item.processBudgetBytes) {
    throw new CaseError('skipped', `a whole-process lock would pin ${mib(lockable)} of this worker, over the budget of ${mib(item.processBudgetBytes)}`);
  }
}

const pinned = (runner: Runner): number | null => runner.probes.pinnedBytes?.() ?? runner.probes.lockedBytes();

/** After every step: what is really locked (pinned: smaps_rollup Locked on Linux, else VmLck) may grow by at most the case's budget. Over it, everything is
 * unlocked at once and the case is an error; the worker is retired. */
function checkLocked(runner: Runner, rec: { text: string }, atStart: number | null, budget: number): void {
  // A page is pinned only where it is locked, so what the kernel charges (VmLck, a short status file) bounds what is
  // pinned: within the budget, the costlier reading (smaps_rollup walks every mapping of the worker) is not needed.
  const charged = runner.probes.lockedBytes();
  if (charged !== null && atStart !== null && charged - atStart <= budget) return;
  const now = pinned(runner);
  if (now === null || atStart === null || now - atStart <= budget) return;
  if (runner.has('munlockall')) runner.call('munlockall', []);
  throw new CaseError('error', `after ${rec.text} the worker had ${mib(now - atStart)} more locked, over the budget of ${mib(budget)}; everything was unlocked`, true);
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

function observeEffects(runner: Runner, placed: Placed[], observe: PlanItem['observe']): Observation['effects'] {
  const mappings: Record<string, MappingEffects> = {};
  for (const p of placed) {
    mappings[p.name] = {
      pages: p.layout.length,
      locked: runner.probes.pageLocks(p.base, p.layout.length)?.join('') ?? null,
      resident: runner.probes.pageResidency(p.base, p.layout.length)?.join('') ?? null,
    };
  }
  const effects: Observation['effects'] = { mappings, lockedBytes: runner.probes.lockedBytes() };
  if (observe.child) {
    const child = runner.probes.inspectForkedChild(placed.map((p) => ({ addr: p.base, pages: p.layout.length })));
    effects.child = child && {
      mappings: Object.fromEntries(placed.map((p, i) => [p.name, (child.locks[i] ?? []).join('')])),
      lockedBytes: child.lockedBytes,
    };
  }
  // filled in from the exec'd program's report once this process has exec'd (null until then, and if it never does)
  if (observe.exec) effects.exec = { lockedBytes: null };
  return effects;
}

/** A hole is free address space: another thread could have mapped something there; then the case proved nothing. */
function assertHolesIntact(runner: Runner, placed: Placed[]): void {
  const ps = BigInt(runner.pageSize);
  for (const p of placed) {
    p.layout.forEach((kind, i) => {
      if (kind === 'hole' && runner.memory.isMapped(p.base + BigInt(i) * ps)) {
        throw new CaseError('error', `hole at page ${i} of "${p.name}" was filled by another mapping during the case`);
      }
    });
  }
}

/** Why a setup step did not end as declared, or undefined when it did. A plain call text must succeed (not -1);
 * `{ call, fails }` must fail with one of the errnos (or any); `{ call, returns }` must return that value. */
export function stepMismatch(step: Step, rec: CallRecord): string | undefined {
  const got = rec.ret === -1 ? `failed with ${rec.errno ?? 'no errno'}` : `returned ${rec.ret}`;
  if (typeof step === 'string') return rec.ret === -1 ? `setup call ${rec.text} ${got}` : undefined;
  if (matches(step, rec)) return undefined;
  const declared =
    step.returns !== undefined ? `return ${step.returns}` : step.fails === 'any' || step.fails === undefined ? 'fail' : `fail with ${listOf(step.fails).join(' or ')}`;
  return `setup step ${rec.text} was declared to ${declared} but ${got}`;
}

