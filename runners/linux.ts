// Linux adapter: glibc (libc.so.6) on the shared POSIX core (posix-common.ts), like the FreeBSD, macOS and illumos
// adapters: the core binds the allowlist at this process's width, places memory, reads residency with mincore and
// limits with getrlimit64. What only Linux has is layered on top as hooks: the lock state from /proc (smaps VmFlags
// `lo`, read fast through msync(MS_INVALIDATE) where that agrees with smaps), VmLck, CAP_IPC_LOCK from CapEff, the
// fork and exec probes (linux-process.ts), and whether gVisor or Linux runs the calls (linux-runtime.ts).
// The same adapter runs in a 32-bit (i386) Node on an x86_64 kernel (`semconf run --target ia32`): nothing below
// assumes 64 bits.
import { closeSync } from 'node:fs';
import os from 'node:os';
import koffi from 'koffi';
import { linuxMmapMinAddr } from './address-space.js';
import { accessibleBytesIn, lockedBytesIn, mappedRangesIn, pageLocksIn, pinnedBytesIn, parseSmaps, statusField as statusFieldIn, type Vma } from './linux-proc.js';
import { createForkCopy } from './linux-fork.js';
import { createProcessProbes } from './linux-process.js';
import { readOwnProc } from './own-proc.js';
import { unlinkedTempFile } from './temp-file.js';
import { classifyRuntime, gatherRuntimeEvidence } from './linux-runtime.js';
import { bindIntCall, bindPointerCall, createPosixRunner, type LockProbe, type PosixContext, type PosixPlatform, type RuntimeVerdict, type TotalProbe } from './posix-common.js';
import type { MapHow, PageLock, ProbeBacking, Runner } from './types.js';

export { parseSmaps } from './linux-proc.js';

const CAP_IPC_LOCK = 14n;
const MS_INVALIDATE = 2;

/** Linux's numbers (uapi asm-generic/mman-common.h, mman.h; asm-generic/resource.h), the same on i386 and x86_64. */
export const LINUX: PosixPlatform = {
  os: 'linux',
  library: 'libc.so.6',
  libcId: 'glibc',
  constants: {
    MCL_CURRENT: 1n,
    MCL_FUTURE: 2n,
    MCL_ONFAULT: 4n,
    PROT_NONE: 0n,
    PROT_READ: 1n,
    PROT_WRITE: 2n,
    PROT_EXEC: 4n,
    NULL: 0n,
    // asm-generic/mman-common.h (MADV_*, MS_*, MLOCK_ONFAULT), linux/mman.h (MREMAP_MAYMOVE)
    MADV_WILLNEED: 3n,
    MADV_DONTNEED: 4n,
    MADV_FREE: 8n,
    MS_ASYNC: 1n,
    MS_INVALIDATE: 2n,
    MS_SYNC: 4n,
    MLOCK_ONFAULT: 0x01n,
    MREMAP_MAYMOVE: 1n,
  },
  // Node's own table is Linux's <errno.h> when Node runs on Linux (the only place this adapter is created).
  errno: os.constants.errno,
  mman: { PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, MAP_PRIVATE: 0x02, MAP_ANON: 0x20, MAP_NORESERVE: 0x4000, MAP_SHARED: 0x01, MAP_FIXED: 0x10, MAP_LOCKED: 0x2000 },
  mincoreResident: 1,
  // glibc's plain mmap takes a long offset (off_t without _FILE_OFFSET_BITS=64): 32 bits on i386, 64 on x86_64.
  mmapOffset: 'long',
  // RLIMIT_MEMLOCK 8; getrlimit64/setrlimit64 take struct rlimit64 (two 64-bit words) on every ABI, where glibc's
  // i386 getrlimit takes two longs; RLIM64_INFINITY is ~0ULL.
  rlimit: { memlock: 8, infinity: (1n << 64n) - 1n, symbols: { get: 'getrlimit64', set: 'setrlimit64' } },
};

const ownStatus = (): string => readOwnProc('status');
const statusField = (name: string): string | null => statusFieldIn(ownStatus(), name);

export function createLinuxRunner(): Runner {
  // gVisor or Linux: decided from inside (kernel log, uname, VmLck), recorded with its basis in the facts. The lock
  // probe's method names it too, so it is determined once, by whichever hook asks first.
  let verdict: RuntimeVerdict | undefined;
  const runtimeOf = (ctx: PosixContext): RuntimeVerdict => (verdict ??= classifyRuntime(gatherRuntimeEvidence(ctx.libc)));
  return createPosixRunner(LINUX, {
    nullEnd: linuxMmapMinAddr,
    libcVersion: (libc) => `glibc ${String(libc.func('const char *gnu_get_libc_version()')())}`,
    canLockMemory: (_libc, _euid, capEff) => capEff !== null && ((BigInt(`0x${capEff}`) >> CAP_IPC_LOCK) & 1n) === 1n,
    capEff: () => statusField('CapEff'),
    runtime: runtimeOf,
    lockProbe: (ctx) => linuxLockProbe(ctx, runtimeOf(ctx)),
    totalProbe: linuxTotalProbe,
    lockableBytes: () => accessibleBytesIn(readOwnProc('maps')),
    mappedRanges: () => mappedRangesIn(readOwnProc('maps')),
    // mlock2 is glibc 2.27+ and mremap Linux's own: where a symbol is absent, its cases are unsupported.
    extraCallables: (ctx) => {
      const mlock2 = bindIntCall(ctx.libc, 'mlock2', ctx.wordBits);
      const mremap = bindPointerCall(ctx.libc, 'mremap', ctx.wordBits);
      return { ...(mlock2 ? { mlock2 } : {}), ...(mremap ? { mremap } : {}) };
    },
    forkCopy: (ctx) => createForkCopy(ctx.libc, ctx.wordBits),
    processProbes(ctx, lockedTotal) {
      const probes = createProcessProbes(ctx.libc, BigInt(ctx.pageSize));
      // Without VmLck (gVisor) a child's or exec'd program's locked total cannot be read: say so, never guess.
      if (lockedTotal.available) return probes;
      return {
        ...probes,
        forkChild: { ...probes.forkChild, method: `${probes.forkChild.method}; its locked total cannot be read here: ${lockedTotal.method}` },
        execChild: { available: false, method: `an exec'd program's locked total cannot be read here: ${lockedTotal.method}` },
      };
    },
  });
}

/** VmLck is the kernel's own count of this process's locked bytes: available where the line exists. */
function linuxTotalProbe(): TotalProbe {
  const method = '/proc/self/status VmLck';
  // Whether the kernel has the VmLck line and smaps_rollup is the kernel's, not the process's: where they are absent
  // (gVisor) they stay absent, and reading for them again at every case cost a status read and a failed open each.
  const hasVmLck = statusField('VmLck') !== null;
  let noRollup = false;
  return {
    method,
    lockedBytes: () => (hasVmLck ? lockedBytesIn(ownStatus()) : null),
    pinnedBytes: () => {
      if (noRollup) return null;
      try {
        return pinnedBytesIn(readOwnProc('smaps_rollup'));
      } catch (e) {
        // no smaps_rollup (before Linux 4.14; gVisor) stays so; another failure (a dropped context) is this once
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') noRollup = true;
        return null;
      }
    },
    calibrated: hasVmLck ? { available: true, method } : { available: false, method: '/proc/self/status has no VmLck line' },
  };
}

/** Two ways to read a page's lock state. smaps VmFlags "lo" is the kernel's own report (Linux sets the VMA's flag even
 * where mlock fails part way; `Locked:` counts only resident pages, so it is not used), but each reading walks the
 * whole process (milliseconds in a Node worker). msync(MS_INVALIDATE) fails with EBUSY where "a memory lock exists
 * for the specified address range" (Linux msync(2)) and changes nothing on private anonymous memory: microseconds per
 * page. On shared or file-backed memory MS_INVALIDATE could do more (invalidate other mappings of the same file), so
 * msync is used for a backing only when, at start, it agrees with smaps on a mapping of that backing, on a page
 * before, during and after a lock and on a hole between locked pages (gVisor's msync calls that hole locked); the
 * other backings, and ranges longer than MSYNC_MAX_PAGES on any backing, are read from smaps. */
function linuxLockProbe(ctx: PosixContext, runtime: RuntimeVerdict): LockProbe {
  const msync = ctx.libc.func('int msync(uintptr_t addr, size_t len, int flags)');
  const ps = BigInt(ctx.pageSize);
  const readSmaps = (): Vma[] | null => parseSmaps(readOwnProc('smaps'));
  // Reading smaps makes the kernel walk every VMA of this (large) process, so it is read once per observation: the
  // reading is kept until memory or a call changes the address space (the core's generation counter moves).
  let reading: { generation: number; vmas: Vma[] } | null = null;
  const vmas = (): Vma[] => {
    if (reading?.generation !== ctx.generation()) reading = { generation: ctx.generation(), vmas: readSmaps() ?? [] };
    return reading.vmas;
  };
  // EBUSY says "locked" only of a page that is mapped: gVisor's msync answers EBUSY for an unmapped page between two
  // locked ones too, so a page msync calls locked is looked up with mincore (ENOMEM where nothing is mapped).
  const msyncPageLocks = (addr: bigint, pages: number): PageLock[] =>
    Array.from({ length: pages }, (_, i): PageLock => {
      const page = addr + BigInt(i) * ps;
      if (msync(page, ps, MS_INVALIDATE) === 0) return 'U';
      const errno = koffi.errno();
      if (errno === os.constants.errno.EBUSY) return ctx.memory.isMapped(page) ? 'L' : '-';
      if (errno === os.constants.errno.ENOMEM) return '-';
      throw new Error(`lock-state probe: msync(MS_INVALIDATE) failed with errno ${errno}, which says nothing about locks`);
    });
  const smapsPageLocks = (addr: bigint, pages: number): PageLock[] => pageLocksIn(vmas(), addr, pages, ps);

  // gVisor writes "lo" from the VMA's mlock mode in its own memory manager, which does not ask the host to lock
  // anything (pkg/sentry/memmap MLockEager: "does not cause memory-locking to be requested from the host").
  const lockSource =
    runtime.runtime === 'gvisor' ? "; under gVisor this is the sandbox kernel's mlock mode of the VMA: gVisor does not lock its memory on the host" : '';
  const smapsMethod = `/proc/self/smaps VmFlags "lo" of the VMA holding each page${lockSource}`;
  if (readSmaps() === null) {
    return { method: smapsMethod, pageLocks: () => null, calibrated: { available: false, method: '/proc/self/smaps has no VmFlags lines' } };
  }
  const viaMsync = msyncAgreesWithSmaps(
    ctx,
    BACKINGS,
    (a, n) => msyncPageLocks(a, n).join(''),
    () => {
      const now = readSmaps() ?? [];
      return (a, n) => pageLocksIn(now, a, n, ps).join('');
    },
  );
  const pageLocks = (addr: bigint, pages: number, backing: ProbeBacking = 'anon-private'): PageLock[] =>
    viaMsync.has(backing) && pages <= MSYNC_MAX_PAGES ? msyncPageLocks(addr, pages) : smapsPageLocks(addr, pages);
  const method =
    viaMsync.size === 0
      ? `${smapsMethod} (msync(MS_INVALIDATE) disagreed with it at calibration, so it is not used)`
      : `msync(MS_INVALIDATE) per page (EBUSY where locked, on a page mincore finds mapped) on ${[...viaMsync].join(', ')} memory, calibrated against ${smapsMethod}, which is read instead for a range of more than ${MSYNC_MAX_PAGES} pages` +
        (viaMsync.size < BACKINGS.length ? `; ${smapsMethod} on ${BACKINGS.filter((b) => !viaMsync.has(b)).join(', ')} memory, where msync disagreed with it or could not be calibrated` : '');
  return { method, pageLocks, calibrated: { available: true, method } };
}

const BACKINGS: readonly ProbeBacking[] = ['anon-private', 'anon-shared', 'file-private', 'file-shared'];

/** The longest range read with msync; a longer one is read from smaps, which the probes agree with (calibration). Two
 * foreign calls a page against one reading of smaps for all of an observation's mappings, measured in a Node worker:
 * natively ~1.6 µs a page against ~1.5 ms a reading (without a JIT), under gVisor ~50 µs a page against ~3 ms. So a
 * range of 64 pages costs at most about one reading either way, and a 4,096-page mapping under gVisor ~3 ms, not
 * ~200. (The suite's mappings are of 1 to 8 pages, or of 1,024 and more.) */
const MSYNC_MAX_PAGES = 64;

/** Three pages of `backing` at a fresh reservation: anonymous, or of a temporary file with no name; null where it
 * cannot be made. */
function calibrationMapping(ctx: PosixContext, backing: ProbeBacking): { addr: bigint; release(): void } | null {
  const addr = ctx.memory.reserve(3);
  if (addr === null) return null;
  let fd: number | null = null;
  const release = (): void => {
    ctx.memory.unmap(addr, 3);
    if (fd !== null) closeSync(fd);
  };
  if (backing === 'anon-private') return ctx.memory.protect(addr, 3, 'rw') ? { addr, release } : (release(), null);
  if (backing !== 'anon-shared') {
    try {
      fd = unlinkedTempFile('calibrate', 3 * ctx.pageSize);
    } catch {
      // no temporary file can be made here: this backing is not calibrated, and smaps is read for it
      release();
      return null;
    }
  }
  const how: MapHow = { shared: backing !== 'file-private', fd, locked: false };
  return ctx.memory.mapFixed(addr, 3, how) === null ? { addr, release } : (release(), null);
}


/** The backings on which the msync probe reads pages as the kernel's smaps does, in the shapes cases produce: a page
 * before, during and after a lock, and an unmapped page between two locked ones (gVisor's msync calls that hole
 * locked, which the probe's mincore look-up corrects). Every backing is calibrated on a mapping of its own, side by side, so that each of the three states costs
 * one reading of smaps for all of them (a reading walks the whole worker: milliseconds, at every worker start). */
function msyncAgreesWithSmaps(ctx: PosixContext, backings: readonly ProbeBacking[], msyncLocks: (addr: bigint, pages: number) => string, smapsLocks: () => (addr: bigint, pages: number) => string): Set<ProbeBacking> {
  const ps = BigInt(ctx.pageSize);
  const lock = (a: bigint): boolean => ctx.call('mlock', [a, ps]).ret === 0;
  const unlock = (a: bigint): boolean => ctx.call('munlock', [a, ps]).ret === 0;
  const mappings = backings.map((backing) => ({ backing, mapping: calibrationMapping(ctx, backing) }));
  try {
    let left = mappings.filter((m) => m.mapping !== null && ctx.memory.unmap(m.mapping.addr + ps, 1));
    const addrOf = (m: (typeof left)[number]): bigint => m.mapping?.addr ?? 0n;
    const agree = (want: string): void => {
      const smaps = smapsLocks();
      left = left.filter((m) => msyncLocks(addrOf(m), 3) === want && smaps(addrOf(m), 3) === want);
    };
    const each = (step: (a: bigint) => boolean): void => {
      left = left.filter((m) => step(addrOf(m)) && step(addrOf(m) + 2n * ps));
    };
    agree('U-U');
    each(lock);
    agree('L-L');
    each(unlock);
    agree('U-U');
    return new Set(left.map((m) => m.backing));
  } finally {
    for (const m of mappings) m.mapping?.release();
  }
}
