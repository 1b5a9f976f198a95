// illumos adapter (OmniOS, SmartOS, OpenIndiana): libc.so.1 through koffi, with the numbers of illumos-gate's
// usr/src/uts/common/sys/*.h, which differ from the BSDs' and Linux's (ENOTSUP is 48, ECANCELED 47). illumos has no
// aio_mlock, no MCL_ONFAULT and no RLIMIT_MEMLOCK: locking is governed by the proc_lock_memory privilege and the
// project.max-locked-memory resource control, so contexts that set RLIMIT_MEMLOCK cannot be established here.
// Lock state comes from /proc/self/xmap, which counts locked pages per mapping (pr_locked) but does not say which:
// a mapping with some but not all pages locked makes the lock-state observation unavailable for that case.
import { readFileSync } from 'node:fs';
import koffi from 'koffi';
import type { ConstantName } from '../src/spec/functions.js';
import { createPosixRunner, type PosixPlatform } from './posix-common.js';
import type { PageLock, Runner } from './types.js';

/** usr/src/uts/common/sys/mman.h (MCL_*, PROT_*), sys/siginfo.h (SIGEV_NONE 1, SIGEV_SIGNAL 2, SIGEV_THREAD 3). */
export const ILLUMOS_CONSTANTS: Partial<Record<ConstantName, bigint>> = {
  MCL_CURRENT: 0x1n,
  MCL_FUTURE: 0x2n,
  PROT_NONE: 0x0n,
  PROT_READ: 0x1n,
  PROT_WRITE: 0x2n,
  PROT_EXEC: 0x4n,
  NULL: 0n,
  // usr/src/uts/common/sys/mman.h: MADV_*, MS_*; no mlock2, no mremap
  MADV_WILLNEED: 3n,
  MADV_DONTNEED: 4n,
  MADV_FREE: 5n,
  MS_ASYNC: 0x1n,
  MS_INVALIDATE: 0x2n,
  MS_SYNC: 0x4n,
  SIGEV_NONE: 1n,
  SIGEV_SIGNAL: 2n,
  SIGEV_THREAD: 3n,
};

/** usr/src/uts/common/sys/errno.h */
export const ILLUMOS_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EAGAIN: 11, EWOULDBLOCK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27,
  ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, ENOMSG: 35, EIDRM: 36,
  ECHRNG: 37, EL2NSYNC: 38, EL3HLT: 39, EL3RST: 40, ELNRNG: 41, EUNATCH: 42, ENOCSI: 43, EL2HLT: 44, EDEADLK: 45,
  ENOLCK: 46, ECANCELED: 47, ENOTSUP: 48, EDQUOT: 49, EBADE: 50, EBADR: 51, EXFULL: 52, ENOANO: 53, EBADRQC: 54,
  EBADSLT: 55, EDEADLOCK: 56, EBFONT: 57, EOWNERDEAD: 58, ENOTRECOVERABLE: 59, ENOSTR: 60, ENODATA: 61, ETIME: 62,
  ENOSR: 63, ENONET: 64, ENOPKG: 65, EREMOTE: 66, ENOLINK: 67, EADV: 68, ESRMNT: 69, ECOMM: 70, EPROTO: 71,
  ELOCKUNMAPPED: 72, ENOTACTIVE: 73, EMULTIHOP: 74, EBADMSG: 77, ENAMETOOLONG: 78, EOVERFLOW: 79, ENOTUNIQ: 80,
  EBADFD: 81, EREMCHG: 82, ELIBACC: 83, ELIBBAD: 84, ELIBSCN: 85, ELIBMAX: 86, ELIBEXEC: 87, EILSEQ: 88, ENOSYS: 89,
  ELOOP: 90, ERESTART: 91, ESTRPIPE: 92, ENOTEMPTY: 93, EUSERS: 94, ENOTSOCK: 95, EDESTADDRREQ: 96, EMSGSIZE: 97,
  EPROTOTYPE: 98, ENOPROTOOPT: 99, EPROTONOSUPPORT: 120, ESOCKTNOSUPPORT: 121, EOPNOTSUPP: 122, EPFNOSUPPORT: 123,
  EAFNOSUPPORT: 124, EADDRINUSE: 125, EADDRNOTAVAIL: 126, ENETDOWN: 127, ENETUNREACH: 128, ENETRESET: 129,
  ECONNABORTED: 130, ECONNRESET: 131, ENOBUFS: 132, EISCONN: 133, ENOTCONN: 134, ESHUTDOWN: 143, ETOOMANYREFS: 144,
  ETIMEDOUT: 145, ECONNREFUSED: 146, EHOSTDOWN: 147, EHOSTUNREACH: 148, EALREADY: 149, EINPROGRESS: 150, ESTALE: 151,
};

export const ILLUMOS: PosixPlatform = {
  os: 'illumos',
  library: 'libc.so.1',
  libcId: 'libc',
  constants: ILLUMOS_CONSTANTS,
  errno: ILLUMOS_ERRNO,
  // sys/mman.h: MAP_PRIVATE 2, MAP_ANON 0x100. MAP_NORESERVE (0x40) exists but must not be used: /proc leaves
  // untouched NORESERVE pages out of xmap (usr/src/uts/common/fs/proc/prsubr.c pr_getprot: "Don't include
  // MAP_NORESERVE pages in the address range unless their mappings have actually materialized"), so an untouched
  // page would read as unmapped, the lock probe's calibration would fail and a case's untouched pages read '-'.
  // Without it the kernel reserves swap for the pages a case makes writable: a few pages, not worth avoiding.
  mman: { PROT_NONE: 0x0, PROT_READ: 0x1, PROT_WRITE: 0x2, MAP_PRIVATE: 2, MAP_ANON: 0x100, MAP_NORESERVE: 0, MAP_SHARED: 1, MAP_FIXED: 0x10 },
  // mincore(2): "the least significant bit of each character is set" for a resident page
  mincoreResident: 0x1,
  rlimit: null, // sys/resource.h has no RLIMIT_MEMLOCK
};

/** prxmap_t of usr/src/uts/common/sys/procfs.h, LP64 (dev_t and size_t are 8 bytes): 216 bytes per entry. */
export const ILLUMOS_PRXMAP = koffi.struct({
  pr_vaddr: 'uint64',
  pr_size: 'uint64',
  pr_mapname: koffi.array('char', 64), // PRMAPSZ
  pr_offset: 'int64',
  pr_mflags: 'int',
  pr_pagesize: 'int',
  pr_shmid: 'int',
  pr_dev: 'uint64',
  pr_ino: 'uint64',
  pr_rss: 'uint64',
  pr_anon: 'uint64',
  pr_locked: 'uint64',
  pr_pad: 'uint64',
  pr_hatpagesize: 'uint64',
  pr_filler: koffi.array('uint64', 7),
});
/** sys/mman.h MAP_NORESERVE: named here so tests can check it stays out of the reservations. */
export const ILLUMOS_MAP_NORESERVE = 0x40;
/** sys/procfs.h pr_mflags */
const MA_READ = 0x04;
const MA_WRITE = 0x02;

export interface XmapEntry {
  vaddr: bigint;
  size: bigint;
  mflags: number;
  /** pages of locked memory in this mapping */
  locked: bigint;
}

export function parseXmap(buf: Uint8Array): XmapEntry[] {
  const size = koffi.sizeof(ILLUMOS_PRXMAP);
  const o = (f: string): number => koffi.offsetof(ILLUMOS_PRXMAP, f);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries: XmapEntry[] = [];
  for (let at = 0; at + size <= view.byteLength; at += size) {
    entries.push({
      vaddr: view.getBigUint64(at + o('pr_vaddr'), true),
      size: view.getBigUint64(at + o('pr_size'), true),
      mflags: view.getInt32(at + o('pr_mflags'), true),
      locked: view.getBigUint64(at + o('pr_locked'), true),
    });
  }
  return entries;
}

/** L / U / - per page where each mapping is wholly locked or wholly unlocked; null when one is partly locked. */
export function pageLocksFromXmap(entries: readonly XmapEntry[], addr: bigint, pages: number, pageSize: bigint): PageLock[] | null {
  const out: PageLock[] = [];
  for (let i = 0; i < pages; i++) {
    const at = addr + BigInt(i) * pageSize;
    const e = entries.find((x) => x.vaddr <= at && at < x.vaddr + x.size);
    if (e === undefined) out.push('-');
    else if (e.locked === 0n) out.push('U');
    else if (e.locked === e.size / pageSize) out.push('L');
    else return null;
  }
  return out;
}

const readXmap = (): XmapEntry[] => parseXmap(readFileSync('/proc/self/xmap'));

export function createIllumosRunner(): Runner {
  return createPosixRunner(ILLUMOS, {
    libcVersion: () => 'illumos libc',
    // mlock(3C) needs the proc_lock_memory privilege (privileges(7)); root in the global zone holds it.
    canLockMemory(libc) {
      try {
        return (libc.func('int priv_ineffect(const char *priv)')('proc_lock_memory') as number) !== 0;
      } catch {
        return false;
      }
    },
    lockProbe: (ctx) => ({
      method:
        '/proc/self/xmap pr_locked of the mapping holding each page (a partly locked mapping cannot be read page by page; test memory is mapped without MAP_NORESERVE, whose untouched pages xmap leaves out)',
      pageLocks: (addr, pages) => pageLocksFromXmap(readXmap(), addr, pages, BigInt(ctx.pageSize)),
    }),
    totalProbe: (ctx) => ({
      method: '/proc/self/xmap: pr_locked pages summed over all mappings',
      lockedBytes: () => Number(readXmap().reduce((n, e) => n + e.locked, 0n) * BigInt(ctx.pageSize)),
    }),
    lockableBytes: () => Number(readXmap().filter((e) => e.mflags & (MA_READ | MA_WRITE)).reduce((n, e) => n + e.size, 0n)),
  });
}
