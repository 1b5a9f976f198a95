// Placing a case's memory: each mapping in its own reservation, fenced by guard pages, its pages given their
// protection or punched out as holes; and the checks on that placement after the case (holes still holes, nothing
// left behind). Everything goes through the runner's memory interface.
import type { Runner } from '../../runners/types.js';
import type { Mapping, PageKind } from '../spec/schema.js';
import { CaseError } from './case-error.js';

/** One guard page on each side keeps the kernel from merging a test mapping with its neighbours. */
export const GUARD_PAGES = 1;

export interface Placed {
  name: string;
  reservation: bigint;
  base: bigint;
  layout: PageKind[];
}

export function layoutOf(m: Mapping): PageKind[] {
  return m.layout ?? Array.from({ length: m.pages ?? 0 }, () => m.prot ?? 'rw');
}

export function pagesOfReservation(runner: Runner, p: Placed): bigint[] {
  const ps = BigInt(runner.pageSize);
  return Array.from({ length: p.layout.length + 2 * GUARD_PAGES }, (_, i) => p.reservation + BigInt(i) * ps);
}

/** Reserve guard + pages + guard as PROT_NONE, then give each page its protection or punch it out as a hole. */
export function place(runner: Runner, name: string, layout: PageKind[], touch: boolean): Placed {
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
