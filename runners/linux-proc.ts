// Reading /proc on Linux: VMAs and their lock flag from smaps, fields of status, accessible bytes from maps.
// Pure text parsing, shared by the probes of this process and of a forked child.
import type { PageLock } from './types.js';

export interface Vma {
  start: bigint;
  end: bigint;
  locked: boolean;
}

/** Parse smaps into VMAs with their lock flag; null when the kernel gives no VmFlags lines (the probe is blind).
 * Each entry is a header line ("start-end perms offset dev inode path") and its fields, VmFlags last: Linux prints
 * VmFlags for every VMA since 3.8 (proc(5); show_smap prints it unconditionally), and gVisor does too. So the parser
 * jumps from a header to the next VmFlags line and from there to the next header, with the string's own searches,
 * never visiting the dozen field lines between: a worker's smaps is ~2,000 lines, and the line-by-line parse took
 * ~1.5 ms of a case under gVisor (no JIT), where the lock state is read from smaps at every observation. (A path
 * cannot hold a raw newline there: the kernel escapes it.) */
export function parseSmaps(text: string): Vma[] | null {
  const vmas: Vma[] = [];
  let sawFlags = false;
  for (let pos = 0; pos < text.length; ) {
    const dash = text.indexOf('-', pos);
    const space = dash === -1 ? -1 : text.indexOf(' ', dash);
    if (space === -1) break;
    const vma: Vma = { start: BigInt(`0x${text.slice(pos, dash)}`), end: BigInt(`0x${text.slice(dash + 1, space)}`), locked: false };
    vmas.push(vma);
    const flags = text.indexOf('\nVmFlags:', space);
    if (flags === -1) break;
    sawFlags = true;
    const eol = text.indexOf('\n', flags + 1);
    const end = eol === -1 ? text.length : eol;
    vma.locked = text.slice(flags + '\nVmFlags:'.length, end).trim().split(/\s+/).includes('lo');
    pos = end + 1;
  }
  return sawFlags ? vmas : null;
}

/** L / U per page from VMAs, or - where no VMA covers the page. The VMAs are taken in address order, as smaps lists
 * them (they never overlap): the first one ending past `addr` is found by bisection and the pages are walked with it,
 * so a range costs its pages plus log(VMAs), not pages × VMAs (a 4,096-page mapping in a worker of ~200 VMAs: ~0.8
 * million comparisons of BigInts the other way). */
export function pageLocksIn(vmas: readonly Vma[], addr: bigint, pages: number, pageSize: bigint): PageLock[] {
  let lo = 0;
  let hi = vmas.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((vmas[mid] as Vma).end <= addr) lo = mid + 1;
    else hi = mid;
  }
  const locks: PageLock[] = [];
  for (let i = 0, v = lo, at = addr; i < pages; i++, at += pageSize) {
    while (v < vmas.length && (vmas[v] as Vma).end <= at) v++;
    const vma = vmas[v];
    locks.push(vma === undefined || at < vma.start ? '-' : vma.locked ? 'L' : 'U');
  }
  return locks;
}

/** A "Name:  value" field of /proc/<pid>/status. */
export function statusField(text: string, name: string): string | null {
  const m = new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(text);
  return m?.[1]?.trim() ?? null;
}

/** VmLck of a status text in bytes; null when the kernel has no VmLck line (gVisor). */
export function lockedBytesIn(statusText: string): number | null {
  const kb = /^(\d+)\s*kB$/.exec(statusField(statusText, 'VmLck') ?? '')?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

/** The `Locked:` total of /proc/<pid>/smaps_rollup in bytes: resident pages of locked mappings, the memory a lock
 * really pins. VmLck also charges locked mappings that pin nothing (Node's PROT_NONE reservations: ~500 MiB of VmLck
 * after mlockall(MCL_CURRENT) for ~200 MiB resident). null when the line is missing. */
export function pinnedBytesIn(rollupText: string): number | null {
  const kb = /^Locked:\s*(\d+)\s*kB$/m.exec(rollupText)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

/** Bytes in mappings that are readable or writable: what mlockall(MCL_CURRENT) would fault in and pin. */
export function accessibleBytesIn(mapsText: string): number {
  let total = 0n;
  for (const line of mapsText.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])/.exec(line);
    if (m && (m[3] === 'r' || m[4] === 'w')) total += BigInt(`0x${m[2]}`) - BigInt(`0x${m[1]}`);
  }
  return Number(total);
}

/** Every mapping in /proc/<pid>/maps as [start, end): where a moved mapping may not land (see remapProblem). */
export function mappedRangesIn(mapsText: string): { start: bigint; end: bigint }[] {
  return mapsText.split('\n').flatMap((line) => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    return m ? [{ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`) }] : [];
  });
}
