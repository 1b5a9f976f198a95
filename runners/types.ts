// The runner contract: what one operating system's adapter gives the worker. One file per OS in runners/
// implements it (as eshost has one adapter per host). Runners are loaded only inside worker processes.
import type { AddressSpace } from '../src/worker/confine.js';
import type { WordBits } from '../src/spec/call.js';
import type { CallableName, ConstantName } from '../src/spec/functions.js';

export interface TargetFacts {
  /** stable id of this kind of machine, e.g. linux-x86_64-glibc; names the results file */
  id: string;
  os: string;
  release: string;
  kernel: string;
  arch: string;
  libc: string;
  /** what executes the system calls: "native", or e.g. "gvisor" */
  runtime: string;
  /** how `runtime` was determined (what the runner saw inside, and what started it) */
  runtimeBasis?: string;
  pageSize: number;
  node: string;
  koffi: string;
  /** the ABI the calls went through (Node's process.arch), where it is not the kernel's own: "ia32" for an i386
   * process on an x86_64 kernel, whose calls take the kernel's compat entry points */
  abi?: string;
}

/** What a probe can see on this target. An unavailable probe makes the effects that need it inconclusive. */
export interface ProbeInfo {
  available: boolean;
  /** how it observes (available) or why it cannot (unavailable) */
  method: string;
}

export type PageLock = 'L' | 'U' | '-';
export type PageResidency = 'R' | 'N' | '-';

export interface Probes {
  lockState: ProbeInfo;
  residency: ProbeInfo;
  lockedTotal: ProbeInfo;
  /** a child forked from the worker, inspected while it runs only a pre-bound libc function */
  forkChild: ProbeInfo;
  /** the worker itself, exec'd into a small program after the call (src/worker/exec-probe.ts) */
  execChild: ProbeInfo;
  /** lock state of `pages` pages from `addr`, all of one `backing` (default anon-private): L locked, U unlocked,
   * - unmapped; null when unavailable */
  pageLocks(addr: bigint, pages: number, backing?: ProbeBacking): PageLock[] | null;
  /** residency of each page: R resident, N not resident, - unmapped; null when unavailable */
  pageResidency(addr: bigint, pages: number): PageResidency[] | null;
  /** bytes of locked memory the kernel charges to this process; null when unavailable */
  lockedBytes(): number | null;
  /** bytes of memory locks really pin (resident locked pages), where the OS tells them apart from what it charges;
   * the lock budgets are held to this (else to lockedBytes) after every step */
  pinnedBytes?(): number | null;
  /** bytes a whole-process lock (mlockall MCL_CURRENT) would pin: every accessible mapping; null when unknown */
  lockableBytes(): number | null;
  /** fork a child that runs nothing but a pre-bound libc call, read its lock state, kill and reap it */
  inspectForkedChild(ranges: readonly { addr: bigint; pages: number }[]): { locks: PageLock[][]; lockedBytes: number | null } | null;
  /** replace this process (execve) with a program that prints its own /proc/self/status to `fd` (default 2, the
   * worker's stderr, which the pool reads); returns only when execve failed, with the reason. Only a process of the
   * case's own that has sent its result may call it. */
  execSelf(fd?: number): string;
}

/** A copy of the worker made by fork(2) that goes on running JavaScript (runners/linux-fork.ts): a process of a case's
 * own, at the worker's baseline, without a Node start. src/worker/forked.ts runs a case in it. */
export interface ForkCopy {
  /** how the copy is made, for the docs and the results */
  method: string;
  /** fork a copy: in the copy `{ pid: 0, fd }` with fd the write end of a pipe to the worker (close-on-exec), in the
   * worker `{ pid, fd }` with the read end; or why there is none (the worker then leaves the case to a fresh process) */
  fork(): { pid: number; fd: number } | { problem: string };
  /** in the copy: be killed when the worker dies; set again after a change of effective uid, which clears it */
  dieWithParent(): void;
  /** in the worker: what the copy writes, until its end of the pipe is closed (it exited, or exec'd a program that has);
   * kills the copy when the worker's own parent is gone, or when it writes more than an outcome could be */
  collect(pid: number, fd: number): Buffer;
  /** in the worker: wait for the copy and say how it ended */
  reap(pid: number): { code: number } | { signal: number } | { problem: string };
  /** in the worker: SIGKILL the copy and reap it */
  kill(pid: number): void;
}

/** How mapFixed maps: see Runner.memory. */
export interface MapHow {
  shared: boolean;
  fd: number | null;
  locked: boolean;
}

/** What backs a placed mapping, for the probes whose reading may depend on it (the spec's `backing`). */
export type ProbeBacking = 'anon-private' | 'anon-shared' | 'file-private' | 'file-shared';

export interface CallResult {
  ret: number;
  /** errno number, read right after the call and only when it returned -1 */
  errno: number | null;
  /** asynchronous calls that were enqueued: aio_return's value, and aio_error's number when the request failed */
  completion?: { ret: number; errno: number | null };
  /** pointer-returning calls (mremap) that succeeded: the address returned. For the worker alone, never recorded
   * (it differs from run to run); `ret` is then 0 */
  address?: bigint;
}

export interface Credentials {
  uid: number;
  euid: number;
  gid: number;
  /** effective capability set as hex, when the OS has capabilities */
  capEff: string | null;
  /** exempt from RLIMIT_MEMLOCK: may lock beyond it without raising it (Linux CAP_IPC_LOCK; illumos, which has no
   * such limit, proc_lock_memory). False for everyone on FreeBSD and macOS, whose kernels limit root too. */
  canLockMemory: boolean;
  memlock: { soft: string; hard: string };
}

export interface Runner {
  readonly facts: TargetFacts;
  readonly pageSize: number;
  /** for the confinement check: address width, the NULL page, the end of user space (runners/address-space.ts) */
  readonly addressSpace: AddressSpace;
  /** width of size_t and of an address in this process's ABI: spec arithmetic is modulo 2^wordBits, SIZE_MAX and
   * UINTPTR_MAX are 2^wordBits - 1 */
  readonly wordBits: WordBits;
  /** values of the spec constants this target defines; a missing one makes a case using it unsupported */
  readonly constants: Partial<Record<ConstantName, bigint>>;
  errnoName(errno: number): string;
  /** the spec-callable functions this target's libc has; others are unsupported */
  has(fn: CallableName): boolean;
  call(fn: CallableName, args: readonly bigint[]): CallResult;
  readonly memory: {
    /** reserve `pages` pages PROT_NONE, anonymous and private; null on failure (then lastErrno says why) */
    reserve(pages: number): bigint | null;
    /** map `pages` read-write pages at `addr` (MAP_FIXED, inside a reservation of the case): shared or private, of
     * the descriptor `fd` from offset 0 or anonymous (null), with MAP_LOCKED where `locked`; the errno number on
     * failure, null on success */
    mapFixed(addr: bigint, pages: number, how: MapHow): number | null;
    /** whether mapFixed can honour `locked` (the OS has MAP_LOCKED) */
    readonly hasMapLocked: boolean;
    /** errno of the last memory call that failed (read right after it) */
    lastErrno(): number;
    protect(addr: bigint, pages: number, prot: 'rw' | 'r' | 'none'): boolean;
    unmap(addr: bigint, pages: number): boolean;
    /** write zeros to make pages resident (pages must be writable) */
    touch(addr: bigint, pages: number): void;
    /** whether any mapping covers the page at addr (used to check that a hole stayed a hole) */
    isMapped(addr: bigint): boolean;
    /** every mapping of the process as [start, end) ranges, or null where the OS cannot list them; the worker reads it
     * before a call that may move memory (mremap), to check where the kernel put it. Absent: no such list here */
    mappedRanges?(): { start: bigint; end: bigint }[] | null;
  };
  readonly probes: Probes;
  /** Set where no process is exempt from RLIMIT_MEMLOCK (canLockMemory is false even for root): the privileged
   * context is then root alone, and this sentence, from the kernel's source, says why. Absent (Linux, illumos):
   * the privileged context needs root with canLockMemory. */
  readonly privilegedIsRoot?: string;
  credentials(): Credentials;
  /** set RLIMIT_MEMLOCK (soft and hard) in bytes, or null for unlimited */
  setMemlockLimit(bytes: bigint | null): boolean;
  /** set the soft RLIMIT_MEMLOCK only, keeping the hard one (false above it): a reused worker lowers it for a case and
   * raises it back after, which a lowered hard limit would forbid without CAP_SYS_RESOURCE */
  setMemlockSoftLimit(bytes: bigint | null): boolean;
  /** setresuid(2), where the C library has it: a reused worker drops to an unprivileged uid keeping 0 as the saved
   * uid, so it can come back (Linux clears the effective capabilities with the effective uid and restores them with it) */
  setUserIds?(real: number, effective: number, saved: number): boolean;
  /** leave the process without running exit handlers (needed after mlockall(MCL_FUTURE)) */
  exitNow(code: number): never;
  /** Where the OS file can make one: a copy of the worker for a case that needs a process of its own. Absent: such
   * a case gets a fresh worker process (a Node start). */
  readonly forkCopy?: ForkCopy;
}
