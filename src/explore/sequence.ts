// Generated call sequences, in the spec language itself (mremap is not generated yet: its address must be a
// mapping's first page and its flags at most MREMAP_MAYMOVE, which this generator does not model). A Sequence is a small plain record (so fast-check can
// generate and shrink it); caseOf turns it into a Case that the loader, lint, the planner and every target take as
// they take a hand-written one. Everything a generated case can do stays inside the suite's safety bounds by
// construction: one or two fenced mappings of at most MAX_PAGES pages, arguments relative to them (or the named
// forms confinement allows: NULL, the top of the address space, wrapping lengths), allowlisted functions only; lint
// checks it again before anything runs (the property test in test/explore.test.ts holds it to that).
import fc from 'fast-check';
import type { Case, Context, PageKind, Step } from '../spec/schema.js';

export const MAX_PAGES = 6;
export const MAX_STEPS = 3;


/** An address: `buf + page·p + offset`, or one of the named forms outside every mapping. */
export type Addr = { at: 'buf'; page: number; offset: 0 | 1 | 'page-1' } | { at: 'NULL' } | { at: 'top' };
/** A length: small edges, whole pages, or the wrapping ones. */
export type Len = 0 | 1 | 'page-1' | 'page' | 'page+1' | { pages: number } | 'SIZE_MAX' | 'SIZE_MAX-page+1';
export type Prot = 'PROT_NONE' | 'PROT_READ' | 'PROT_READ | PROT_WRITE';
export type McFlags = 'MCL_CURRENT' | 'MCL_FUTURE' | 'MCL_CURRENT | MCL_FUTURE' | 'MCL_CURRENT | MCL_ONFAULT' | '0' | '8';

/** The third argument of the calls that interact with locks: an advice, msync flags, mlock2 flags. */
export type Advice = 'MADV_DONTNEED' | 'MADV_WILLNEED' | 'MADV_FREE';
export type SyncFlags = 'MS_ASYNC' | 'MS_SYNC' | 'MS_INVALIDATE';
export type Mlock2Flags = '0' | 'MLOCK_ONFAULT';

export type Call =
  | { fn: 'mlock' | 'munlock' | 'munmap'; addr: Addr; len: Len }
  | { fn: 'mprotect'; addr: Addr; len: Len; prot: Prot }
  | { fn: 'madvise'; addr: Addr; len: Len; advice: Advice }
  | { fn: 'msync'; addr: Addr; len: Len; flags: SyncFlags }
  | { fn: 'mlock2'; addr: Addr; len: Len; flags: Mlock2Flags }
  | { fn: 'mlockall'; flags: McFlags }
  | { fn: 'munlockall' };

export type Limit = 0 | '1p' | '4p' | 'default';

export type Backing = 'anon-private' | 'anon-shared' | 'file-private' | 'file-shared';

export interface Sequence {
  layout: PageKind[];
  /** what backs the mapping: private or shared, anonymous or a temporary file of the case */
  backing: Backing;
  touch: boolean;
  /** a one-page mapping made after the call under test: what MCL_FUTURE does to later mappings */
  late: boolean;
  /** null: privileged; else unprivileged with this RLIMIT_MEMLOCK */
  limit: Limit | null;
  steps: Call[];
  call: Call;
}

const pageKind = fc.constantFrom<PageKind>('rw', 'r', 'none', 'hole');

function addrArb(pages: number): fc.Arbitrary<Addr> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ at: fc.constant('buf' as const), page: fc.integer({ min: 0, max: pages }), offset: fc.constantFrom<0 | 1 | 'page-1'>(0, 1, 'page-1') }) },
    { weight: 1, arbitrary: fc.constantFrom<Addr>({ at: 'NULL' }, { at: 'top' }) },
  );
}

function lenArb(pages: number): fc.Arbitrary<Len> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<Len>(0, 1, 'page-1', 'page', 'page+1') },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: pages + 1 }).map((n): Len => ({ pages: n })) },
    { weight: 1, arbitrary: fc.constantFrom<Len>('SIZE_MAX', 'SIZE_MAX-page+1') },
  );
}

/** Bytes of an address's offset into `buf` and of a length, for a page size P (the forms are whole pages give or
 * take one byte, so the comparison below holds for every page size). */
const P = 4096;
const offsetBytes = (a: Addr): number => (a.at !== 'buf' ? 0 : a.page * P + (a.offset === 1 ? 1 : a.offset === 'page-1' ? P - 1 : 0));
const lenBytes = (l: Len): number | null =>
  typeof l === 'object' ? l.pages * P : l === 'page-1' ? P - 1 : l === 'page' ? P : l === 'page+1' ? P + 1 : l === 'SIZE_MAX' || l === 'SIZE_MAX-page+1' ? null : l;

/** A range from `buf` ends at most at the end of its trailing guard page (the case's fenced region): a longer length
 * is cut to what fits. Wrapping lengths are left alone: confinement allows them when their first page is the case's. */
export function confined(pages: number, a: Addr, l: Len): Len {
  const len = lenBytes(l);
  if (a.at !== 'buf' || len === null) return l;
  const room = (pages + 1) * P - offsetBytes(a);
  if (len <= room) return l;
  return room >= P ? { pages: Math.floor(room / P) } : room >= P - 1 ? 'page-1' : 1;
}

const confine = (pages: number) => (c: Call): Call => ('addr' in c ? { ...c, len: confined(pages, c.addr, c.len) } : c);

/** How often each function is drawn: the lock calls more than the memory calls that only change what they see. */
export type Weights = Partial<Record<Call['fn'], number>>;
/** Setup steps: the allowlist's mlock family and the memory calls that change what the locks see. */
export const STEP_WEIGHTS: Weights = { mlock: 3, mlockall: 2, munlock: 1, mprotect: 1, munmap: 1, munlockall: 1, madvise: 1, msync: 1, mlock2: 1 };
/** The call under test: the function of a spec file, so one of the mlock family. */
export const CALL_WEIGHTS: Weights = { mlock: 3, munlock: 2, mlockall: 2, munlockall: 1, madvise: 1, msync: 1, mlock2: 1 };

function callArb(pages: number, weights: Weights): fc.Arbitrary<Call> {
  const each: Record<Call['fn'], fc.Arbitrary<Call>> = {
    mlock: fc.record({ fn: fc.constant('mlock' as const), addr: addrArb(pages), len: lenArb(pages) }),
    munlock: fc.record({ fn: fc.constant('munlock' as const), addr: addrArb(pages), len: lenArb(pages) }),
    munmap: fc.record({ fn: fc.constant('munmap' as const), addr: addrArb(pages), len: lenArb(pages) }),
    mprotect: fc.record({
      fn: fc.constant('mprotect' as const),
      addr: addrArb(pages),
      len: lenArb(pages),
      prot: fc.constantFrom<Prot>('PROT_READ | PROT_WRITE', 'PROT_READ', 'PROT_NONE'),
    }),
    mlockall: fc.record({
      fn: fc.constant('mlockall' as const),
      flags: fc.constantFrom<McFlags>('MCL_CURRENT', 'MCL_CURRENT | MCL_FUTURE', 'MCL_FUTURE', 'MCL_CURRENT', 'MCL_CURRENT | MCL_FUTURE', 'MCL_CURRENT | MCL_ONFAULT', '0', '8'),
    }),
    munlockall: fc.constant<Call>({ fn: 'munlockall' }),
    madvise: fc.record({ fn: fc.constant('madvise' as const), addr: addrArb(pages), len: lenArb(pages), advice: fc.constantFrom<Advice>('MADV_DONTNEED', 'MADV_WILLNEED', 'MADV_FREE') }),
    msync: fc.record({ fn: fc.constant('msync' as const), addr: addrArb(pages), len: lenArb(pages), flags: fc.constantFrom<SyncFlags>('MS_ASYNC', 'MS_SYNC', 'MS_INVALIDATE') }),
    mlock2: fc.record({ fn: fc.constant('mlock2' as const), addr: addrArb(pages), len: lenArb(pages), flags: fc.constantFrom<Mlock2Flags>('0', 'MLOCK_ONFAULT') }),
  };
  const drawn = (Object.entries(weights) as [Call['fn'], number][]).map(([fn, weight]) => ({ weight, arbitrary: each[fn] }));
  return fc.oneof(...drawn).map(confine(pages));
}

/** An address of a sequence whose mapping shrank: a page index past the mapping's end becomes its end (the trailing
 * guard page), and the length is cut to what stays in the fenced region. */
function fitted(pages: number, c: Call): Call {
  if (!('addr' in c)) return c;
  const addr: Addr = c.addr.at === 'buf' && c.addr.page > pages ? { ...c.addr, page: pages } : c.addr;
  return { ...c, addr, len: confined(pages, addr, c.len) };
}

/** Every generated sequence: shrinking goes toward fewer steps, fewer pages, rw pages, small arguments, privileged.
 * The mapping and the calls are drawn independently (no `chain`), and the calls are fitted to the mapping after, so
 * that fast-check can shrink the mapping's length without giving up the calls. */
export function sequenceArb(): fc.Arbitrary<Sequence> {
  return fc
    .record({
      layout: fc.array(pageKind, { minLength: 1, maxLength: MAX_PAGES }),
      backing: fc.constantFrom<Backing>('anon-private', 'anon-shared', 'file-private', 'file-shared'),
      touch: fc.boolean(),
      late: fc.boolean(),
      limit: fc.option(fc.constantFrom<Limit>(0, '1p', '4p', 'default'), { nil: null, freq: 2 }),
      steps: fc.array(callArb(MAX_PAGES, STEP_WEIGHTS), { maxLength: MAX_STEPS }),
      call: callArb(MAX_PAGES, CALL_WEIGHTS),
    })
    .map((s) => {
      const layout: PageKind[] = s.layout.every((k) => k === 'hole') ? ['rw', ...s.layout.slice(1)] : s.layout;
      return { ...s, layout, steps: s.steps.map((c) => fitted(layout.length, c)), call: fitted(layout.length, s.call) };
    });
}

const addrText = (a: Addr): string =>
  a.at === 'NULL' ? 'NULL' : a.at === 'top' ? 'UINTPTR_MAX - 1p + 1' : [`buf`, a.page > 0 ? `${a.page}p` : '', a.offset === 1 ? '1' : a.offset === 'page-1' ? '1p - 1' : ''].filter((s) => s !== '').join(' + ');

const lenText = (l: Len): string =>
  typeof l === 'object' ? `${l.pages}p` : l === 'page-1' ? '1p - 1' : l === 'page' ? '1p' : l === 'page+1' ? '1p + 1' : l === 'SIZE_MAX-page+1' ? 'SIZE_MAX - 1p + 1' : String(l);

/** Below the lowest mappable address only the first page is the NULL-page form (lint takes one page): a longer range
 * from NULL, the "wrapping" lengths included (from 0 they do not wrap, they cover everything), would reach addresses
 * a process may map, so it is cut to one page. */
const confinedLen = (a: Addr, l: Len): Len => (a.at === 'NULL' && !(l === 0 || l === 1 || l === 'page-1' || l === 'page') ? 'page' : l);

export function callText(c: Call): string {
  switch (c.fn) {
    case 'mlockall':
      return `mlockall(${c.flags})`;
    case 'munlockall':
      return 'munlockall()';
    case 'mprotect':
      return `mprotect(${addrText(c.addr)}, ${lenText(confinedLen(c.addr, c.len))}, ${c.prot})`;
    case 'madvise':
      return `madvise(${addrText(c.addr)}, ${lenText(confinedLen(c.addr, c.len))}, ${c.advice})`;
    case 'msync':
    case 'mlock2':
      return `${c.fn}(${addrText(c.addr)}, ${lenText(confinedLen(c.addr, c.len))}, ${c.flags})`;
    default:
      return `${c.fn}(${addrText(c.addr)}, ${lenText(confinedLen(c.addr, c.len))})`;
  }
}

export function contextOf(limit: Limit | null): Context | undefined {
  return limit === null ? undefined : { user: 'unprivileged', memlock: limit };
}

/** The sequence as a case: every setup step's outcome recorded, not checked (`outcome: any`), and no profile's
 * expectation written yet (`unspecified`): exploration finds differences, documents decide what conforms. */
export function caseOf(seq: Sequence, id: string, profiles: readonly string[], note = 'generated by semconf explore; the expectation is still to be written from the documents'): Case {
  const as = contextOf(seq.limit);
  const before: Step[] = seq.steps.map((s) => ({ call: callText(s), outcome: 'any' as const }));
  return {
    id,
    title: `explored: ${[...seq.steps.map(callText), callText(seq.call)].join(' then ')}`,
    memory: {
      buf: { layout: seq.layout, ...(seq.backing !== 'anon-private' ? { backing: seq.backing } : {}), ...(seq.touch ? { touch: true } : {}) },
      ...(seq.late ? { late: { pages: 1, after_call: true } } : {}),
    },
    ...(before.length > 0 ? { before } : {}),
    call: callText(seq.call),
    ...(as !== undefined ? { as } : {}),
    expect: Object.fromEntries(profiles.map((p) => [p, { unspecified: note }])),
  };
}
