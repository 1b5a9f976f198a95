// FreeBSD adapter: libc.so.7 through koffi. Every number below is FreeBSD's own, from the headers named beside it
// (FreeBSD src, sys/sys/*.h); they differ from Linux's (EAGAIN is 35, not 11). Lock state comes from the kernel's
// VM map (sysctl kern.proc.vmmap, KVME_FLAG_USER_WIRED per map entry): FreeBSD's mincore(2) has no "wired" bit
// (sys/sys/mman.h defines MINCORE_INCORE, _REFERENCED, _MODIFIED, _REFERENCED_OTHER, _MODIFIED_OTHER, _SUPER only).
// aio_mlock(2) is FreeBSD's: it is submitted with a zeroed struct aiocb whose sigevent is filled as the kernel needs
// for the notification the case names (see sigeventFor), and polled to completion.
import koffi from 'koffi';
import type { ConstantName } from '../src/spec/functions.js';
import { type AioDriver, createPosixRunner, type PosixContext, type PosixPlatform, runAio } from './posix-common.js';
import type { PageLock, Runner } from './types.js';

/** sys/sys/mman.h (MCL_*, PROT_*), sys/sys/signal.h (SIGEV_*). FreeBSD has no MCL_ONFAULT. */
export const FREEBSD_CONSTANTS: Partial<Record<ConstantName, bigint>> = {
  MCL_CURRENT: 0x0001n,
  MCL_FUTURE: 0x0002n,
  PROT_NONE: 0x00n,
  PROT_READ: 0x01n,
  PROT_WRITE: 0x02n,
  PROT_EXEC: 0x04n,
  NULL: 0n,
  // sys/sys/mman.h: MADV_*, MS_* (MS_SYNC is 0 on FreeBSD); no mlock2, no mremap
  MADV_WILLNEED: 3n,
  MADV_DONTNEED: 4n,
  MADV_FREE: 5n,
  MS_SYNC: 0x0000n,
  MS_ASYNC: 0x0001n,
  MS_INVALIDATE: 0x0002n,
  SIGEV_NONE: 0n,
  SIGEV_SIGNAL: 1n,
  SIGEV_THREAD: 2n,
  SIGEV_KEVENT: 3n,
  // sys/sys/aio.h: LIO modes
  LIO_NOWAIT: 0x0n,
  LIO_WAIT: 0x1n,
};

/** sys/sys/aio.h: the opcode an aiocb of lio_listio carries to be an mlock request. The header defines it inside
 * `#ifdef _KERNEL` (with LIO_SYNC 0x3) in the freebsd-src copy this was taken from, so userland has no name for it;
 * sys/kern/vfs_aio.c aio_aqueue() takes it from the aiocb of a lio_listio list (opcode LIO_MLOCK: no descriptor,
 * aio_process_mlock). */
export const LIO_MLOCK = 0x4;

/** sys/sys/errno.h (FreeBSD 14): every name, with its aliases (EWOULDBLOCK = EAGAIN, ENOTSUP = EOPNOTSUPP). */
export const FREEBSD_ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10,
  EDEADLK: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28,
  ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33, ERANGE: 34, EAGAIN: 35, EWOULDBLOCK: 35,
  EINPROGRESS: 36, EALREADY: 37, ENOTSOCK: 38, EDESTADDRREQ: 39, EMSGSIZE: 40, EPROTOTYPE: 41, ENOPROTOOPT: 42,
  EPROTONOSUPPORT: 43, ESOCKTNOSUPPORT: 44, EOPNOTSUPP: 45, ENOTSUP: 45, EPFNOSUPPORT: 46, EAFNOSUPPORT: 47,
  EADDRINUSE: 48, EADDRNOTAVAIL: 49, ENETDOWN: 50, ENETUNREACH: 51, ENETRESET: 52, ECONNABORTED: 53,
  ECONNRESET: 54, ENOBUFS: 55, EISCONN: 56, ENOTCONN: 57, ESHUTDOWN: 58, ETOOMANYREFS: 59, ETIMEDOUT: 60,
  ECONNREFUSED: 61, ELOOP: 62, ENAMETOOLONG: 63, EHOSTDOWN: 64, EHOSTUNREACH: 65, ENOTEMPTY: 66, EPROCLIM: 67,
  EUSERS: 68, EDQUOT: 69, ESTALE: 70, EREMOTE: 71, EBADRPC: 72, ERPCMISMATCH: 73, EPROGUNAVAIL: 74,
  EPROGMISMATCH: 75, EPROCUNAVAIL: 76, ENOLCK: 77, ENOSYS: 78, EFTYPE: 79, EAUTH: 80, ENEEDAUTH: 81, EIDRM: 82,
  ENOMSG: 83, EOVERFLOW: 84, ECANCELED: 85, EILSEQ: 86, ENOATTR: 87, EDOOFUS: 88, EBADMSG: 89, EMULTIHOP: 90,
  ENOLINK: 91, EPROTO: 92, ENOTCAPABLE: 93, ECAPMODE: 94, ENOTRECOVERABLE: 95, EOWNERDEAD: 96, EINTEGRITY: 97,
};

export const FREEBSD: PosixPlatform = {
  os: 'freebsd',
  library: 'libc.so.7',
  libcId: 'libc',
  constants: FREEBSD_CONSTANTS,
  errno: FREEBSD_ERRNO,
  // sys/sys/mman.h: MAP_ANON 0x1000; MAP_NORESERVE (0x0040) is MAP_RESERVED0040 now and refused, so not used.
  mman: { PROT_NONE: 0x00, PROT_READ: 0x01, PROT_WRITE: 0x02, MAP_PRIVATE: 0x0002, MAP_ANON: 0x1000, MAP_NORESERVE: 0, MAP_SHARED: 0x0001, MAP_FIXED: 0x0010 },
  mincoreResident: 0x1, // MINCORE_INCORE
  // sys/sys/resource.h: RLIMIT_MEMLOCK 6, RLIM_INFINITY ((rlim_t)(((uint64_t)1 << 63) - 1))
  rlimit: { memlock: 6, infinity: (1n << 63n) - 1n },
};

// --- struct aiocb (sys/sys/aio.h) and struct sigevent (sys/sys/signal.h), FreeBSD amd64 and arm64 (LP64) -------

/** struct sigevent: int sigev_notify; int sigev_signo; union sigval sigev_value; union { __lwpid_t _threadid;
 * struct { void (*_function)(union sigval); struct pthread_attr **_attribute; } _sigev_thread;
 * unsigned short _kevent_flags; long __spare__[8]; } _sigev_un; — 80 bytes. */
export const FREEBSD_SIGEVENT = koffi.struct({
  sigev_notify: 'int',
  sigev_signo: 'int',
  sigev_value: 'uint64', // union sigval { int sival_int; void *sival_ptr; }: pointer-sized
  _sigev_un: koffi.array('int64', 8), // the union's largest member, long __spare__[8]
});

/** struct aiocb: int aio_fildes; off_t aio_offset; volatile void *aio_buf; size_t aio_nbytes; int __spare__[2];
 * void *__spare2__; int aio_lio_opcode; int aio_reqprio; struct __aiocb_private { long status; long error;
 * void *kernelinfo; } _aiocb_private; struct sigevent aio_sigevent; — 160 bytes. */
export const FREEBSD_AIOCB = koffi.struct({
  aio_fildes: 'int',
  aio_offset: 'int64',
  aio_buf: 'uint64',
  aio_nbytes: 'uint64',
  __spare__: koffi.array('int', 2),
  __spare2__: 'uint64',
  aio_lio_opcode: 'int',
  aio_reqprio: 'int',
  _aiocb_private: koffi.struct({ status: 'int64', error: 'int64', kernelinfo: 'uint64' }),
  aio_sigevent: FREEBSD_SIGEVENT,
});

/** sys/sys/signal.h: SIGEV_THREAD_ID 4 (FreeBSD's own, not a spec constant), SIGURG 16. */
export const SIGEV_THREAD_ID = 4;
export const SIGURG = 16;

/** What filling a sigevent may need from the live system (bound by the adapter, stubbed by tests). */
export interface SigeventSetup {
  /** kqueue(2): a new descriptor, or null when it failed */
  kqueue(): number | null;
  /** thr_self(2): this thread's id */
  threadId(): number;
}

export interface FilledSigevent {
  /** the struct sigevent fields, for koffi.encode */
  value: { sigev_notify: number; sigev_signo: number; sigev_value: bigint; _sigev_un: bigint[] };
  /** the kqueue descriptor made for SIGEV_KEVENT, to close once the request has finished; null otherwise */
  kqueue: number | null;
  /** what the adapter chose, for error messages */
  what: string;
}

/** struct sigevent for aio_mlock's notification `notify`, filled so that the kernel's answer is about the mode
 * itself, not about fields left zero. sys/kern/vfs_aio.c aio_aqueue() accepts SIGEV_NONE, SIGEV_SIGNAL,
 * SIGEV_THREAD_ID and SIGEV_KEVENT and refuses anything else with EINVAL; for SIGEV_SIGNAL and SIGEV_THREAD_ID it
 * also refuses a sigev_signo that fails _SIG_VALID (0 does), and for SIGEV_KEVENT it registers an EVFILT_AIO event
 * on the kqueue descriptor sigev_notify_kqueue, which sys/sys/signal.h defines as sigev_signo itself.
 * - SIGEV_SIGNAL, SIGEV_THREAD_ID: sigev_signo SIGURG, valid and discarded by default (Node installs no handler for
 *   it), so the completion signal neither ends the worker nor is mistaken for anything; THREAD_ID also names this
 *   thread (_sigev_un._threadid, from thr_self).
 * - SIGEV_KEVENT: a fresh kqueue descriptor in sigev_notify_kqueue, _kevent_flags 0.
 * - SIGEV_THREAD and anything else: passed as they are. SIGEV_THREAD is a C-library mode: lib/librt/aio.c turns it
 *   into a kernel notification for aio_read, aio_write and aio_fsync only; aio_mlock is the bare system call, so the
 *   kernel sees SIGEV_THREAD and answers for itself (EINVAL). No function pointer would change that answer. */
export function sigeventFor(notify: number, setup: SigeventSetup): FilledSigevent {
  const zero = (): bigint[] => [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
  const base = { sigev_notify: notify, sigev_signo: 0, sigev_value: 0n, _sigev_un: zero() };
  const c = FREEBSD_CONSTANTS;
  if (BigInt(notify) === c.SIGEV_SIGNAL) return { value: { ...base, sigev_signo: SIGURG }, kqueue: null, what: 'sigev_signo SIGURG' };
  if (notify === SIGEV_THREAD_ID) {
    const un = zero();
    un[0] = BigInt(setup.threadId()); // __lwpid_t _threadid, the union's first 4 bytes (little-endian)
    return { value: { ...base, sigev_signo: SIGURG, _sigev_un: un }, kqueue: null, what: 'sigev_signo SIGURG, this thread' };
  }
  if (BigInt(notify) === c.SIGEV_KEVENT) {
    const kq = setup.kqueue();
    if (kq === null) throw new Error('aio_mlock with SIGEV_KEVENT needs a kqueue descriptor, and kqueue() failed');
    return { value: { ...base, sigev_signo: kq }, kqueue: kq, what: `sigev_notify_kqueue ${kq}` };
  }
  return { value: base, kqueue: null, what: 'nothing but sigev_notify' };
}

/** A zeroed aiocb with aio_buf, aio_nbytes and the sigevent set, as aio_mlock(2) reads it. */
export function aiocbFor(buf: bigint, nbytes: bigint, sigevent: FilledSigevent['value'], opcode = 0): Record<string, unknown> {
  return {
    aio_fildes: 0,
    aio_offset: 0n,
    aio_buf: buf,
    aio_nbytes: nbytes,
    __spare__: [0, 0],
    __spare2__: 0n,
    aio_lio_opcode: opcode,
    aio_reqprio: 0,
    _aiocb_private: { status: 0n, error: 0n, kernelinfo: 0n },
    aio_sigevent: sigevent,
  };
}

/** Control blocks of requests abandoned in flight: kept referenced so their memory is never reused. */
const abandoned: unknown[] = [];

/** A call's outcome: errno read only when it returned -1 (koffi keeps the last errno even after success). */
function outcomeOf(r: number | bigint): { ret: number; errno: number | null } {
  const ret = Number(r);
  return { ret, errno: ret === -1 ? koffi.errno() : null };
}

/** How one submitted aiocb at `at` is followed, whichever call submitted it (aio_mlock, lio_listio): its status by
 * aio_error, its result by aio_return. */
function requestOf(aioError: (cb: bigint) => unknown, aioReturn: (cb: bigint) => unknown, at: bigint): Pick<AioDriver, 'einprogress' | 'status' | 'result'> {
  return {
    einprogress: FREEBSD_ERRNO.EINPROGRESS as number,
    status: () => {
      const value = Number(aioError(at));
      return { value, errno: value === -1 ? koffi.errno() : null };
    },
    result: () => outcomeOf(aioReturn(at) as number | bigint),
  };
}

/** aio_mlock(aio_buf, aio_nbytes, sigev_notify) of the allowlist; undefined where libc lacks it (FreeBSD < 10). */
function aioMlock(ctx: PosixContext): ((args: readonly bigint[]) => ReturnType<Runner['call']>) | undefined {
  let f;
  try {
    f = {
      mlock: ctx.libc.func('int aio_mlock(uintptr_t cb)'),
      error: ctx.libc.func('int aio_error(uintptr_t cb)'),
      ret: ctx.libc.func('intptr_t aio_return(uintptr_t cb)'),
      kqueue: ctx.libc.func('int kqueue()'),
      close: ctx.libc.func('int close(int fd)'),
      thrSelf: ctx.libc.func('int thr_self(_Out_ int64_t *id)'),
    };
  } catch {
    return undefined;
  }
  const setup: SigeventSetup = {
    kqueue: () => {
      const kq = Number(f.kqueue());
      return kq < 0 ? null : kq;
    },
    threadId: () => {
      const id = [0n];
      f.thrSelf(id);
      return Number(id[0]);
    },
  };
  return (args) => {
    const sigevent = sigeventFor(Number(BigInt.asIntN(32, args[2] ?? 0n)), setup);
    const closeKqueue = (): void => void (sigevent.kqueue === null ? 0 : f.close(sigevent.kqueue));
    const cb = koffi.alloc(FREEBSD_AIOCB, 1);
    koffi.encode(cb, FREEBSD_AIOCB, aiocbFor(args[0] ?? 0n, args[1] ?? 0n, sigevent.value));
    const at = koffi.address(cb);
    const driver: AioDriver = {
      ...requestOf(f.error, f.ret, at),
      submit: () => outcomeOf(f.mlock(at)),
      release: () => {
        koffi.free(cb);
        closeKqueue();
      },
      // a request still in flight may yet write to the block and post to the kqueue: keep both
      abandon: () => void abandoned.push(cb, sigevent.kqueue),
    };
    return runAio(driver);
  };
}

/** lio_listio(mode, aio_buf, aio_nbytes) of the allowlist: lio_listio(mode, list, 1, NULL) with a one-element list
 * whose aiocb is aio_mlock's (zeroed, SIGEV_NONE) with aio_lio_opcode LIO_MLOCK; its completion is that request's
 * aio_error / aio_return, polled as for aio_mlock (with LIO_WAIT it has finished when lio_listio returns). */
function lioListio(ctx: PosixContext): ((args: readonly bigint[]) => ReturnType<Runner['call']>) | undefined {
  let f;
  try {
    f = {
      listio: ctx.libc.func('int lio_listio(int mode, uintptr_t *list, int nent, uintptr_t sig)'),
      error: ctx.libc.func('int aio_error(uintptr_t cb)'),
      ret: ctx.libc.func('intptr_t aio_return(uintptr_t cb)'),
    };
  } catch {
    return undefined;
  }
  const none = sigeventFor(Number(FREEBSD_CONSTANTS.SIGEV_NONE), { kqueue: () => null, threadId: () => 0 }).value;
  return (args) => {
    const mode = Number(BigInt.asIntN(32, args[0] ?? 0n));
    const cb = koffi.alloc(FREEBSD_AIOCB, 1);
    koffi.encode(cb, FREEBSD_AIOCB, aiocbFor(args[1] ?? 0n, args[2] ?? 0n, none, LIO_MLOCK));
    const at = koffi.address(cb);
    const driver: AioDriver = {
      ...requestOf(f.error, f.ret, at),
      submit: () => outcomeOf(f.listio(mode, [at], 1, 0n)),
      release: () => koffi.free(cb),
      abandon: () => void abandoned.push(cb),
    };
    return runAio(driver);
  };
}

// --- Lock state: sysctl({CTL_KERN, KERN_PROC, KERN_PROC_VMMAP, pid}) → packed struct kinfo_vmentry records -----

/** sys/sys/sysctl.h: CTL_KERN 1, KERN_PROC 14, KERN_PROC_VMMAP 32. */
export const KERN_PROC_VMMAP_MIB = [1, 14, 32] as const;
/** sys/sys/user.h */
export const KVME_FLAG_USER_WIRED = 0x00000040;
export const KVME_PROT_READ = 0x1;
export const KVME_PROT_WRITE = 0x2;

/** struct kinfo_vmentry (sys/sys/user.h), up to and including kve_path[PATH_MAX]: KINFO_VMENTRY_SIZE is 1160 on
 * amd64. The sysctl packs records, each kve_structsize long, with kve_path cut after its string. */
export const FREEBSD_KINFO_VMENTRY = koffi.struct({
  kve_structsize: 'int',
  kve_type: 'int',
  kve_start: 'uint64',
  kve_end: 'uint64',
  kve_offset: 'uint64',
  kve_vn_fileid: 'uint64',
  kve_vn_fsid_freebsd11: 'uint32',
  kve_flags: 'int',
  kve_resident: 'int',
  kve_private_resident: 'int',
  kve_protection: 'int',
  kve_ref_count: 'int',
  kve_shadow_count: 'int',
  kve_vn_type: 'int',
  kve_vn_size: 'uint64',
  kve_vn_rdev_freebsd11: 'uint32',
  kve_vn_mode: 'uint16',
  kve_status: 'uint16',
  kve_vn_fsid: 'uint64',
  kve_vn_rdev: 'uint64',
  _kve_ispare: koffi.array('int', 8),
  kve_path: koffi.array('char', 1024),
});

export interface VmEntry {
  start: bigint;
  end: bigint;
  flags: number;
  protection: number;
}

const off = (field: string): number => koffi.offsetof(FREEBSD_KINFO_VMENTRY, field);

/** Walk the packed records of a KERN_PROC_VMMAP answer. */
export function parseVmmap(buf: Uint8Array, length: number): VmEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, Math.min(length, buf.byteLength));
  const o = { size: off('kve_structsize'), start: off('kve_start'), end: off('kve_end'), flags: off('kve_flags'), prot: off('kve_protection') };
  const entries: VmEntry[] = [];
  for (let at = 0; at + o.prot + 4 <= view.byteLength; ) {
    const size = view.getInt32(at + o.size, true);
    if (size <= 0) break;
    entries.push({
      start: view.getBigUint64(at + o.start, true),
      end: view.getBigUint64(at + o.end, true),
      flags: view.getInt32(at + o.flags, true),
      protection: view.getInt32(at + o.prot, true),
    });
    at += size;
  }
  return entries;
}

export function pageLocksFromVmmap(entries: readonly VmEntry[], addr: bigint, pages: number, pageSize: bigint): PageLock[] {
  return Array.from({ length: pages }, (_, i): PageLock => {
    const at = addr + BigInt(i) * pageSize;
    const e = entries.find((v) => v.start <= at && at < v.end);
    return e === undefined ? '-' : e.flags & KVME_FLAG_USER_WIRED ? 'L' : 'U';
  });
}

function vmmapReader(ctx: PosixContext): () => VmEntry[] | null {
  const sysctl = ctx.libc.func('int sysctl(void *name, uint32_t namelen, void *oldp, void *oldlenp, void *newp, size_t newlen)');
  const mib = new Int32Array([...KERN_PROC_VMMAP_MIB, process.pid]);
  return () => {
    const len = new BigUint64Array(1);
    if (sysctl(mib, mib.length, null, len, null, 0n) !== 0) return null;
    // The map can grow between the two calls: leave room.
    const buf = Buffer.alloc(Number(len[0] ?? 0n) * 2 + 4096);
    len[0] = BigInt(buf.length);
    if (sysctl(mib, mib.length, buf, len, null, 0n) !== 0) return null;
    return parseVmmap(buf, Number(len[0]));
  };
}

/** Who may lock beyond RLIMIT_MEMLOCK on FreeBSD: nobody. sys/vm/vm_mmap.c kern_mlock() first asks
 * priv_check_cred(PRIV_VM_MLOCK), which only decides whether the caller may call mlock at all (root holds it;
 * sys/kern/kern_priv.c grants it to everyone while security.bsd.unprivileged_mlock is 1), and then refuses with
 * ENOMEM any request that takes the process's wired pages past lim_cur(RLIMIT_MEMLOCK), root included;
 * sys_mlockall() checks MCL_CURRENT against the same limit. Root can only raise its limit. */
export const FREEBSD_LOCK_PRIVILEGE = {
  canLockMemory: (): boolean => false,
  privilegedIsRoot:
    'FreeBSD exempts nobody from RLIMIT_MEMLOCK: kern_mlock in sys/vm/vm_mmap.c applies it to root too; PRIV_VM_MLOCK only permits calling mlock',
} as const;

export function createFreebsdRunner(): Runner {
  let vmmap: (() => VmEntry[] | null) | undefined;
  const read = (ctx: PosixContext): (() => VmEntry[] | null) => (vmmap ??= vmmapReader(ctx));
  const runner = createPosixRunner(FREEBSD, {
    libcVersion(libc) {
      try {
        return `FreeBSD libc (osreldate ${libc.func('int getosreldate()')() as number})`;
      } catch {
        return 'FreeBSD libc';
      }
    },
    canLockMemory: FREEBSD_LOCK_PRIVILEGE.canLockMemory,
    lockProbe(ctx) {
      const entries = read(ctx);
      return {
        method: 'sysctl kern.proc.vmmap: KVME_FLAG_USER_WIRED of the map entry holding each page (per map entry: vm_map_wire clips an entry where a lock starts or ends)',
        pageLocks: (addr, pages) => {
          const e = entries();
          return e === null ? null : pageLocksFromVmmap(e, addr, pages, BigInt(ctx.pageSize));
        },
      };
    },
    totalProbe(ctx) {
      const entries = read(ctx);
      return {
        method: 'sysctl kern.proc.vmmap: bytes in map entries flagged KVME_FLAG_USER_WIRED',
        lockedBytes: () => {
          const e = entries();
          return e === null ? null : Number(e.filter((v) => v.flags & KVME_FLAG_USER_WIRED).reduce((n, v) => n + (v.end - v.start), 0n));
        },
      };
    },
    lockableBytes(ctx) {
      const e = read(ctx)();
      return e === null ? null : Number(e.filter((v) => v.protection & (KVME_PROT_READ | KVME_PROT_WRITE)).reduce((n, v) => n + (v.end - v.start), 0n));
    },
    extraCallables(ctx) {
      const aio = aioMlock(ctx);
      const lio = lioListio(ctx);
      return { ...(aio ? { aio_mlock: aio } : {}), ...(lio ? { lio_listio: lio } : {}) };
    },
  });
  return { ...runner, privilegedIsRoot: FREEBSD_LOCK_PRIVILEGE.privilegedIsRoot };
}
