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
import { confinementProblem, describeConfinement, landingProblem, type Region, remapProblem } from './confine.js';
import type { CaseOutcome } from './protocol.js';

/** One guard page on each side keeps the kernel from merging a test mapping with its neighbours. */
const GUARD_PAGES = 1;

/** A mapping of the case, where it is now: mremap may shrink or grow it in place (its layout changes) or move it
 * out of its reservation (then `base` is where the kernel put it and `outside` holds that range). */
interface Placed {
  name: string;
  reservation: bigint;
  /** guard + pages + guard as reserved: what the cleanup unmaps, whatever happened to the mapping since */
  reservedPages: number;
  base: bigint;
  layout: PageKind[];
  /** ranges outside the reservation that hold this mapping's memory now (where mremap moved it): the cleanup
   * unmaps them and confinement counts them as the case's */
  outside: { start: bigint; end: bigint }[];
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
  const ps = BigInt(runner.pageSize);
  for (const p of placed) {
    runner.memory.unmap(p.reservation, p.reservedPages);
    for (const r of p.outside) runner.memory.unmap(r.start, Number((r.end - r.start) / ps));
  }
  const stale = placed.filter((p) => pagesOfReservation(runner, p).some((a) => runner.memory.isMapped(a)));
  const durationMs = performance.now() - started;
  if (stale.length === 0) return { ...outcome, durationMs };
  // The worker is not at its baseline: say so on this case, and let the parent replace the worker.
  const why = `mappings of the case still present after cleanup: ${stale.map((p) => p.name).join(', ')}`;
  return { ...outcome, durationMs, warnings: [...(outcome.warnings ?? []), why], retire: why };
}

function pagesOfReservation(runner: Runner, p: Placed): bigint[] {
  const ps = BigInt(runner.pageSize);
  const pagesFrom = (start: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => start + BigInt(i) * ps);
  return [pagesFrom(p.reservation, p.reservedPages), ...p.outside.map((r) => pagesFrom(r.start, Number((r.end - r.start) / ps)))].flat();
}

/** The fenced regions confinement allows: each reservation (guards and holes included), and where mremap moved a
 * mapping, the range it occupies now. Recomputed before every call: a moved or shrunk mapping's old pages may be
 * anyone's by then. */
function regionsOf(placed: readonly Placed[], ps: bigint): Region[] {
  return placed.flatMap((p) => [
    { name: p.name, start: p.reservation, end: p.reservation + BigInt(p.reservedPages) * ps },
    ...p.outside.map((r) => ({ name: p.name, ...r })),
  ]);
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
      mappings: Object.fromEntries(placed.map((p): [string, bigint] => [p.name, p.base])),
      constants: runner.constants as Record<string, bigint>,
    };
    const wholeProcess = calls.some((c) => c.fn === 'mlockall');
    // What the process had locked before the case (a shared worker at its baseline: nothing), and what the case may
    // add: its own memory's budget, or for a whole-process lock the process budget. Enforced on what is really
    // locked after every step, not on what the spec declares.
    const lockedAtStart = pinned(runner);
    const lockBudget = wholeProcess ? item.processBudgetBytes : item.budgetBytes;
    const invoke = (call: ParsedCall): CallRecord => {
      const args = call.args.map((a) => evaluate(a, env));
      const refused = confinementProblem(call.fn, args, regionsOf(placed, env.pageSize), runner.addressSpace, env.pageSize);
      if (refused?.kind === 'wraps-only-in-process') throw new CaseError('unsupported', `not run: ${call.text}: ${describeConfinement(refused, true)}`);
      if (refused !== null) throw new CaseError('error', `refused ${call.text}: ${describeConfinement(refused, true)}`, true);
      const remap = remapProblem(call.fn, args, placed, runner.constants.MREMAP_MAYMOVE);
      if (remap !== null) throw new CaseError('error', `refused ${call.text}: ${remap}`, true);
      const mapsBefore = call.fn === 'mremap' ? mappingsBeforeRemap(runner, args) : null;
      // Measured right before each whole-process lock, after the steps before it changed what is mapped.
      if (call.fn === 'mlockall') checkProcessBudget(runner, item);
      const r = runner.call(call.fn as Parameters<Runner['call']>[0], args);
      const name = (n: number | null): string | null => (n === null ? null : runner.errnoName(n));
      const rec: CallRecord = { text: call.text, ret: r.ret, errno: name(r.errno) };
      if (r.completion !== undefined) rec.completion = { ret: r.completion.ret, errno: name(r.completion.errno) };
      if (call.fn === 'munmap' && r.ret === 0) forgetUnmapped(placed, args, env.pageSize);
      if (r.address !== undefined) {
        // Never the address itself (it differs from run to run): whether the mapping moved, and the mapping's name
        // stands for where it is now in every later step and observation.
        rec.moved = r.address !== args[0];
        const p = followRemap(runner, placed, args, r.address, env.pageSize, mapsBefore);
        env.mappings[p.name] = p.base;
      }
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
  const p: Placed = { name, reservation, reservedPages: total, base, layout: [...layout], outside: [] };
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

/** The process's mappings right before an mremap that may move memory, to check where the kernel put it; an OS that
 * cannot list them cannot run a move (the case is unsupported). Null where the call cannot move anything. */
function mappingsBeforeRemap(runner: Runner, args: readonly bigint[]): { start: bigint; end: bigint }[] | null {
  if ((args[3] ?? 0n) === 0n) return null;
  const ranges = runner.memory.mappedRanges?.() ?? null;
  if (ranges === null) throw new CaseError('unsupported', 'this target cannot list its mappings, so where mremap moved a mapping could not be checked');
  return ranges;
}

/** A successful munmap by the case freed part of a moved mapping's range: from then on that part may be anyone's, so
 * confinement no longer allows it and the cleanup does not unmap it. (In the reservation, freed pages stay the
 * case's, as holes do.) */
function forgetUnmapped(placed: Placed[], args: readonly bigint[], ps: bigint): void {
  const [addr = 0n, len = 0n] = args;
  const start = addr - (addr % ps);
  const end = (addr + len + ps - 1n) / ps * ps;
  for (const p of placed) p.outside = without(p.outside, start, end);
}

/** Page count of a length as the kernel rounds it (PAGE_ALIGN). */
const pagesIn = (bytes: bigint, ps: bigint): number => Number((bytes + ps - 1n) / ps);

/** `ranges` without [start, end). */
function without(ranges: readonly { start: bigint; end: bigint }[], start: bigint, end: bigint): { start: bigint; end: bigint }[] {
  return ranges.flatMap((r) => [
    ...(r.start < start ? [{ start: r.start, end: r.end < start ? r.end : start }] : []),
    ...(r.end > end ? [{ start: r.start > end ? r.start : end, end: r.end }] : []),
  ]);
}

/** After a successful mremap(addr, old_size, new_size, flags) that returned `landed`: the mapping starting at addr
 * (remapProblem allowed no other) is where the kernel left it. In place, its layout shrinks (the freed pages become
 * holes in the reservation, or leave the tracked range outside it) or grows into the holes after it (confinement
 * kept the growth inside the reservation). Moved, it is new_size of pages at `landed`: checked to hold nothing that
 * was mapped before the call and still is (landingProblem), then tracked for every later step, the observation and
 * the cleanup. */
function followRemap(
  runner: Runner,
  placed: Placed[],
  args: readonly bigint[],
  landed: bigint,
  ps: bigint,
  before: readonly { start: bigint; end: bigint }[] | null,
): Placed {
  const [addr = 0n, oldSize = 0n, newSize = 0n] = args;
  const p = placed.find((m) => m.base === addr);
  if (p === undefined) throw new CaseError('error', `mremap succeeded on ${addr.toString(16)}, which is no mapping's start`, true);
  const oldPages = pagesIn(oldSize, ps);
  const newPages = pagesIn(newSize, ps);
  const kind = p.layout[Math.max(0, Math.min(oldPages, p.layout.length) - 1)] ?? 'rw';
  const inReservation = addr >= p.reservation && addr < p.reservation + BigInt(p.reservedPages) * ps;
  if (landed === addr) {
    if (newPages < oldPages) {
      if (inReservation) for (let i = newPages; i < Math.min(oldPages, p.layout.length); i++) p.layout[i] = 'hole';
      else {
        p.outside = without(p.outside, addr + BigInt(newPages) * ps, addr + BigInt(oldPages) * ps);
        p.layout = p.layout.slice(0, newPages);
      }
    }
    for (let i = oldPages; i < newPages; i++) p.layout[i] = kind;
    return p;
  }
  const landing = { start: landed, end: landed + BigInt(newPages) * ps };
  const after = runner.memory.mappedRanges?.() ?? null;
  const overlap =
    before === null || after === null
      ? "the process's mappings could not be listed around the call"
      : landingProblem(landing, { start: addr, end: addr + BigInt(oldPages) * ps }, before, after);
  // Not tracked, so never unmapped by the cleanup: whatever is there may not be the case's.
  if (overlap !== null) throw new CaseError('error', `mremap moved "${p.name}" where it may not be: ${overlap}`, true);
  p.outside = [...without(p.outside, addr, addr + BigInt(oldPages) * ps), landing];
  p.base = landed;
  p.layout = Array.from({ length: newPages }, () => kind);
  return p;
}
