// Runs one case inside a worker: fenced fresh mappings, setup steps, the call under test, the steps after it, its
// effects, cleanup.
// Everything the case may touch goes through the runner; nothing here reaches a symbol outside the allowlist.
import type { Runner } from '../../runners/types.js';
import type { PlanItem } from '../plan.js';
import type { CallRecord, MappingEffects, Observation, Snapshot } from '../results.js';
import { evaluate, parseCall, type ParsedCall } from '../spec/call.js';
import { CALLABLES, isCallable, isConstantName, isStepBuiltin } from '../spec/functions.js';
import { pagesOf } from '../spec/memory.js';
import type { Mapping, Step } from '../spec/schema.js';
import { stepCall } from '../spec/step.js';
import { listOf, matches } from '../verdict.js';
import { confinementProblem, describeConfinement, landingProblem, lengthProblem, nameArgumentProblem, namedMappingsOf, type Region, remapProblem } from './confine.js';
import { CaseError } from './case-error.js';
import { CaseFiles } from './case-files.js';
import { PageAccess } from './page-access.js';
import { assertHolesIntact, chainsOf, placeChain, type Placed, PlacementFailure, pagesOfReservation } from './place.js';
import type { CaseOutcome } from './protocol.js';

/** Whether argument `i` of `fn` is a `file` parameter: the runner gets that mapping's descriptor, not a value. */
const isFileParam = (fn: string, i: number): boolean => isCallable(fn) && CALLABLES[fn][i] === 'file';

/** `onCalled` hears the call under test's outcome as soon as it returns, before any effect is observed: a process
 * whose state the call broke (it can no longer allocate memory, say) may die before it reports the whole case. */
export function executeCase(runner: Runner, item: PlanItem, onCalled?: (call: CallRecord) => void): CaseOutcome {
  const started = performance.now();
  const placed: Placed[] = [];
  const files = new CaseFiles();
  const outcome = runPlaced(runner, item, placed, files, onCalled);
  const ps = BigInt(runner.pageSize);
  // munmap that returns 0 has removed every page of its range: only where one failed are the pages looked at (one
  // mincore each, which for every case would be a tenth of an ordinary case's time)
  const unmapFailed = placed.filter((p) => {
    const ranges: [bigint, number][] = [[p.reservation, p.reservationPages], ...p.outside.map((r): [bigint, number] => [r.start, Number((r.end - r.start) / ps)])];
    return ranges.map(([at, pages]) => runner.memory.unmap(at, pages)).includes(false);
  });
  // after the mappings: a file of the case is closed and removed whether the case ran or failed
  files.cleanup();
  const stale = unmapFailed.filter((p) => pagesOfReservation(runner, p).some((a) => runner.memory.isMapped(a)));
  const durationMs = performance.now() - started;
  if (stale.length === 0) return { ...outcome, durationMs };
  // The worker is not at its baseline: say so on this case, and let the parent replace the worker.
  const why = `mappings of the case still present after cleanup: ${stale.map((p) => p.name).join(', ')}`;
  return { ...outcome, durationMs, warnings: [...(outcome.warnings ?? []), why], retire: why };
}

/** The fenced regions confinement allows: each reservation (guards and holes included), and where mremap moved a
 * mapping, the range it occupies now. Recomputed before every call: a moved or shrunk mapping's old pages may be
 * anyone's by then. */
function regionsOf(placed: readonly Placed[], ps: bigint): Region[] {
  return placed.flatMap((p) => [
    { name: p.name, start: p.reservation, end: p.reservation + BigInt(p.reservationPages) * ps },
    ...p.outside.map((r) => ({ name: p.name, ...r })),
  ]);
}

/** Everything between placing the mappings and observing the effects; `placed` collects what to clean up. */
function runPlaced(
  runner: Runner,
  item: PlanItem,
  placed: Placed[],
  files: CaseFiles,
  onCalled: ((call: CallRecord) => void) | undefined,
): Omit<CaseOutcome, 'durationMs'> {
  try {
    const steps = item.case.before ?? [];
    const afterSteps = item.case.after ?? [];
    const calls = [...steps.map(stepCall), item.case.call, ...afterSteps.map(stepCall)].map((t) => parseCall(t));
    const declared = item.case.memory ?? {};
    checkSupported(runner, calls, declared);
    checkBudget(runner, item);
    const chains = chainsOf(Object.entries(declared));
    // lint refuses a cycle of `follows`; a case that bypassed it would leave those mappings unplaced and unobserved
    if (chains.flat().length !== Object.keys(declared).length) throw new CaseError('error', 'the mappings\' `follows` form a cycle: no mapping of it comes first');
    // The runner's width: "SIZE_MAX - 1p + 1" wraps at 2^32 in an i386 process, at 2^64 in an x86_64 one.
    const env = {
      wordBits: runner.wordBits,
      pageSize: BigInt(runner.pageSize),
      /** first page of each mapping placed so far (a deferred one joins when its mmap step has placed it) */
      mappings: {} as Record<string, bigint>,
      constants: runner.constants as Record<string, bigint>,
    };
    const access = new PageAccess([], env.pageSize, { read: runner.constants.PROT_READ ?? 1n, write: runner.constants.PROT_WRITE ?? 2n });
    // Mappings and their page access grow as mappings are placed (after the call, mmap steps); their fenced regions
    // are recomputed before each call (regionsOf), since mremap may move a mapping.
    const add = (ps: Placed[]): void => {
      for (const p of ps) {
        placed.push(p);
        env.mappings[p.name] = p.base;
        access.add(p);
        untrackPastEof(p, declared[p.name]?.file_pages ?? p.layout.length);
      }
    };
    /** A file mapping's pages at and past the end of its file (`filePages` pages long): touch may not write there. */
    const untrackPastEof = (p: Placed, filePages: number): void => {
      if (p.backing !== 'file-private' && p.backing !== 'file-shared') return;
      if (filePages < p.layout.length) access.untrack(p.base + BigInt(filePages) * env.pageSize, p.layout.length - filePages);
    };
    const placeAll = (afterCall: boolean): void => {
      for (const chain of chains) {
        const head = chain[0]?.[1];
        if (head !== undefined && head.deferred !== true && (head.after_call ?? false) === afterCall) add(placeChain(runner, chain, files));
      }
    };
    placeAll(false);
    const named = namedMappingsOf(declared);
    const wholeProcess = calls.some((c) => c.fn === 'mlockall');
    // What the process had locked before the case (a shared worker at its baseline: nothing), and what the case may
    // add: its own memory's budget, or for a whole-process lock the process budget. Enforced on what is really
    // locked after every step, not on what the spec declares.
    const chargedAtStart = runner.probes.lockedBytes();
    // nothing charged (a reused worker at its baseline): nothing pinned either, without reading smaps_rollup
    const lockedAtStart = chargedAtStart === 0 ? 0 : pinned(runner);
    const lockBudget = wholeProcess ? item.processBudgetBytes : item.budgetBytes;
    const name = (n: number | null): string | null => (n === null ? null : runner.errnoName(n));
    const snapshots: Snapshot[] | undefined = item.case.snapshots === true ? [] : undefined;
    const invoke = (call: ParsedCall): CallRecord => {
      const rec = invokeStep(call);
      snapshots?.push({ after: rec.text, mappings: mappingStates(runner, placed) });
      return rec;
    };
    const invokeStep = (call: ParsedCall): CallRecord => {
      if (isStepBuiltin(call.fn)) return touch(runner, call, call.args.map((a) => evaluate(a, env)), access);
      // A name parameter is a name of the case's, never a number: checked before anything is evaluated.
      const wrongName = nameArgumentProblem(call.fn, call.args, named);
      if (wrongName !== null) throw new CaseError('error', `refused ${call.text}: ${wrongName}`, true);
      if (call.fn === 'mmap') return mmapStep(call);
      let args: bigint[];
      try {
        args = call.args.map((a, i) => (isFileParam(call.fn, i) ? BigInt(fdOf(a)) : evaluate(a, env)));
      } catch (e) {
        throw new CaseError('error', `${call.text}: ${(e as Error).message}`);
      }
      const refused = confinementProblem(call.fn, args, regionsOf(placed, env.pageSize), runner.addressSpace, env.pageSize);
      if (refused?.kind === 'wraps-only-in-process') throw new CaseError('unsupported', `not run: ${call.text}: ${describeConfinement(refused, true)}`);
      if (refused !== null) throw new CaseError('error', `refused ${call.text}: ${describeConfinement(refused, true)}`, true);
      const tooLong = lengthProblem(call.fn, args, item.budgetBytes);
      if (tooLong !== null) throw new CaseError('error', `refused ${call.text}: ${tooLong}`, true);
      const remap = remapProblem(call.fn, args, placed, runner.constants.MREMAP_MAYMOVE);
      if (remap !== null) throw new CaseError('error', `refused ${call.text}: ${remap}`, true);
      const mapsBefore = call.fn === 'mremap' ? mappingsBeforeRemap(runner, args) : null;
      // Measured right before each whole-process lock, after the steps before it changed what is mapped.
      if (call.fn === 'mlockall') checkProcessBudget(runner, item);
      const r = runner.call(call.fn as Parameters<Runner['call']>[0], args);
      const rec: CallRecord = { text: call.text, ret: r.ret, errno: name(r.errno) };
      if (r.completion !== undefined) rec.completion = { ret: r.completion.ret, errno: name(r.completion.errno) };
      access.apply(call.fn, args, rec.ret === -1 ? 'failed' : 'succeeded');
      // ftruncate moved the end of the mapping's file: pages past it are out of touch's reach from now on
      if (call.fn === 'ftruncate' && rec.ret !== -1) {
        const term = call.args[0]?.terms[0];
        const p = placed.find((q) => term?.kind === 'name' && q.name === term.name);
        const len = args[1] ?? 0n;
        if (p !== undefined) untrackPastEof(p, Number((len + env.pageSize - 1n) / env.pageSize));
      }
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
    /** The descriptor of the file behind a file-backed mapping (the argument is its bare name: checked above). */
    const fdOf = (a: ParsedCall['args'][number]): number => {
      const term = a.terms[0];
      const fd = term?.kind === 'name' ? files.fd(term.name) : undefined;
      if (fd === undefined) throw new Error(`"${a.text}" has no file here`);
      return fd;
    };
    /** mmap(name): place the deferred mapping now; the kernel's refusal is the step's outcome, not a case error. */
    const mmapStep = (call: ParsedCall): CallRecord => {
      const term = call.args[0]?.terms[0];
      const target = term?.kind === 'name' ? term.name : '';
      if (Object.hasOwn(env.mappings, target)) throw new CaseError('error', `${call.text}: "${target}" is mapped already`);
      const chain = chains.find((c) => c[0]?.[0] === target) ?? [];
      let rec: CallRecord;
      try {
        add(placeChain(runner, chain, files));
        rec = { text: call.text, ret: 0, errno: null };
      } catch (e) {
        if (!(e instanceof PlacementFailure)) throw e;
        rec = { text: call.text, ret: -1, errno: name(e.errno) };
      }
      // a mapping made under MCL_FUTURE is locked as it is made: it counts like any lock
      checkLocked(runner, rec, lockedAtStart, lockBudget);
      return rec;
    };
    const runSteps = (stepsDeclared: readonly Step[], parsedSteps: readonly ParsedCall[]): CallRecord[] =>
      parsedSteps.map((step, i) => {
        const rec = invoke(step);
        const wrong = stepMismatch(stepsDeclared[i] ?? rec.text, rec);
        if (wrong !== undefined) throw new CaseError('error', wrong);
        return rec;
      });
    const before = runSteps(steps, calls.slice(0, steps.length));
    const call = invoke(calls[steps.length] as ParsedCall);
    onCalled?.(call);
    placeAll(true);
    // Mappings made after the call are locked by an MCL_FUTURE in force: they count too.
    if (placed.some((p) => item.case.memory?.[p.name]?.after_call === true)) checkLocked(runner, { text: 'placing the mappings made after the call' }, lockedAtStart, lockBudget);
    const after = runSteps(afterSteps, calls.slice(steps.length + 1));
    const effects = observeEffects(runner, placed, declared, item.observe, chargedAtStart);
    const observed: Observation = {
      before,
      call,
      ...(afterSteps.length > 0 ? { after } : {}),
      ...(snapshots !== undefined ? { snapshots } : {}),
      effects,
    };
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

/** The touch builtin: zeros written to every page the range covers, each a writable page of the case right now
 * (else refused before anything is written: the case is an error, the worker untouched). It returns 0. */
function touch(runner: Runner, call: ParsedCall, args: bigint[], access: PageAccess): CallRecord {
  const [addr = 0n, len = 0n] = args;
  const refused = access.touchProblem(addr, len, runner.wordBits);
  if (refused !== null) throw new CaseError('error', `refused ${call.text}: ${refused}`);
  const pages = access.pagesOf(addr, len);
  if (pages[0] !== undefined) runner.memory.touch(pages[0], pages.length);
  return { text: call.text, ret: 0, errno: null };
}

function checkSupported(runner: Runner, calls: ParsedCall[], declared: Record<string, Mapping>): void {
  const mappings = Object.keys(declared);
  if (!runner.memory.hasMapLocked && Object.values(declared).some((m) => m.map_locked === true)) {
    throw new CaseError('unsupported', 'MAP_LOCKED is not defined on this target');
  }
  for (const call of calls) {
    if (isStepBuiltin(call.fn)) continue;
    // mmap(name) is the worker's own placement, through the runner's memory: every target has it
    if (!isCallable(call.fn) || (call.fn !== 'mmap' && !runner.has(call.fn))) {
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

/** Lock and residency state of every declared mapping, as the probes see it now: a deferred mapping whose mmap step
 * has not placed it (or failed) has its pages unmapped. */
function mappingStates(runner: Runner, placed: readonly Placed[], declared?: Record<string, Mapping>): Record<string, MappingEffects> {
  const mappings: Record<string, MappingEffects> = {};
  const names = declared === undefined ? placed.map((p) => p.name) : Object.keys(declared);
  for (const name of names) {
    const p = placed.find((q) => q.name === name);
    const m = declared?.[name];
    if (p === undefined) {
      if (m?.deferred === true) mappings[name] = { pages: pagesOf(m), locked: '-'.repeat(pagesOf(m)), resident: '-'.repeat(pagesOf(m)) };
      continue;
    }
    mappings[p.name] = {
      pages: p.layout.length,
      locked: runner.probes.pageLocks(p.base, p.layout.length, p.backing)?.join('') ?? null,
      resident: runner.probes.pageResidency(p.base, p.layout.length)?.join('') ?? null,
    };
  }
  return mappings;
}

/** `lockedBytesAtStart`: the process's locked total when the case started. The fields come in the schema's order
 * (src/results.ts Observation), so that the results, written, take the fast path of validation. */
function observeEffects(
  runner: Runner,
  placed: Placed[],
  declared: Record<string, Mapping>,
  observe: PlanItem['observe'],
  lockedBytesAtStart: number | null,
): Observation['effects'] {
  const mappings = mappingStates(runner, placed, declared);
  const effects: Observation['effects'] = { mappings, lockedBytes: runner.probes.lockedBytes(), lockedBytesAtStart };
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

/** Why a setup step did not end as declared, or undefined when it did. A plain call text must succeed (not -1);
 * `{ call, fails }` must fail with one of the errnos (or any); `{ call, returns }` must return that value. */
export function stepMismatch(step: Step, rec: CallRecord): string | undefined {
  const got = rec.ret === -1 ? `failed with ${rec.errno ?? 'no errno'}` : `returned ${rec.ret}`;
  if (typeof step === 'string') return rec.ret === -1 ? `setup call ${rec.text} ${got}` : undefined;
  if (step.outcome === 'any') return undefined;
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
  const inReservation = addr >= p.reservation && addr < p.reservation + BigInt(p.reservationPages) * ps;
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
