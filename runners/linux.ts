// Linux adapter: glibc (libc.so.6) through koffi, Linux constants, errno names from Node's own table, and the
// probes /proc offers: per-VMA lock flags (smaps VmFlags `lo`), residency (mincore) and VmLck.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import koffi from 'koffi';
import { addressSpaceOf, linuxMmapMinAddr } from './address-space.js';
import type { CallableName, ConstantName } from '../src/spec/functions.js';
import { accessibleBytesIn, lockedBytesIn, pinnedBytesIn, pageLocksIn, parseSmaps, statusField as statusFieldIn, type Vma } from './linux-proc.js';
import { createProcessProbes } from './linux-process.js';
import { calibrateResidency, convertArgs, errnoNames, prototypeOf, SYNC_CALLABLES } from './posix-common.js';
import { classifyRuntime, gatherRuntimeEvidence } from './linux-runtime.js';
import type { CallResult, Credentials, PageLock, PageResidency, ProbeInfo, Runner } from './types.js';

export { parseSmaps } from './linux-proc.js';

const SC_PAGESIZE = 30;
const RLIMIT_MEMLOCK = 8;
const RLIM_INFINITY = (1n << 64n) - 1n;
const CAP_IPC_LOCK = 14n;
const PROT = { none: 0, r: 1, rw: 3 } as const;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const MAP_FAILED = (1n << 64n) - 1n;
const MS_INVALIDATE = 2;

const CONSTANTS: Partial<Record<ConstantName, bigint>> = {
  MCL_CURRENT: 1n,
  MCL_FUTURE: 2n,
  MCL_ONFAULT: 4n,
  PROT_NONE: 0n,
  PROT_READ: 1n,
  PROT_WRITE: 2n,
  PROT_EXEC: 4n,
  SIZE_MAX: (1n << 64n) - 1n,
  NULL: 0n,
};

const ownStatus = (): string => readFileSync('/proc/self/status', 'utf8');
const statusField = (name: string): string | null => statusFieldIn(ownStatus(), name);

export function createLinuxRunner(): Runner {
  const libc = koffi.load('libc.so.6');
  // Registered by name: the getrlimit/setrlimit prototypes below refer to "semconf_rlimit".
  koffi.struct('semconf_rlimit', { cur: 'uint64', max: 'uint64' });
  // Internal bindings: never reachable from specs.
  const sys = {
    sysconf: libc.func('long sysconf(int name)'),
    mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)'),
    munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
    mprotect: libc.func('int mprotect(uintptr_t addr, size_t len, int prot)'),
    mincore: libc.func('int mincore(uintptr_t addr, size_t len, _Out_ uint8_t *vec)'),
    memset: libc.func('uintptr_t memset(uintptr_t s, int c, size_t n)'),
    getrlimit: libc.func('int getrlimit(int resource, _Out_ semconf_rlimit *rlim)'),
    msync: libc.func('int msync(uintptr_t addr, size_t len, int flags)'),
    setrlimit: libc.func('int setrlimit(int resource, const semconf_rlimit *rlim)'),
    exit: libc.func('void _exit(int status)'),
    libcVersion: libc.func('const char *gnu_get_libc_version()'),
  };
  // The spec-callable allowlist (src/spec/functions.ts), bound with 64-bit integer parameters for addresses.
  // glibc has no aio_mlock (a FreeBSD extension): cases calling it are `unsupported` here.
  const callables = new Map<CallableName, (...args: (bigint | number)[]) => unknown>(
    SYNC_CALLABLES.map((fn) => [fn, libc.func(prototypeOf(fn))]),
  );
  const pageSize = Number(sys.sysconf(SC_PAGESIZE));
  const ps = BigInt(pageSize);
  const errnoTable = errnoNames(os.constants.errno);

  // Reading smaps makes the kernel walk every VMA of this (large) process, so the lock-state probe reads it once per
  // observation. Every change to the test mappings goes through `call` or `memory`, which drop the cached reading.
  let vmaReading: Vma[] | null = null;
  const vmas = (): Vma[] => (vmaReading ??= parseSmaps(readFileSync('/proc/self/smaps', 'utf8')) ?? []);
  const changed = <T>(result: T): T => {
    vmaReading = null;
    return result;
  };

  const call = (fn: CallableName, args: readonly bigint[]): CallResult => {
    vmaReading = null;
    const f = callables.get(fn);
    if (f === undefined) throw new Error(`${fn} is not bound on Linux`);
    const ret = Number(f(...convertArgs(fn, args)));
    // koffi keeps the last errno even after success: read it only when the call reported failure.
    return { ret, errno: ret === -1 ? koffi.errno() : null };
  };

  const memory: Runner['memory'] = {
    reserve(pages) {
      const addr = BigInt(sys.mmap(0n, BigInt(pages) * ps, PROT.none, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0n));
      return changed(addr === MAP_FAILED ? null : addr);
    },
    protect: (addr, pages, prot) => changed(sys.mprotect(addr, BigInt(pages) * ps, PROT[prot]) === 0),
    unmap: (addr, pages) => changed(sys.munmap(addr, BigInt(pages) * ps) === 0),
    touch(addr, pages) {
      changed(sys.memset(addr, 0, BigInt(pages) * ps));
    },
    isMapped: (addr) => sys.mincore(addr, ps, Buffer.alloc(1)) === 0,
  };

  const pageResidency = (addr: bigint, pages: number): PageResidency[] => {
    const vec = Buffer.alloc(1);
    return Array.from({ length: pages }, (_, i) =>
      sys.mincore(addr + BigInt(i) * ps, ps, vec) === -1 ? '-' : (vec[0] ?? 0) & 1 ? 'R' : 'N',
    );
  };

  // Probe calibration: a probe counts as available only if it can tell the difference it is asked about.
  const smapsWorks = parseSmaps(readFileSync('/proc/self/smaps', 'utf8')) !== null;
  // gVisor or Linux: decided from inside (kernel log, uname, VmLck), recorded with its basis in the facts.
  const runtime = classifyRuntime(gatherRuntimeEvidence(libc));
  // gVisor writes "lo" from the VMA's mlock mode in its own memory manager, which does not ask the host to lock
  // anything (pkg/sentry/memmap MLockEager: "does not cause memory-locking to be requested from the host").
  const lockSource =
    runtime.runtime === 'gvisor'
      ? "; under gVisor this is the sandbox kernel's mlock mode of the VMA: gVisor does not lock its memory on the host"
      : '';
  // Two ways to read a page's lock state. smaps VmFlags "lo" is the kernel's own report, but each reading walks the
  // whole process (milliseconds in a Node worker). msync(MS_INVALIDATE) fails with EBUSY where "a memory lock exists
  // for the specified address range" (Linux msync(2)) and changes nothing on private anonymous memory: microseconds
  // per page. msync is used only when, at start, it agrees with smaps on a page before, during and after a lock.
  const msyncPageLocks = (addr: bigint, pages: number): PageLock[] =>
    Array.from({ length: pages }, (_, i): PageLock => {
      if (sys.msync(addr + BigInt(i) * ps, ps, MS_INVALIDATE) === 0) return 'U';
      const errno = koffi.errno();
      if (errno === os.constants.errno.EBUSY) return 'L';
      if (errno === os.constants.errno.ENOMEM) return '-';
      throw new Error(`lock-state probe: msync(MS_INVALIDATE) failed with errno ${errno}, which says nothing about locks`);
    });
  const smapsMethod = `/proc/self/smaps VmFlags "lo" of the VMA holding each page${lockSource}`;
  const msyncAgrees =
    smapsWorks &&
    calibrateLockProbe(
      memory,
      (a, n) => call('mlock', [a, BigInt(n) * ps]).ret === 0,
      (a, n) => call('munlock', [a, BigInt(n) * ps]).ret === 0,
      (a, n) => [msyncPageLocks(a, n).join(''), pageLocksIn(parseSmaps(readFileSync('/proc/self/smaps', 'utf8')) ?? [], a, n, ps).join('')],
      ps,
    );
  const lockState: ProbeInfo = msyncAgrees
    ? { available: true, method: `msync(MS_INVALIDATE) per page (EBUSY where locked), calibrated against ${smapsMethod}` }
    : smapsWorks
      ? { available: true, method: `${smapsMethod} (msync(MS_INVALIDATE) disagreed with it at calibration, so it is not used)` }
      : { available: false, method: '/proc/self/smaps has no VmFlags lines' };
  const residency = calibrateResidency(pageResidency, { memory, pageSize });
  const lockedTotal: ProbeInfo =
    statusField('VmLck') !== null
      ? { available: true, method: '/proc/self/status VmLck' }
      : { available: false, method: '/proc/self/status has no VmLck line' };

  const processProbes = createProcessProbes(libc, ps);

  const rlimit = (): { cur: bigint; max: bigint } => {
    const out: { cur?: bigint | number; max?: bigint | number } = {};
    sys.getrlimit(RLIMIT_MEMLOCK, out);
    return { cur: BigInt(out.cur ?? 0), max: BigInt(out.max ?? 0) };
  };
  const showLimit = (v: bigint): string => (v === RLIM_INFINITY ? 'unlimited' : String(v));

  const libcVersion = String(sys.libcVersion());
  const arch = os.machine();
  return {
    facts: {
      id: `linux-${arch}-glibc${runtime.runtime === 'native' ? '' : `-${runtime.runtime}`}`,
      os: 'linux',
      release: os.release(),
      kernel: os.version(),
      arch,
      libc: `glibc ${libcVersion}`,
      runtime: runtime.runtime,
      runtimeBasis: runtime.basis,
      pageSize,
      node: process.version,
      koffi: koffi.version,
    },
    pageSize,
    addressSpace: addressSpaceOf(koffi.sizeof('uintptr_t') * 8, pageSize, linuxMmapMinAddr(pageSize)),
    constants: CONSTANTS,
    errnoName: (n) => errnoTable.get(n)?.[0] ?? `errno ${n}`,
    has: (fn) => callables.has(fn),
    call,
    memory,
    probes: {
      lockState,
      residency,
      lockedTotal,
      pageLocks(addr, pages) {
        if (!lockState.available) return null;
        return msyncAgrees ? msyncPageLocks(addr, pages) : pageLocksIn(vmas(), addr, pages, ps);
      },
      pageResidency: (addr, pages) => (residency.available ? pageResidency(addr, pages) : null),
      lockedBytes: () => lockedBytesIn(ownStatus()),
      pinnedBytes: () => {
        try {
          return pinnedBytesIn(readFileSync('/proc/self/smaps_rollup', 'utf8'));
        } catch {
          return null; // no smaps_rollup (before Linux 4.14; gVisor)
        }
      },
      lockableBytes: () => accessibleBytesIn(readFileSync('/proc/self/maps', 'utf8')),
      ...processProbes,
      // Without VmLck (gVisor) a child's or exec'd program's locked total cannot be read: say so, never guess.
      ...(lockedTotal.available
        ? {}
        : {
            forkChild: { ...processProbes.forkChild, method: `${processProbes.forkChild.method}; its locked total cannot be read here: ${lockedTotal.method}` },
            execChild: { available: false, method: `an exec'd program's locked total cannot be read here: ${lockedTotal.method}` },
          }),
    },
    credentials(): Credentials {
      const capEff = statusField('CapEff');
      const caps = capEff === null ? 0n : BigInt(`0x${capEff}`);
      const lim = rlimit();
      return {
        uid: process.getuid?.() ?? -1,
        euid: process.geteuid?.() ?? -1,
        gid: process.getgid?.() ?? -1,
        capEff,
        canLockMemory: ((caps >> CAP_IPC_LOCK) & 1n) === 1n,
        memlock: { soft: showLimit(lim.cur), hard: showLimit(lim.max) },
      };
    },
    setMemlockLimit(bytes) {
      const v = bytes ?? RLIM_INFINITY;
      return sys.setrlimit(RLIMIT_MEMLOCK, { cur: v, max: v }) === 0;
    },
    exitNow(code): never {
      sys.exit(code);
      throw new Error('_exit returned');
    },
  };
}

/** The msync probe must read pages as the kernel's smaps does, in the shapes cases produce: a page before, during
 * and after a lock, and an unmapped page between two locked ones (gVisor's msync calls that hole locked). */
function calibrateLockProbe(
  memory: Runner['memory'],
  lock: (addr: bigint, pages: number) => boolean,
  unlock: (addr: bigint, pages: number) => boolean,
  both: (addr: bigint, pages: number) => [string, string],
  pageSize: bigint,
): boolean {
  const addr = memory.reserve(3);
  if (addr === null) return false;
  try {
    if (!memory.protect(addr, 3, 'rw') || !memory.unmap(addr + pageSize, 1)) return false;
    const agree = (want: string): boolean => both(addr, 3).every((seen) => seen === want);
    const lockOuter = (): boolean => lock(addr, 1) && lock(addr + 2n * pageSize, 1);
    return agree('U-U') && lockOuter() && agree('L-L') && unlock(addr, 1) && unlock(addr + 2n * pageSize, 1) && agree('U-U');
  } finally {
    memory.unmap(addr, 3);
  }
}

