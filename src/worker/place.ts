// Placing a case's memory: each mapping in a reservation fenced by guard pages (a mapping that `follows` another
// shares its reservation, directly after it), backed as its spec says, its pages given their protection or punched
// out as holes; and the checks on that placement after the case (holes still holes, nothing left behind).
// Everything goes through the runner's memory interface; the temporary files come from case-files.ts.
import type { Runner } from '../../runners/types.js';
import type { Backing, Mapping, PageKind } from '../spec/schema.js';
import { CaseError } from './case-error.js';
import type { CaseFiles } from './case-files.js';

/** One guard page on each side keeps the kernel from merging a test mapping with its neighbours. */
export const GUARD_PAGES = 1;

export interface Placed {
  name: string;
  /** first page of the fenced region the mapping lies in: its own, or the one it shares with the mappings adjacent
   * to it (`follows`) */
  reservation: bigint;
  /** pages of that region, the guard pages included */
  reservationPages: number;
  base: bigint;
  /** page by page as it is now: mremap may shrink it in place (pages become holes) or grow it into the holes after it */
  layout: PageKind[];
  backing: Backing;
  /** ranges outside the reservation that hold this mapping's memory now (where mremap moved it): the cleanup
   * unmaps them and confinement counts them as the case's */
  outside: { start: bigint; end: bigint }[];
}

/** Making a mapping failed in the kernel: an error of the case at the start, the observed outcome of an mmap step. */
export class PlacementFailure extends CaseError {
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super('error', message);
  }
}

export function layoutOf(m: Mapping): PageKind[] {
  return m.layout ?? Array.from({ length: m.pages ?? 0 }, () => m.prot ?? 'rw');
}

const isFile = (b: Backing): boolean => b === 'file-private' || b === 'file-shared';

/** Every page the case's cleanup unmaps for this mapping: its reservation, and where mremap moved it. */
export function pagesOfReservation(runner: Runner, p: Placed): bigint[] {
  const ps = BigInt(runner.pageSize);
  const pagesFrom = (start: bigint, n: number): bigint[] => Array.from({ length: n }, (_, i) => start + BigInt(i) * ps);
  return [pagesFrom(p.reservation, p.reservationPages), ...p.outside.map((r) => pagesFrom(r.start, Number((r.end - r.start) / ps)))].flat();
}

/** The mappings placed together, each a mapping and those that follow it in order; lint has checked that every
 * `follows` names a mapping of the case, that there is no cycle and at most one follower each. */
export function chainsOf(memory: readonly (readonly [string, Mapping])[]): (readonly [string, Mapping])[][] {
  const followerOf = new Map(memory.flatMap(([name, m]) => (m.follows === undefined ? [] : [[m.follows, name] as const])));
  const byName = new Map(memory);
  return memory
    .filter(([, m]) => m.follows === undefined || !byName.has(m.follows))
    .map((root) => {
      const chain = [root];
      for (let next = followerOf.get(root[0]); next !== undefined && chain.length <= memory.length; next = followerOf.get(next)) {
        const m = byName.get(next);
        if (m !== undefined) chain.push([next, m]);
      }
      return chain;
    });
}

/** Reserve guard + every page of the chain + guard as PROT_NONE; map each member as its backing says (MAP_FIXED
 * inside the reservation); then give each page its protection or punch it out as a hole. On failure nothing of
 * the chain is left mapped. */
export function placeChain(runner: Runner, chain: readonly (readonly [string, Mapping])[], files: CaseFiles): Placed[] {
  const names = chain.map(([n]) => `"${n}"`).join(' + ');
  const layouts = chain.map(([, m]) => layoutOf(m));
  const total = layouts.reduce((n, l) => n + l.length, 0) + 2 * GUARD_PAGES;
  const reservation = runner.memory.reserve(total);
  if (reservation === null) throw new PlacementFailure(`could not map ${total} pages for ${names}`, runner.memory.lastErrno());
  const ps = BigInt(runner.pageSize);
  const placed: Placed[] = [];
  try {
    let base = reservation + BigInt(GUARD_PAGES) * ps;
    chain.forEach(([name, m], k) => {
      const layout = layouts[k] ?? [];
      placed.push(back(runner, name, m, layout, base, files, { reservation, reservationPages: total }));
      base += BigInt(layout.length) * ps;
    });
  } catch (e) {
    runner.memory.unmap(reservation, total);
    throw e;
  }
  return placed;
}

function back(
  runner: Runner,
  name: string,
  m: Mapping,
  layout: PageKind[],
  base: bigint,
  files: CaseFiles,
  region: Pick<Placed, 'reservation' | 'reservationPages'>,
): Placed {
  const backing = m.backing ?? 'anon-private';
  const touch = m.touch ?? false;
  const inFile = isFile(backing) ? (m.file_pages ?? layout.length) : layout.length;
  // lint refuses it; a case that bypassed lint must not write past the end of its file (SIGBUS ends the worker)
  if (touch && inFile < layout.length) throw new CaseError('error', `"${name}" extends past the end of its file: its pages cannot be touched`);
  if (backing !== 'anon-private' || m.map_locked === true) {
    const fd = isFile(backing) ? files.create(name, inFile * runner.pageSize) : null;
    const errno = runner.memory.mapFixed(base, layout.length, { shared: backing !== 'anon-private' && backing !== 'file-private', fd, locked: m.map_locked === true });
    if (errno !== null) throw new PlacementFailure(`could not map "${name}" (${backing}${m.map_locked === true ? ', MAP_LOCKED' : ''})`, errno);
  }
  const ps = BigInt(runner.pageSize);
  // runs of pages of one kind take one call each: a 16384-page mapping is one mprotect, not 16384
  for (const { kind, from, pages } of runsOf(layout)) {
    const at = base + BigInt(from) * ps;
    const ok =
      kind === 'hole'
        ? runner.memory.unmap(at, pages)
        : touch && kind !== 'none'
          ? runner.memory.protect(at, pages, 'rw') && (runner.memory.touch(at, pages), runner.memory.protect(at, pages, kind))
          : runner.memory.protect(at, pages, kind);
    if (!ok) throw new PlacementFailure(`could not prepare page ${from}${pages > 1 ? `-${from + pages - 1}` : ''} of "${name}" as ${kind}`, runner.memory.lastErrno());
  }
  return { name, ...region, base, layout: [...layout], backing, outside: [] };
}

/** Consecutive pages of one kind. */
export function runsOf(layout: readonly PageKind[]): { kind: PageKind; from: number; pages: number }[] {
  const runs: { kind: PageKind; from: number; pages: number }[] = [];
  layout.forEach((kind, i) => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.kind === kind) last.pages++;
    else runs.push({ kind, from: i, pages: 1 });
  });
  return runs;
}

/** A hole is free address space: another thread could have mapped something there; then the case proved nothing. */
export function assertHolesIntact(runner: Runner, placed: Placed[]): void {
  const ps = BigInt(runner.pageSize);
  for (const p of placed) {
    p.layout.forEach((kind, i) => {
      if (kind === 'hole' && runner.memory.isMapped(p.base + BigInt(i) * ps)) {
        throw new CaseError('error', `hole at page ${i} of "${p.name}" was filled by another mapping during the case`);
      }
    });
  }
}
