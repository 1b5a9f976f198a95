// Confinement: every address range a spec's call can touch lies inside the case's own fenced region (its mappings,
// their holes and guard pages), or is one of a few named forms outside it whose effect the kernel rejects without
// touching any memory. Spec files arrive in pull requests and semconf runs as root: a call that could lock, unmap or
// reprotect the worker's own memory (Node's code, its heap, a thread's stack) is refused before it is made.
//
// The named forms, each rejected by the kernel whatever is mapped:
//   - the NULL page: below the lowest address a process may map (Linux vm.mmap_min_addr; the first page elsewhere);
//   - the kernel's part: at or above the end of user space (TASK_SIZE), up to the top of the address space;
//   - a wrapping range (addr + len past the top): the kernel rejects it, or its rounding leaves at most the page at
//     addr (Linux mlock: PAGE_ALIGN(len + offset) wraps to 0 or one page), so only that page need be the case's.
// Pure: the worker (execute.ts) checks the real addresses before each call; lint (spec/lint.ts) checks what it can
// decide statically, with mappings placed far apart in a made-up address space.
import type { Arg } from '../spec/call.js';
import type { Mapping } from '../spec/schema.js';
import { CALLABLES, type CallableName, isCallable, type ParamKind } from '../spec/functions.js';

/** What a target's address space looks like to the confinement check (Runner.addressSpace). */
export interface AddressSpace {
  /** the width in which the kernel computes addr + len: 64 on a 64-bit kernel, also for a 32-bit process there
   * (ia32 on x86_64: its ranges past 4 GiB do not wrap); 32 on a 32-bit kernel */
  wordBits: number;
  /** the width of the process's own size_t and addresses, where it is narrower than the kernel's (ia32 on x86_64:
   * 32); absent when they are the same */
  processWordBits?: number;
  /** the first address a process may map; [0, nullEnd) is the NULL page form */
  nullEnd: bigint;
  /** the end of user space, or null where it is not known (then there is no kernel-part form) */
  userEnd: bigint | null;
}

/** A case's fenced reservation: guard page, its pages (holes included), guard page. */
export interface Region {
  name: string;
  start: bigint;
  end: bigint;
}

/** The pages an (addr, len) call can touch: from the page holding addr to the page holding its last byte, at least
 * that first page (Linux locks the page of an unaligned zero-length range). */
export function touchedPages(addr: bigint, len: bigint, pageSize: bigint, wordBits: number): { start: bigint; end: bigint; wraps: boolean } {
  const top = 1n << BigInt(wordBits);
  const start = addr - (addr % pageSize);
  if (addr + len > top) return { start, end: start + pageSize, wraps: true };
  const last = addr + len;
  const end = (last + pageSize - 1n) / pageSize * pageSize;
  return { start, end: end > start ? end : start + pageSize, wraps: false };
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** The (addr, length) parameter pairs of a callable, as argument indices: each `addr` with every `size` or `resize`
 * after it up to the next `addr` (mremap: the old range [0, 1] and the range it may grow to in place [0, 2]). */
export function rangeParams(fn: CallableName): [number, number][] {
  const kinds: readonly ParamKind[] = CALLABLES[fn];
  const pairs: [number, number][] = [];
  kinds.forEach((k, i) => {
    if (k !== 'addr') return;
    for (let j = i + 1; j < kinds.length && kinds[j] !== 'addr'; j++) if (kinds[j] === 'size' || kinds[j] === 'resize') pairs.push([i, j]);
  });
  return pairs;
}

/** Where each of the case's mappings starts now (after an mremap that moved it: where the kernel put it). */
export interface MappingStart {
  name: string;
  base: bigint;
}

/** Why an mremap may not be made, beyond its ranges: the worker follows a moved mapping only from its first page
 * (the mapping's own name, so the name can stand for where it went), and the flags may be 0 or MREMAP_MAYMOVE
 * alone: MREMAP_FIXED takes a fifth argument, an address the call would unmap whatever is there (and the binding
 * has no fifth argument, so it would be a stray register), MREMAP_DONTUNMAP leaves a second copy the case does not
 * track. An unknown bit is refused too: it may be a flag of a later kernel with the same powers. Null: allowed. */
export function remapProblem(fn: string, args: readonly bigint[], mappings: readonly MappingStart[], mayMove: bigint | undefined): string | null {
  if (fn !== 'mremap') return null;
  const [addr = 0n, , , flags = 0n] = args;
  if (flags !== 0n && flags !== mayMove) {
    return `mremap's flags ${hex(flags)} are neither 0 nor MREMAP_MAYMOVE${mayMove === undefined ? '' : ` (${hex(mayMove)})`}; MREMAP_FIXED and MREMAP_DONTUNMAP would put memory where the case does not own it`;
  }
  if (!mappings.some((m) => m.base === addr)) {
    return `mremap's address ${hex(addr)} is not the first page of one of the case's mappings (${mappings.map((m) => m.name).join(', ') || 'none'}); the worker follows a remapped mapping only from its start`;
  }
  return null;
}

/** Where a moved mapping landed overlaps a mapping the process had before the call that is still there, unchanged,
 * after it (other than the mapping's own old range): the kernel chose a free range, so this does not happen, but if
 * a runtime reported a wrong address the cleanup would unmap someone else's memory. A mapping of `before` that is
 * gone from `after` was unmapped meanwhile by another thread (Node's GC runs beside the worker), and the kernel may
 * then have given its room to the moved mapping: not a problem. Null: the landing holds nothing of anyone else's. */
export function landingProblem(
  landing: { start: bigint; end: bigint },
  old: { start: bigint; end: bigint },
  before: readonly { start: bigint; end: bigint }[],
  after: readonly { start: bigint; end: bigint }[],
): string | null {
  const stillThere = (m: { start: bigint; end: bigint }): boolean => after.some((n) => n.start === m.start && n.end === m.end);
  for (const m of before.filter(stillThere)) {
    // the part of m that is not the old range and lies in the landing range
    for (const [s, e] of [[m.start, m.end < old.start ? m.end : old.start], [m.start > old.end ? m.start : old.end, m.end]] as const) {
      const from = s > landing.start ? s : landing.start;
      const to = e < landing.end ? e : landing.end;
      if (from < to) return `the kernel moved the mapping to ${hex(landing.start)}-${hex(landing.end)}, which overlaps ${hex(m.start)}-${hex(m.end)}, mapped before the call and after it and not the case's`;
    }
  }
  return null;
}

/** Why a call may not be made: a range that starts in the case's memory and leaves it, or one that is nowhere of
 * the case's and in no named form. */
export type Confinement =
  | { kind: 'past-region'; fn: string; start: bigint; end: bigint; region: Region; pagesPast: bigint }
  | { kind: 'outside'; fn: string; start: bigint; end: bigint; wraps: boolean; space: AddressSpace }
  /** the range wraps at the process's width with its first page the case's (confined on a kernel of that width),
   * but this kernel computes it wider, where it runs on over the process's memory: the case cannot be confined on
   * this target. Not the spec's fault: the case is unsupported here, not an error. */
  | { kind: 'wraps-only-in-process'; fn: string; start: bigint; region: Region; processWordBits: number; kernelWordBits: number };

/** The first range of the call that is not confined, or null when every range it can touch is. */
export function confinementProblem(
  fn: string,
  args: readonly bigint[],
  regions: readonly Region[],
  space: AddressSpace,
  pageSize: bigint,
): Confinement | null {
  if (!isCallable(fn)) throw new Error(`${fn} is not an allowlisted function`);
  for (const [a, l] of rangeParams(fn)) {
    const addr = args[a] ?? 0n;
    const len = args[l] ?? 0n;
    const t = touchedPages(addr, len, pageSize, space.wordBits);
    if (regions.some((r) => t.start >= r.start && t.end <= r.end)) continue;
    if (t.end <= space.nullEnd) continue;
    if (space.userEnd !== null && t.start >= space.userEnd) continue;
    const region = regions.find((r) => t.start >= r.start && t.start < r.end);
    const narrow = space.processWordBits;
    if (narrow !== undefined && narrow < space.wordBits) {
      const p = touchedPages(addr, len, pageSize, narrow);
      const mine = regions.find((r) => p.start >= r.start && p.end <= r.end);
      if (p.wraps && mine !== undefined) return { kind: 'wraps-only-in-process', fn, start: p.start, region: mine, processWordBits: narrow, kernelWordBits: space.wordBits };
    }
    if (region !== undefined) return { kind: 'past-region', fn, start: t.start, end: t.end, region, pagesPast: (t.end - region.end) / pageSize };
    return { kind: 'outside', fn, start: t.start, end: t.end, wraps: t.wraps, space };
  }
  return null;
}

/** One sentence. `real` addresses are shown for the worker's check; lint's made-up layout is described instead. */
export function describeConfinement(p: Confinement, real: boolean): string {
  if (p.kind === 'wraps-only-in-process') {
    return `${p.fn}'s range wraps at this process's ${p.processWordBits}-bit width from "${p.region.name}"${real ? ` (${hex(p.start)})` : ''}, but the ${p.kernelWordBits}-bit kernel does not wrap it: it would run on over the process's own memory, so the case cannot be confined on this target`;
  }
  if (p.kind === 'past-region') {
    const at = real ? ` (${hex(p.start)}-${hex(p.end)}; its fenced region ends at ${hex(p.region.end)})` : '';
    return `${p.fn}'s range starts in "${p.region.name}" and reaches ${p.pagesPast} page(s) past its fenced region (its pages and one guard page on each side)${at}; a spec may touch only its own mappings`;
  }
  const named = `the NULL page (below ${hex(p.space.nullEnd)})${p.space.userEnd !== null ? ` or the kernel's part (from ${hex(p.space.userEnd)})` : ''}`;
  return `${p.fn}'s range ${hex(p.start)}-${hex(p.end)}${p.wraps ? ' (it wraps: its first page)' : ''} is not in the case's mappings, ${named}; a spec may touch only its own mappings`;
}

/** What confinement knows of a case's mapping for a name parameter: whether a file backs it, whether it is placed
 * by an mmap step. */
export interface NamedMapping {
  file: boolean;
  deferred: boolean;
}

/** What confinement needs of each declared mapping of a case for its name parameters. */
export function namedMappingsOf(memory: Readonly<Record<string, Mapping>>): Record<string, NamedMapping> {
  return Object.fromEntries(
    Object.entries(memory).map(([n, m]) => [n, { file: m.backing === 'file-private' || m.backing === 'file-shared', deferred: m.deferred === true }]),
  );
}

const NAME_KIND_TEXT = { mapping: 'a mapping of this case declared `deferred: true`', file: 'a file-backed mapping of this case (backing: file-private or file-shared)' } as const;

/** Why an argument of a name parameter (`mapping`, `file`) may not be passed, or null: it must be one bare name of
 * a mapping of the right kind, so that no number (an address, a descriptor) is ever reachable through it. */
export function nameArgumentProblem(fn: string, args: readonly Arg[], mappings: Readonly<Record<string, NamedMapping>>): string | null {
  if (!isCallable(fn)) throw new Error(`${fn} is not an allowlisted function`);
  const kinds: readonly ParamKind[] = CALLABLES[fn];
  for (const [i, kind] of kinds.entries()) {
    if (kind !== 'mapping' && kind !== 'file') continue;
    const arg = args[i];
    const term = arg?.terms.length === 1 ? arg.terms[0] : undefined;
    const name = term?.kind === 'name' ? term.name : undefined;
    const m = name !== undefined && Object.hasOwn(mappings, name) ? mappings[name] : undefined;
    const fits = m !== undefined && (kind === 'mapping' ? m.deferred : m.file);
    if (fits) continue;
    const candidates = Object.entries(mappings).filter(([, v]) => (kind === 'mapping' ? v.deferred : v.file)).map(([n]) => n);
    return `${fn}'s argument ${i + 1} must be the name of ${NAME_KIND_TEXT[kind]} (${candidates.join(', ') || 'this case has none'}), got ${JSON.stringify(arg?.text ?? '')}`;
  }
  return null;
}

/** Why a length that is not a range (ftruncate's: a size that follows no address) may not be passed, or null: it is
 * held to the case's lock budget, so that a file of the case never grows past what the case may map. */
export function lengthProblem(fn: string, args: readonly bigint[], budgetBytes: number): string | null {
  if (!isCallable(fn)) throw new Error(`${fn} is not an allowlisted function`);
  const kinds: readonly ParamKind[] = CALLABLES[fn];
  for (const [i, kind] of kinds.entries()) {
    if (kind !== 'size' || kinds[i - 1] === 'addr') continue;
    const v = args[i] ?? 0n;
    if (v > BigInt(budgetBytes)) return `${fn}'s argument ${i + 1} is ${v} bytes, over the case budget of ${budgetBytes} bytes`;
  }
  return null;
}
