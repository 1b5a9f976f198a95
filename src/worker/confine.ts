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

/** The (addr, size) parameter pairs of a callable: argument indices. */
export function rangeParams(fn: CallableName): [number, number][] {
  const kinds: readonly ParamKind[] = CALLABLES[fn];
  const pairs: [number, number][] = [];
  kinds.forEach((k, i) => {
    if (k === 'addr' && kinds[i + 1] === 'size') pairs.push([i, i + 1]);
  });
  return pairs;
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
