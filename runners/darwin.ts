// macOS adapter: libSystem.B.dylib through koffi, with the numbers of Apple's xnu headers (bsd/sys/*.h). macOS has
// no aio_mlock and no MCL_ONFAULT: cases using them are `unsupported` here. Lock state comes from the VM map entry
// holding each page, read with proc_pidinfo(PROC_PIDREGIONINFO): its pri_user_wired_count is what mlock(2) raises.
// The same region answers tell a hole from a mapped page: xnu's mincore(2) cannot (see withRegionHoles).
import koffi from 'koffi';
import type { ConstantName } from '../src/spec/functions.js';
import { createPosixRunner, type PosixContext, type PosixPlatform } from './posix-common.js';
import type { PageLock, PageResidency, Runner } from './types.js';

/** bsd/sys/mman.h (MCL_*, PROT_*), bsd/sys/signal.h (SIGEV_NONE 0, SIGEV_SIGNAL 1, SIGEV_THREAD 3; no SIGEV_KEVENT).
 * MCL_CURRENT and MCL_FUTURE are offered although xnu implements neither: bsd/kern/kern_mman.c mlockall() and
 * munlockall() are `return ENOSYS;` whatever the flags. The cases calling them run, and what they record (ENOSYS,
 * no lock) is the kernel's own answer, not a stand-in: leaving the constants out would make them `unsupported`
 * and hide that the header offers what the kernel refuses. */
export const DARWIN_CONSTANTS: Partial<Record<ConstantName, bigint>> = {
  MCL_CURRENT: 0x0001n,
  MCL_FUTURE: 0x0002n,
  PROT_NONE: 0x00n,
  PROT_READ: 0x01n,
  PROT_WRITE: 0x02n,
  PROT_EXEC: 0x04n,
  NULL: 0n,
  // bsd/sys/mman.h: MADV_*, MS_*; no mlock2, no mremap
  MADV_WILLNEED: 3n,
  MADV_DONTNEED: 4n,
  MADV_FREE: 5n,
  MS_ASYNC: 0x0001n,
  MS_INVALIDATE: 0x0002n,
  MS_SYNC: 0x0010n,
  SIGEV_NONE: 0n,
  SIGEV_SIGNAL: 1n,
  SIGEV_THREAD: 3n,
};

/** bsd/sys/errno.h. With __DARWIN_UNIX03 (every 64-bit program) EOPNOTSUPP is 102, apart from ENOTSUP 45. */
export const DARWIN_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EDEADLK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28,
  ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EAGAIN: 35, EWOULDBLOCK: 35,
  EINPROGRESS: 36, EALREADY: 37, ENOTSOCK: 38, EDESTADDRREQ: 39, EMSGSIZE: 40, EPROTOTYPE: 41, ENOPROTOOPT: 42,
  EPROTONOSUPPORT: 43, ESOCKTNOSUPPORT: 44, ENOTSUP: 45, EPFNOSUPPORT: 46, EAFNOSUPPORT: 47, EADDRINUSE: 48,
  EADDRNOTAVAIL: 49, ENETDOWN: 50, ENETUNREACH: 51, ENETRESET: 52, ECONNABORTED: 53, ECONNRESET: 54, ENOBUFS: 55,
  EISCONN: 56, ENOTCONN: 57, ESHUTDOWN: 58, ETOOMANYREFS: 59, ETIMEDOUT: 60, ECONNREFUSED: 61, ELOOP: 62,
  ENAMETOOLONG: 63, EHOSTDOWN: 64, EHOSTUNREACH: 65, ENOTEMPTY: 66, EPROCLIM: 67, EUSERS: 68, EDQUOT: 69,
  ESTALE: 70, EREMOTE: 71, EBADRPC: 72, ERPCMISMATCH: 73, EPROGUNAVAIL: 74, EPROGMISMATCH: 75, EPROCUNAVAIL: 76,
  ENOLCK: 77, ENOSYS: 78, EFTYPE: 79, EAUTH: 80, ENEEDAUTH: 81, EPWROFF: 82, EDEVERR: 83, EOVERFLOW: 84,
  EBADEXEC: 85, EBADARCH: 86, ESHLIBVERS: 87, EBADMACHO: 88, ECANCELED: 89, EIDRM: 90, ENOMSG: 91, EILSEQ: 92,
  ENOATTR: 93, EBADMSG: 94, EMULTIHOP: 95, ENODATA: 96, ENOLINK: 97, ENOSR: 98, ENOSTR: 99, EPROTO: 100,
  ETIME: 101, EOPNOTSUPP: 102, ENOPOLICY: 103, ENOTRECOVERABLE: 104, EOWNERDEAD: 105, EQFULL: 106,
};

export const DARWIN: PosixPlatform = {
  os: 'darwin',
  library: 'libSystem.B.dylib',
  libcId: 'libsystem',
  constants: DARWIN_CONSTANTS,
  errno: DARWIN_ERRNO,
  // bsd/sys/mman.h: MAP_PRIVATE 0x0002, MAP_ANON 0x1000 (MAP_NORESERVE 0x0040 exists but is not needed)
  mman: { PROT_NONE: 0x00, PROT_READ: 0x01, PROT_WRITE: 0x02, MAP_PRIVATE: 0x0002, MAP_ANON: 0x1000, MAP_NORESERVE: 0, MAP_SHARED: 0x0001, MAP_FIXED: 0x0010 },
  mincoreResident: 0x1, // MINCORE_INCORE
  // bsd/sys/resource.h: RLIMIT_MEMLOCK 6, RLIM_INFINITY (((__uint64_t)1 << 63) - 1)
  rlimit: { memlock: 6, infinity: (1n << 63n) - 1n },
};

/** bsd/sys/proc_info.h: PROC_PIDREGIONINFO 7, struct proc_regioninfo (96 bytes, natural alignment). */
export const PROC_PIDREGIONINFO = 7;
export const DARWIN_PROC_REGIONINFO = koffi.struct({
  pri_protection: 'uint32',
  pri_max_protection: 'uint32',
  pri_inheritance: 'uint32',
  pri_flags: 'uint32',
  pri_offset: 'uint64',
  pri_behavior: 'uint32',
  pri_user_wired_count: 'uint32',
  pri_user_tag: 'uint32',
  pri_pages_resident: 'uint32',
  pri_pages_shared_now_private: 'uint32',
  pri_pages_swapped_out: 'uint32',
  pri_pages_dirtied: 'uint32',
  pri_ref_count: 'uint32',
  pri_shadow_depth: 'uint32',
  pri_share_mode: 'uint32',
  pri_private_pages_resident: 'uint32',
  pri_shared_pages_resident: 'uint32',
  pri_obj_id: 'uint32',
  pri_depth: 'uint32',
  pri_address: 'uint64',
  pri_size: 'uint64',
});
/** osfmk/mach/vm_prot.h */
const VM_PROT_READ = 0x1;
const VM_PROT_WRITE = 0x2;

export interface Region {
  address: bigint;
  size: bigint;
  protection: number;
  userWired: number;
  /** 0xffffffff on the made-up region xnu reports past the last one (purgeable memory it accounts there) */
  userTag: number;
}

/** The tag xnu's fill_procregioninfo gives the made-up region it reports after the map's end. */
export const FAKE_REGION_TAG = 0xffffffff;
/** No process of the suite has this many map entries; past it the walk gives up rather than loop. */
const MAX_REGIONS = 100_000;

/** Decode one proc_regioninfo answer. */
export function decodeRegion(buf: Uint8Array): Region {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const o = (f: string): number => koffi.offsetof(DARWIN_PROC_REGIONINFO, f);
  return {
    address: view.getBigUint64(o('pri_address'), true),
    size: view.getBigUint64(o('pri_size'), true),
    protection: view.getUint32(o('pri_protection'), true),
    userWired: view.getUint32(o('pri_user_wired_count'), true),
    userTag: view.getUint32(o('pri_user_tag'), true),
  };
}

/** L / U / - for each page from "the region at or after this address" answers. */
export function pageLocksFromRegions(regionAt: (addr: bigint) => Region | null, addr: bigint, pages: number, pageSize: bigint): PageLock[] {
  return Array.from({ length: pages }, (_, i): PageLock => {
    const at = addr + BigInt(i) * pageSize;
    const r = regionAt(at);
    return r === null || r.userTag === FAKE_REGION_TAG || at < r.address || at >= r.address + r.size ? '-' : r.userWired > 0 ? 'L' : 'U';
  });
}

/** Every map entry, from "the region at or after" answers; null when the walk does not end. */
export function walkRegions(regionAt: (addr: bigint) => Region | null): Region[] | null {
  const regions: Region[] = [];
  for (let next = 0n, r = regionAt(next); r !== null && r.userTag !== FAKE_REGION_TAG; r = regionAt(next)) {
    if (r.address + r.size <= next || regions.length >= MAX_REGIONS) return null;
    regions.push(r);
    next = r.address + r.size;
  }
  return regions;
}

/** Whether a page is inside a map entry, from "the region at or after this address" answers. */
export function mappedInRegions(regionAt: (addr: bigint) => Region | null, at: bigint): boolean {
  const r = regionAt(at);
  return r !== null && r.userTag !== FAKE_REGION_TAG && r.address <= at && at < r.address + r.size;
}

/** What the region walk adds to the residency probe's description. */
export const DARWIN_HOLES_METHOD =
  'holes from proc_pidinfo PROC_PIDREGIONINFO (xnu\'s mincore reports an unmapped page as not resident, without an error)';

/** xnu's mincore (bsd/kern/kern_mman.c) fills the vector from vm_map_page_range_info_internal and returns 0 for an
 * unmapped range too: a hole reads "not resident", never as an error, so the shared core's mincore-based isMapped
 * is always true and a hole's residency reads N. Here both come from the map entries instead: a page outside every
 * region is unmapped ('-'), and "a hole stays a hole" can fail again. */
export function withRegionHoles(runner: Runner, regionAt: (addr: bigint) => Region | null): Runner {
  const ps = BigInt(runner.pageSize);
  const mapped = (at: bigint): boolean => mappedInRegions(regionAt, at);
  const { residency } = runner.probes;
  return {
    ...runner,
    memory: { ...runner.memory, isMapped: mapped },
    probes: {
      ...runner.probes,
      residency: { ...residency, method: `${residency.method}; ${DARWIN_HOLES_METHOD}` },
      pageResidency(addr, pages) {
        const seen = runner.probes.pageResidency(addr, pages);
        return seen === null ? null : seen.map((v, i): PageResidency => (mapped(addr + BigInt(i) * ps) ? v : '-'));
      },
    },
  };
}

/** Who may lock beyond RLIMIT_MEMLOCK on xnu: nobody. osfmk/vm/vm_map.c add_wire_counts() refuses a user wiring
 * past MIN(map->user_wire_limit, vm_per_task_user_wire_limit) or the global vm_global_user_wire_limit, with no
 * exception for root; bsd/kern/kern_resource.c dosetrlimit() sets map->user_wire_limit from RLIMIT_MEMLOCK. Root
 * can only raise its limit (and not past the per-task and global ones). */
export const DARWIN_LOCK_PRIVILEGE = {
  canLockMemory: (): boolean => false,
  privilegedIsRoot:
    'xnu exempts nobody from RLIMIT_MEMLOCK: add_wire_counts in osfmk/vm/vm_map.c applies it, and the per-task and global wire limits, to root too',
} as const;

function regionReader(ctx: PosixContext): { at(addr: bigint): Region | null; all(): Region[] | null } {
  const proc_pidinfo = ctx.libc.func('int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize)');
  const size = koffi.sizeof(DARWIN_PROC_REGIONINFO);
  const at = (addr: bigint): Region | null => {
    const buf = Buffer.alloc(size);
    return (proc_pidinfo(process.pid, PROC_PIDREGIONINFO, addr, buf, size) as number) === size ? decodeRegion(buf) : null;
  };
  return {
    at,
    all: () => walkRegions(at),
  };
}

export function createDarwinRunner(): Runner {
  let regions: ReturnType<typeof regionReader> | undefined;
  const read = (ctx: PosixContext): ReturnType<typeof regionReader> => (regions ??= regionReader(ctx));
  const runner = createPosixRunner(DARWIN, {
    libcVersion(libc) {
      try {
        const v = libc.func('int32_t NSVersionOfRunTimeLibrary(const char *name)')('System') as number;
        return v > 0 ? `libSystem ${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}` : 'libSystem';
      } catch {
        return 'libSystem';
      }
    },
    canLockMemory: DARWIN_LOCK_PRIVILEGE.canLockMemory,
    lockProbe(ctx) {
      const r = read(ctx);
      return {
        method: 'proc_pidinfo PROC_PIDREGIONINFO: pri_user_wired_count of the map entry holding each page (per map entry: xnu splits an entry where a lock starts or ends)',
        pageLocks: (addr, pages) => pageLocksFromRegions(r.at, addr, pages, BigInt(ctx.pageSize)),
      };
    },
    totalProbe(ctx) {
      const r = read(ctx);
      return {
        method: 'proc_pidinfo PROC_PIDREGIONINFO: bytes in map entries with a user wiring',
        lockedBytes: () => {
          const all = r.all();
          return all === null ? null : Number(all.filter((x) => x.userWired > 0).reduce((n, x) => n + x.size, 0n));
        },
      };
    },
    lockableBytes(ctx) {
      const all = read(ctx).all();
      return all === null ? null : Number(all.filter((x) => x.protection & (VM_PROT_READ | VM_PROT_WRITE)).reduce((n, x) => n + x.size, 0n));
    },
  });
  // lockProbe ran inside createPosixRunner, so the region reader exists now.
  const at = regions?.at;
  if (at === undefined) throw new Error('the macOS runner has no region reader after its probes were set up');
  return { ...withRegionHoles(runner, at), privilegedIsRoot: DARWIN_LOCK_PRIVILEGE.privilegedIsRoot };
}
