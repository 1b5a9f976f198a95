// What each page of a case's mappings allows at a given step, for the `touch` builtin: touch writes zeros, so a page
// that is PROT_NONE, read-only or unmapped at that moment would kill the worker with SIGSEGV (or write where the
// case has no memory). The protection is the case's own doing: its layout, then every mprotect and munmap of its
// steps that succeeded. The worker follows it with the real outcomes; lint follows it with the outcomes the steps
// declare (a plain step succeeds, `fails:` changes nothing) and takes the call under test's effect as unknown.
// Pure and dependency-free: worker processes import it.
import type { PageKind } from '../spec/schema.js';

/** A page's access: writable (rw), readable only, none, unmapped (a hole or munmapped), unknown to lint (the call
 * under test's effect), or untracked: a function this module does not follow reached it. */
export type Access = 'writable' | 'readable' | 'none' | 'unmapped' | 'unknown' | 'untracked';

/** Functions known to leave every page's protection and mapping as they are. Any other function with a range
 * (a future mremap, mmap or madvise step) makes the pages it reaches untracked, so touch refuses them until this
 * module learns what it does: a default that can only refuse, never write to a page that moved or went away. */
const KEEPS_ACCESS: ReadonlySet<string> = new Set(['mlock', 'munlock', 'mlockall', 'munlockall', 'aio_mlock', 'lio_listio']);

/** One of the case's mappings: its first page's address and its page-by-page layout. */
export interface MappingPages {
  name: string;
  base: bigint;
  layout: readonly PageKind[];
}

/** How a step ended, as far as the tracker knows. */
export type StepEnd = 'succeeded' | 'failed' | 'unknown';

const ACCESS_OF: Record<PageKind, Access> = { rw: 'writable', r: 'readable', none: 'none', hole: 'unmapped' };

const DESCRIBED: Record<Access, string> = {
  writable: 'writable',
  readable: 'read-only',
  none: 'PROT_NONE',
  unmapped: 'unmapped',
  unknown: 'of unknown protection',
  untracked: 'reached by a call whose effect on protections touch does not follow',
};

export class PageAccess {
  /** page address → mapping name, page index and its current access */
  private readonly pages = new Map<bigint, { name: string; index: number; access: Access }>();

  constructor(
    mappings: readonly MappingPages[],
    private readonly pageSize: bigint,
    /** the target's PROT_READ and PROT_WRITE bits, to read an mprotect's protection argument */
    private readonly prot: { read: bigint; write: bigint },
  ) {
    for (const m of mappings) this.add(m);
  }

  /** A mapping placed later (after_call). */
  add(m: MappingPages): void {
    m.layout.forEach((kind, index) => this.pages.set(m.base + BigInt(index) * this.pageSize, { name: m.name, index, access: ACCESS_OF[kind] }));
  }

  /** Pages from `addr` on (`pages` of them) that no write may reach, whatever their protection: pages of a file
   * mapping past the end of its file, where a write is SIGBUS, not a fault that maps a page. */
  untrack(addr: bigint, pages: number): void {
    for (let i = 0; i < pages; i++) {
      const page = this.pages.get(addr + BigInt(i) * this.pageSize);
      if (page !== undefined) page.access = 'untracked';
    }
  }

  /** Follow one step: mprotect(addr, len, prot) and munmap(addr, len) change the access of the pages they cover; a
   * function not known to keep access makes the pages of its first two arguments' range untracked. */
  apply(fn: string, args: readonly bigint[], end: StepEnd): void {
    if (end === 'failed' || KEEPS_ACCESS.has(fn)) return;
    const access: Access =
      fn === 'mprotect' || fn === 'munmap'
        ? end === 'unknown' ? 'unknown' : fn === 'munmap' ? 'unmapped' : accessOfProt(args[2] ?? 0n, this.prot)
        : 'untracked';
    // Every page of the case in the range, wherever the range starts (a guard page, say): never a walk that could stop
    // early and leave a page that is no longer writable marked as one.
    const addr = args[0] ?? 0n;
    const first = addr - (addr % this.pageSize);
    const stop = addr + (args[1] ?? 0n);
    for (const [at, page] of this.pages) if (at >= first && at < stop) page.access = access;
  }

  /** Why `touch(addr, len)` may not write, or null when every page it covers is a writable page of the case (pages
   * lint cannot know, `unknown`, are left to the worker). A zero length touches nothing. */
  touchProblem(addr: bigint, len: bigint, wordBits: number): string | null {
    if (addr + len > 1n << BigInt(wordBits)) return `touch's range starts at ${hex(addr)} and wraps past the top of the address space`;
    for (const at of this.pagesOf(addr, len)) {
      const page = this.pages.get(at);
      if (page === undefined) return `touch's range reaches ${hex(at)}, which is not a page of the case's mappings; touch writes only to the case's own pages`;
      if (page.access !== 'writable' && page.access !== 'unknown') {
        return `touch's range covers page ${page.index} of "${page.name}", which is ${DESCRIBED[page.access]} at this step; touch writes zeros, so only writable pages of the case may be touched`;
      }
    }
    return null;
  }

  /** The page addresses an (addr, len) range covers: from the page holding addr to the one holding its last byte. */
  pagesOf(addr: bigint, len: bigint): bigint[] {
    if (len === 0n) return [];
    const first = addr - (addr % this.pageSize);
    const out: bigint[] = [];
    // bounded by the caller's range check: a range past the case's pages stops at the first page it does not own
    for (let at = first; at < addr + len; at += this.pageSize) {
      out.push(at);
      if (!this.pages.has(at)) break;
    }
    return out;
  }
}

/** The access an mprotect protection grants: PROT_WRITE makes a page writable (readable too on every target semconf
 * knows), PROT_READ alone read-only, anything else (PROT_NONE, PROT_EXEC alone) no data access. */
export function accessOfProt(prot: bigint, bits: { read: bigint; write: bigint }): Access {
  if ((prot & bits.write) !== 0n) return 'writable';
  if ((prot & bits.read) !== 0n) return 'readable';
  return 'none';
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
