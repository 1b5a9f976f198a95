// Reading /proc on Linux: VMAs and their lock flag from smaps, fields of status, accessible bytes from maps.
// Pure text parsing, shared by the probes of this process and of a forked child.
import type { PageLock } from './types.js';

export interface Vma {
  start: bigint;
  end: bigint;
  locked: boolean;
}

/** Parse smaps into VMAs with their lock flag; null when the kernel gives no VmFlags lines (the probe is blind). */
export function parseSmaps(text: string): Vma[] | null {
  const vmas: Vma[] = [];
  let sawFlags = false;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (header) {
      vmas.push({ start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), locked: false });
    } else if (line.startsWith('VmFlags:')) {
      sawFlags = true;
      const last = vmas[vmas.length - 1];
      if (last) last.locked = line.slice(8).trim().split(/\s+/).includes('lo');
    }
  }
  return sawFlags ? vmas : null;
}

/** L / U per page from VMAs, or - where no VMA covers the page. */
export function pageLocksIn(vmas: readonly Vma[], addr: bigint, pages: number, pageSize: bigint): PageLock[] {
  return Array.from({ length: pages }, (_, i): PageLock => {
    const at = addr + BigInt(i) * pageSize;
    const vma = vmas.find((v) => v.start <= at && at < v.end);
    return vma === undefined ? '-' : vma.locked ? 'L' : 'U';
  });
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
