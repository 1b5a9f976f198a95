// What every adapter (Linux, FreeBSD, macOS, illumos) shares: binding the allowlisted calls with koffi at this
// process's width, the memory the worker places cases in, residency through mincore, resource limits, the target's
// facts, and the calibration every probe must pass before it counts as available. Each OS file supplies only data
// (constants, errno numbers, layouts) and its own probes as hooks (Linux layers /proc, fork/exec and gVisor
// detection on top). Nothing here loads a library at import time: koffi.load happens in createPosixRunner, so tests
// on any machine can import the tables and layouts.
//
// Width: nothing here assumes 64 bits. size_t and addresses are as wide as koffi's uintptr_t in this process (32 bits
// in an i386 Node on an x86_64 kernel), and SIZE_MAX, UINTPTR_MAX, MAP_FAILED and the conversion of spec arguments
// follow it, so a 32-bit process is simply the same adapter on a 32-bit Node.
import os from 'node:os';
import { addressSpaceOf } from './address-space.js';
import koffi, { type LibraryHandle } from 'koffi';
import type { WordBits } from '../src/spec/call.js';
import { CALLABLES, type CallableName, type ConstantName, POINTER_RETURNING, type ParamKind, type WidthConstant } from '../src/spec/functions.js';
import type { CallResult, Credentials, ForkCopy, MapHow, PageLock, PageResidency, ProbeBacking, ProbeInfo, Probes, Runner, TargetFacts } from './types.js';

/** Everything about one OS that is plain data, so it can be unit-tested on a machine that is not that OS. */
export interface PosixPlatform {
  /** facts.os */
  os: string;
  /** the C library koffi loads */
  library: string;
  /** short name of the C library in the target id, e.g. "libc" in freebsd-amd64-libc */
  libcId: string;
  /** the header constants; SIZE_MAX and UINTPTR_MAX are not among them: they follow the ABI (widthConstants) */
  constants: Partial<Record<Exclude<ConstantName, WidthConstant>, bigint>>;
  /** errno name → number, from the OS's own <sys/errno.h> (aliases included, e.g. EWOULDBLOCK) */
  errno: Readonly<Record<string, number>>;
  /** <sys/mman.h> values the worker's own memory handling needs */
  mman: {
    PROT_NONE: number; PROT_READ: number; PROT_WRITE: number; MAP_PRIVATE: number; MAP_ANON: number; MAP_NORESERVE: number;
    MAP_SHARED: number; MAP_FIXED: number;
    /** Linux's MAP_LOCKED; absent where the OS has none (a case asking for it is unsupported) */
    MAP_LOCKED?: number;
  };
  /** the bit of a mincore(2) vector entry that means "resident" (MINCORE_INCORE, or 1 where it has no name) */
  mincoreResident: number;
  /** RLIMIT_MEMLOCK and RLIM_INFINITY; null where the OS has no such limit (illumos). `symbols`: the get/set pair
   * whose struct rlimit is two 64-bit words on every ABI (default getrlimit/setrlimit, right where rlim_t is 64-bit
   * everywhere, as on FreeBSD and macOS; glibc's plain getrlimit takes two longs on i386, its getrlimit64 does not) */
  rlimit: { memlock: number; infinity: bigint; symbols?: { get: string; set: string } } | null;
  /** the C type of the offset of the `mmap` symbol (default int64_t, the BSDs' and macOS's off_t on every ABI;
   * glibc's plain mmap takes a long, 32-bit on i386) */
  mmapOffset?: 'int64_t' | 'long';
}

/** size_t and address width of this process, from koffi's own types; they must agree (every ABI semconf knows). */
export function abiWordBits(sizeOf: (type: string) => number = (t) => koffi.sizeof(t)): WordBits {
  const ptr = sizeOf('uintptr_t') * 8;
  const size = sizeOf('size_t') * 8;
  if (ptr !== size || (ptr !== 32 && ptr !== 64)) {
    throw new Error(`this process has ${ptr}-bit addresses and a ${size}-bit size_t; semconf knows 32- and 64-bit ABIs where both agree`);
  }
  return ptr;
}

/** SIZE_MAX and UINTPTR_MAX at a width: the largest length and the highest address (the top of the address space). */
export function widthConstants(bits: WordBits): Record<WidthConstant, bigint> {
  const max = (1n << BigInt(bits)) - 1n;
  return { SIZE_MAX: max, UINTPTR_MAX: max };
}

/** Node's process.arch of a program built for the kernel's own ABI, by the kernel's machine name (uname -m). */
const KERNEL_ABI: Readonly<Record<string, string>> = {
  x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64', i386: 'ia32', i686: 'ia32', riscv64: 'riscv64',
  ppc64le: 'ppc64', s390x: 's390x', loongarch64: 'loong64',
};

/** The ABI this process calls through where it is not the kernel's own (an i386 Node on an x86_64 kernel: "ia32"),
 * else null; an unknown machine name is taken as the process's own. */
export function foreignAbi(machine: string, arch: string): string | null {
  const own = KERNEL_ABI[machine.toLowerCase()];
  return own === undefined || own === arch ? null : arch;
}

/** Where two names share a number, the POSIX spelling is the name reported. */
const PREFERRED_ERRNO = ['EAGAIN', 'ENOTSUP', 'EDEADLK'];

/** number → names, POSIX spelling first (EAGAIN over EWOULDBLOCK, ENOTSUP over EOPNOTSUPP where they are equal). */
export function errnoNames(table: Readonly<Record<string, number>>): Map<number, string[]> {
  const byNumber = new Map<number, string[]>();
  for (const [name, n] of Object.entries(table)) byNumber.set(n, [...(byNumber.get(n) ?? []), name]);
  for (const names of byNumber.values()) {
    names.sort((a, b) => Number(PREFERRED_ERRNO.includes(b)) - Number(PREFERRED_ERRNO.includes(a)) || a.localeCompare(b));
  }
  return byNumber;
}

/** koffi type of each parameter kind of the allowlist: addresses and sizes as wide as the ABI's, flags are C int. */
const C_TYPE: Record<ParamKind, string> = { addr: 'uintptr_t', size: 'size_t', resize: 'size_t', int: 'int', file: 'int', mapping: 'uintptr_t' };

/** The C prototype of an allowlisted function, e.g. "int mlock(uintptr_t a0, size_t a1)"; a pointer-returning one
 * (mremap) returns uintptr_t, compared with MAP_FAILED by bindPointerCall. */
export function prototypeOf(fn: CallableName): string {
  const params = CALLABLES[fn].map((kind, i) => `${C_TYPE[kind]} a${i}`);
  return `${POINTER_RETURNING.has(fn) ? 'uintptr_t' : 'int'} ${fn}(${params.join(', ')})`;
}

/** A spec argument (a value modulo 2^bits, see call.ts) converted for the parameter's C type: ints wrap like a C
 * cast, addresses and sizes to the ABI's width. */
export function convertArgs(fn: CallableName, args: readonly bigint[], bits: WordBits): (bigint | number)[] {
  return CALLABLES[fn].map((kind, i) => {
    const v = args[i] ?? 0n;
    return kind === 'int' || kind === 'file' ? Number(BigInt.asIntN(32, v)) : BigInt.asUintN(bits, v);
  });
}

/** The synchronous calls every POSIX adapter binds the same way; aio_mlock, mlock2 and mremap are per OS. */
export const SYNC_CALLABLES = ['mlock', 'munlock', 'mlockall', 'munlockall', 'munmap', 'mprotect', 'madvise', 'msync'] as const satisfies readonly CallableName[];

/** The allowlisted function's symbol bound with its prototype, or null where libc lacks it. */
function boundOrNull(libc: LibraryHandle, fn: CallableName): ((...a: unknown[]) => unknown) | null {
  try {
    return libc.func(prototypeOf(fn)) as (...a: unknown[]) => unknown;
  } catch {
    return null;
  }
}

/** An int-returning allowlisted call bound from `libc`, or null where the symbol is absent (its cases are then
 * unsupported, as mlock2 before glibc 2.27). */
export function bindIntCall(libc: LibraryHandle, fn: CallableName, bits: WordBits): ((args: readonly bigint[]) => CallResult) | null {
  const f = boundOrNull(libc, fn);
  if (f === null) return null;
  return (args) => {
    const ret = Number(f(...convertArgs(fn, args, bits)));
    // koffi keeps the last errno even after success: read it only when the call reported failure.
    return { ret, errno: ret === -1 ? koffi.errno() : null };
  };
}

/** A pointer-returning allowlisted call (mremap) bound from `libc`, or null where the symbol is absent (then its cases
 * are unsupported). Success is ret 0 with the address; MAP_FAILED ((void *) -1 at the width) is -1 with errno. */
export function bindPointerCall(libc: LibraryHandle, fn: CallableName, bits: WordBits): ((args: readonly bigint[]) => CallResult) | null {
  const f = boundOrNull(libc, fn);
  if (f === null) return null;
  const failed = widthConstants(bits).UINTPTR_MAX;
  return (args) => {
    const address = BigInt.asUintN(bits, BigInt(f(...convertArgs(fn, args, bits)) as bigint | number));
    return address === failed ? { ret: -1, errno: koffi.errno() } : { ret: 0, errno: null, address };
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Asynchronous requests: submit, poll the error status until the request leaves EINPROGRESS, read the return.

export interface AioDriver {
  /** submit the request; returns the call's own result (-1 with errno when it was refused) */
  submit(): { ret: number; errno: number | null };
  /** aio_error(3): EINPROGRESS, 0, an errno value, or -1 (with errno in the second member) */
  status(): { value: number; errno: number | null };
  /** aio_return(3), called once after the request left EINPROGRESS */
  result(): { ret: number; errno: number | null };
  /** release the control block (only after the request has finished) */
  release(): void;
  /** keep the control block alive for good: a request still in flight may write to it */
  abandon(): void;
  einprogress: number;
}

export class AioTimeout extends Error {}

/** Run one asynchronous request to its end, waiting at most `deadlineMs` (polled every `pollMs`). */
export function runAio(d: AioDriver, deadlineMs = 2000, pollMs = 1, sleep: (ms: number) => void = sleepMs): CallResult {
  const submitted = d.submit();
  if (submitted.ret === -1) {
    d.release();
    return { ret: -1, errno: submitted.errno };
  }
  const deadline = performance.now() + deadlineMs;
  let st = d.status();
  while (st.value === d.einprogress) {
    if (performance.now() > deadline) {
      d.abandon();
      throw new AioTimeout(`the request was still in progress after ${deadlineMs} ms (aio_error kept returning EINPROGRESS)`);
    }
    sleep(pollMs);
    st = d.status();
  }
  if (st.value === -1) {
    d.release();
    throw new Error(`aio_error failed with errno ${st.errno ?? '?'}: the submitted request is unknown to the kernel`);
  }
  const r = d.result();
  d.release();
  // aio_return gives the request's return value; when the request failed, aio_error's value is its errno.
  return { ret: submitted.ret, errno: null, completion: { ret: r.ret, errno: st.value === 0 ? null : st.value } };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

// ---------------------------------------------------------------------------------------------------------------
// Probe calibration: a probe counts as available only when it shows, on a page of this process, the very
// difference it is asked about. A probe written from headers for an OS this code was never run on proves itself
// here, or declares itself blind, with the reason.

export interface LockProbe {
  /** how it observes, e.g. "sysctl kern.proc.vmmap KVME_FLAG_USER_WIRED" */
  method: string;
  pageLocks(addr: bigint, pages: number, backing?: ProbeBacking): PageLock[] | null;
  /** where the OS file has calibrated the probe itself against the kernel's own report, in shapes the one-page check
   * below does not make (Linux: msync against smaps, across a hole), what it found; else calibrateLocks runs */
  calibrated?: ProbeInfo;
}

export interface TotalProbe {
  method: string;
  lockedBytes(): number | null;
  /** what locks really pin, where the OS tells it apart from what it charges (Linux: smaps_rollup Locked) */
  pinnedBytes?(): number | null;
  /** where the OS file reads the kernel's own counter and has checked it exists (Linux: VmLck), what it found; else
   * calibrateTotal runs */
  calibrated?: ProbeInfo;
}

export interface CalibrationTools {
  memory: Runner['memory'];
  pageSize: number;
  lock(addr: bigint, bytes: bigint): { ret: number; errno: number | null };
  unlock(addr: bigint, bytes: bigint): void;
  errnoName(n: number): string;
}

/** Lock one page of a fenced three-page mapping: the probe must see exactly that page locked, then none. */
export function calibrateLocks(probe: LockProbe, t: CalibrationTools): ProbeInfo {
  const fenced = withFencedPage(t, (page) => {
    const before = probe.pageLocks(page, 1)?.join('');
    const r = t.lock(page, BigInt(t.pageSize));
    if (r.ret !== 0) return `could not calibrate: mlock of a test page failed with ${r.errno === null ? 'no errno' : t.errnoName(r.errno)}`;
    const locked = probe.pageLocks(page, 1)?.join('');
    t.unlock(page, BigInt(t.pageSize));
    const after = probe.pageLocks(page, 1)?.join('');
    if (before === 'U' && locked === 'L' && after === 'U') return null;
    return `calibration failed: a test page read ${before ?? 'null'} before mlock, ${locked ?? 'null'} after it and ${after ?? 'null'} after munlock (expected U, L, U)`;
  });
  return fenced === null ? { available: true, method: `${probe.method} (calibrated)` } : { available: false, method: `${probe.method}: ${fenced}` };
}

/** Locking one page must raise the total by one page, and unlocking must bring it back. */
export function calibrateTotal(probe: TotalProbe, t: CalibrationTools): ProbeInfo {
  const fenced = withFencedPage(t, (page) => {
    const before = probe.lockedBytes();
    const r = t.lock(page, BigInt(t.pageSize));
    if (r.ret !== 0) return `could not calibrate: mlock of a test page failed with ${r.errno === null ? 'no errno' : t.errnoName(r.errno)}`;
    const locked = probe.lockedBytes();
    t.unlock(page, BigInt(t.pageSize));
    const after = probe.lockedBytes();
    if (before !== null && locked === before + t.pageSize && after === before) return null;
    return `calibration failed: ${before ?? 'null'} B before locking a test page, ${locked ?? 'null'} B after, ${after ?? 'null'} B after unlocking (expected a difference of one page, ${t.pageSize} B)`;
  });
  return fenced === null ? { available: true, method: `${probe.method} (calibrated)` } : { available: false, method: `${probe.method}: ${fenced}` };
}

/** A fresh untouched page must read not resident, the same page after a write resident. */
export function calibrateResidency(
  pageResidency: (addr: bigint, pages: number) => PageResidency[],
  t: Pick<CalibrationTools, 'memory' | 'pageSize'>,
): ProbeInfo {
  const fenced = withFencedPage(t, (page) => {
    const fresh = pageResidency(page, 1)[0];
    t.memory.touch(page, 1);
    const touched = pageResidency(page, 1)[0];
    if (fresh === 'N' && touched === 'R') return null;
    const word = (r: PageResidency | undefined): string => (r === 'R' ? 'resident' : r === 'N' ? 'not resident' : r === '-' ? 'unmapped' : '?');
    return `reports an untouched page as ${word(fresh)} and a written one as ${word(touched)}, so it cannot tell`;
  });
  return fenced === null
    ? { available: true, method: 'mincore, calibrated: an untouched page reads as not resident, a written one as resident' }
    : { available: false, method: `mincore ${fenced}` };
}

/** Run `check` on the middle, read-write page of guard + page + guard; returns its complaint or null. */
function withFencedPage(t: Pick<CalibrationTools, 'memory' | 'pageSize'>, check: (page: bigint) => string | null): string | null {
  const base = t.memory.reserve(3);
  if (base === null) return 'could not map calibration pages';
  const page = base + BigInt(t.pageSize);
  try {
    if (!t.memory.protect(page, 1, 'rw')) return 'could not make a calibration page writable';
    return check(page);
  } finally {
    t.memory.unmap(base, 3);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The runner.

/** The probes that look beyond the worker: a forked child and an exec'd program. */
export type ProcessProbes = Pick<Probes, 'forkChild' | 'execChild' | 'inspectForkedChild' | 'execSelf'>;

/** What executes the system calls (see TargetFacts.runtime), and how that was determined. */
export interface RuntimeVerdict {
  runtime: string;
  basis: string;
}

/** What an OS file adds to the shared part, given the loaded library. */
export interface PosixHooks {
  /** the C library's version for the facts, e.g. "FreeBSD libc (osreldate 1402000)" */
  libcVersion(libc: LibraryHandle): string;
  /** whether this process may lock memory beyond RLIMIT_MEMLOCK (root, or a privilege); `capEff`: what the capEff
   * hook read just before, so that an OS whose privilege is a capability reads its process status once */
  canLockMemory(libc: LibraryHandle, euid: number, capEff: string | null): boolean;
  lockProbe(ctx: PosixContext): LockProbe;
  totalProbe(ctx: PosixContext): TotalProbe;
  /** bytes in readable or writable mappings (what mlockall(MCL_CURRENT) would pin); null when unknown */
  lockableBytes?(ctx: PosixContext): number | null;
  /** every mapping of the process (Linux: /proc/self/maps), for the check of where a moved mapping landed */
  mappedRanges?(): { start: bigint; end: bigint }[] | null;
  /** calls this OS binds itself (aio_mlock on FreeBSD; mlock2 and mremap on Linux) */
  extraCallables?(ctx: PosixContext): Partial<Record<CallableName, (args: readonly bigint[]) => CallResult>>;
  /** the first address a process may map (below it: the NULL page form of confinement); default: the first page */
  nullEnd?(pageSize: number): bigint;
  /** the effective capability set as hex, where the OS has capabilities (Linux) */
  capEff?(): string | null;
  /** what executes the system calls; default: native (the OS file knows no sandbox that reimplements them) */
  runtime?(ctx: PosixContext): RuntimeVerdict;
  /** fork and exec probes (Linux); default: unavailable. `lockedTotal` is the calibrated locked-total probe */
  processProbes?(ctx: PosixContext, lockedTotal: ProbeInfo): ProcessProbes;
  /** a copy of the worker that runs a case needing a process of its own (Linux); default: none (a fresh process) */
  forkCopy?(ctx: PosixContext): ForkCopy;
}

export interface PosixContext {
  libc: LibraryHandle;
  pageSize: number;
  wordBits: WordBits;
  memory: Runner['memory'];
  /** an allowlisted call, as a case makes it (for calibrations that lock and unlock) */
  call(fn: CallableName, args: readonly bigint[]): CallResult;
  /** a counter that moves whenever memory or an allowlisted call may have changed the address space: a probe that
   * caches a reading of it (Linux's smaps) reads again when it moved */
  generation(): number;
}

/** The mmap flags of the worker's reservations: private, anonymous, and MAP_NORESERVE where the OS file asks for it
 * (0 where it must not: illumos' /proc leaves untouched NORESERVE pages out of xmap). */
export const reserveFlags = (m: PosixPlatform['mman']): number => m.MAP_PRIVATE | m.MAP_ANON | m.MAP_NORESERVE;

const showLimit = (v: bigint, infinity: bigint): string => (v === infinity ? 'unlimited' : String(v));

/** struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; } with a 64-bit rlim_t (FreeBSD and macOS on every ABI;
 * glibc's struct rlimit64). Anonymous: koffi's type names are process-wide, and this module may be evaluated more
 * than once in one process (tests). */
export const RLIMIT64 = koffi.struct({ cur: 'uint64', max: 'uint64' });

export function createPosixRunner(platform: PosixPlatform, hooks: PosixHooks): Runner {
  let libc: LibraryHandle;
  try {
    libc = koffi.load(platform.library);
  } catch (e) {
    throw new Error(`the ${platform.os} runner cannot load ${platform.library}: ${(e as Error).message}`);
  }
  const m = platform.mman;
  const wordBits = abiWordBits();
  const rlimitSymbols = platform.rlimit?.symbols ?? { get: 'getrlimit', set: 'setrlimit' };
  const sys = {
    getpagesize: libc.func('int getpagesize()'),
    mmap: libc.func(`uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, ${platform.mmapOffset ?? 'int64_t'} off)`),
    munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
    mprotect: libc.func('int mprotect(uintptr_t addr, size_t len, int prot)'),
    mincore: libc.func('int mincore(uintptr_t addr, size_t len, _Out_ uint8_t *vec)'),
    memset: libc.func('uintptr_t memset(uintptr_t s, int c, size_t n)'),
    getrlimit: libc.func(rlimitSymbols.get, 'int', ['int', koffi.out(koffi.pointer(RLIMIT64))]),
    setrlimit: libc.func(rlimitSymbols.set, 'int', ['int', koffi.pointer(RLIMIT64)]),
    exit: libc.func('void _exit(int status)'),
    // off_t, as the mmap offset: glibc's plain ftruncate takes a long (32-bit on i386), the BSDs' an int64_t
    ftruncate: libc.func(`int ftruncate(int fd, ${platform.mmapOffset ?? 'int64_t'} length)`),
  };
  // setresuid(2) is not POSIX (macOS and illumos lack it): absent there, unprivileged contexts get a fresh process.
  const setresuid = ((): ((r: number, e: number, s: number) => number) | undefined => {
    try {
      return libc.func('int setresuid(uint32_t r, uint32_t e, uint32_t s)') as (r: number, e: number, s: number) => number;
    } catch {
      return undefined;
    }
  })();
  const pageSize = Number(sys.getpagesize());
  const ps = BigInt(pageSize);
  const width = widthConstants(wordBits);
  // (void *) -1 at this width
  const MAP_FAILED = width.UINTPTR_MAX;
  const prot = { none: m.PROT_NONE, r: m.PROT_READ, rw: m.PROT_READ | m.PROT_WRITE } as const;
  let generation = 0;
  const changed = <T>(result: T): T => {
    generation++;
    return result;
  };

  const memory: Runner['memory'] = {
    reserve(pages) {
      const addr = BigInt(sys.mmap(0n, BigInt(pages) * ps, prot.none, reserveFlags(m), -1, 0n));
      return changed(addr === MAP_FAILED ? null : addr);
    },
    mapFixed(addr, pages, how: MapHow) {
      if (how.locked && m.MAP_LOCKED === undefined) throw new Error(`${platform.os} has no MAP_LOCKED (check memory.hasMapLocked first)`);
      const flags = (how.shared ? m.MAP_SHARED : m.MAP_PRIVATE) | m.MAP_FIXED | (how.fd === null ? m.MAP_ANON : 0) | (how.locked ? (m.MAP_LOCKED ?? 0) : 0);
      const got = BigInt(sys.mmap(addr, BigInt(pages) * ps, prot.rw, flags, how.fd ?? -1, 0n));
      if (got === MAP_FAILED) return changed(koffi.errno());
      // MAP_FIXED places exactly at addr or fails; anything else would be a mapping outside the case's reservation
      if (got !== addr) throw new Error(`mmap(MAP_FIXED) at 0x${addr.toString(16)} returned 0x${got.toString(16)}`);
      return changed(null);
    },
    hasMapLocked: m.MAP_LOCKED !== undefined,
    lastErrno: () => koffi.errno(),
    protect: (addr, pages, p) => changed(sys.mprotect(addr, BigInt(pages) * ps, prot[p]) === 0),
    unmap: (addr, pages) => changed(sys.munmap(addr, BigInt(pages) * ps) === 0),
    touch(addr, pages) {
      changed(sys.memset(addr, 0, BigInt(pages) * ps));
    },
    isMapped: (addr) => sys.mincore(addr, ps, Buffer.alloc(1)) === 0,
    ...(hooks.mappedRanges ? { mappedRanges: hooks.mappedRanges } : {}),
  };

  const callables = new Map<CallableName, (args: readonly bigint[]) => CallResult>();
  for (const fn of SYNC_CALLABLES) {
    const f = bindIntCall(libc, fn, wordBits);
    if (f !== null) callables.set(fn, f); // else not in this libc: cases calling it are `unsupported`
  }
  const call = (fn: CallableName, args: readonly bigint[]): CallResult => {
    const f = callables.get(fn);
    if (f === undefined) throw new Error(`${fn} is not bound on ${platform.os}`);
    return changed(f(args));
  };
  callables.set('ftruncate', (args) => {
    const [fd, length] = convertArgs('ftruncate', args, wordBits);
    const ret = Number(sys.ftruncate(fd, length));
    return { ret, errno: ret === -1 ? koffi.errno() : null };
  });
  const ctx: PosixContext = { libc, pageSize, wordBits, memory, call, generation: () => generation };
  for (const [fn, f] of Object.entries(hooks.extraCallables?.(ctx) ?? {})) if (f) callables.set(fn as CallableName, f);

  const names = errnoNames(platform.errno);
  const errnoName = (n: number): string => names.get(n)?.[0] ?? `errno ${n}`;

  const pageResidency = (addr: bigint, pages: number): PageResidency[] => {
    const resident = (byte: number): PageResidency => (byte & platform.mincoreResident ? 'R' : 'N');
    // One call for the whole range where every page of it is mapped (the usual case): a call per page costs a
    // foreign call each, a tenth of an ordinary case's time. mincore fails (ENOMEM) for the whole range when any page
    // is unmapped; then page by page, so that each unmapped page reads as '-'.
    const all = Buffer.alloc(pages);
    if (pages > 0 && sys.mincore(addr, BigInt(pages) * ps, all) === 0) return Array.from(all, resident);
    const vec = Buffer.alloc(1);
    return Array.from({ length: pages }, (_, i) => (sys.mincore(addr + BigInt(i) * ps, ps, vec) === -1 ? '-' : resident(vec[0] ?? 0)));
  };
  const mlock = callables.get('mlock');
  const munlock = callables.get('munlock');
  const tools: CalibrationTools = {
    memory,
    pageSize,
    lock: (addr, bytes) => mlock?.([addr, bytes]) ?? { ret: -1, errno: null },
    unlock: (addr, bytes) => void munlock?.([addr, bytes]),
    errnoName,
  };
  const lockProbe = hooks.lockProbe(ctx);
  const totalProbe = hooks.totalProbe(ctx);
  const lockState = lockProbe.calibrated ?? calibrateLocks(lockProbe, tools);
  const lockedTotal = totalProbe.calibrated ?? calibrateTotal(totalProbe, tools);
  const residency = calibrateResidency(pageResidency, tools);
  const notYet: ProbeInfo = { available: false, method: `not implemented for ${platform.os} (the Linux runner inspects /proc of a clone(&pause) child)` };
  const processProbes: ProcessProbes = hooks.processProbes?.(ctx, lockedTotal) ?? {
    forkChild: notYet,
    execChild: notYet,
    inspectForkedChild: () => null,
    execSelf: () => 'no exec probe on this OS',
  };

  const forkCopy = hooks.forkCopy?.(ctx);

  const rlimit = (): { cur: bigint; max: bigint } | null => {
    if (platform.rlimit === null) return null;
    const out: { cur?: bigint | number; max?: bigint | number } = {};
    if (sys.getrlimit(platform.rlimit.memlock, out) !== 0) return null;
    return { cur: BigInt(out.cur ?? 0), max: BigInt(out.max ?? 0) };
  };

  const arch = os.machine().toLowerCase();
  const abi = foreignAbi(arch, process.arch);
  const runtime = hooks.runtime?.(ctx) ?? {
    runtime: 'native',
    basis: `the ${platform.os} adapter knows no sandbox that reimplements its system calls; taken as native`,
  };
  // The id names the kind of machine: kernel arch, C library, then the ABI and the runtime where they are not the
  // kernel's own (linux-x86_64-glibc-ia32, linux-x86_64-glibc-gvisor).
  const id = [platform.os, arch, platform.libcId, ...(abi === null ? [] : [abi]), ...(runtime.runtime === 'native' ? [] : [runtime.runtime])];
  const facts: TargetFacts = {
    id: id.join('-').replace(/[^a-z0-9._-]/g, '_'),
    os: platform.os,
    release: os.release(),
    kernel: os.version(),
    arch,
    libc: hooks.libcVersion(libc),
    runtime: runtime.runtime,
    runtimeBasis: runtime.basis,
    pageSize,
    node: process.version,
    koffi: koffi.version,
    ...(abi === null ? {} : { abi }),
  };

  return {
    facts,
    pageSize,
    wordBits,
    addressSpace: addressSpaceOf(wordBits, pageSize, hooks.nullEnd?.(pageSize)),
    constants: { ...platform.constants, ...width },
    errnoName,
    has: (fn) => callables.has(fn),
    call,
    memory,
    probes: {
      lockState,
      residency,
      lockedTotal,
      pageLocks: (addr, pages, backing) => (lockState.available ? lockProbe.pageLocks(addr, pages, backing) : null),
      pageResidency: (addr, pages) => (residency.available ? pageResidency(addr, pages) : null),
      lockedBytes: () => (lockedTotal.available ? totalProbe.lockedBytes() : null),
      ...(totalProbe.pinnedBytes ? { pinnedBytes: totalProbe.pinnedBytes } : {}),
      lockableBytes: () => hooks.lockableBytes?.(ctx) ?? null,
      ...processProbes,
    },
    credentials(): Credentials {
      const euid = process.geteuid?.() ?? -1;
      const capEff = hooks.capEff?.() ?? null;
      const lim = rlimit();
      const inf = platform.rlimit?.infinity ?? 0n;
      return {
        uid: process.getuid?.() ?? -1,
        euid,
        gid: process.getgid?.() ?? -1,
        capEff,
        canLockMemory: hooks.canLockMemory(libc, euid, capEff),
        memlock: lim === null ? { soft: 'n/a', hard: 'n/a' } : { soft: showLimit(lim.cur, inf), hard: showLimit(lim.max, inf) },
      };
    },
    setMemlockLimit(bytes) {
      if (platform.rlimit === null) return false;
      const v = bytes ?? platform.rlimit.infinity;
      return sys.setrlimit(platform.rlimit.memlock, { cur: v, max: v }) === 0;
    },
    setMemlockSoftLimit(bytes) {
      const now = rlimit();
      if (platform.rlimit === null || now === null) return false;
      const v = bytes ?? platform.rlimit.infinity;
      return v <= now.max && sys.setrlimit(platform.rlimit.memlock, { cur: v, max: now.max }) === 0;
    },
    ...(setresuid !== undefined ? { setUserIds: (r: number, e: number, s: number) => setresuid(r, e, s) === 0 } : {}),
    exitNow(code): never {
      sys.exit(code);
      throw new Error('_exit returned');
    },
    ...(forkCopy !== undefined ? { forkCopy } : {}),
  };
}
