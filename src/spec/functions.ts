// The allowlist: the only functions a spec can name. Spec files arrive in pull requests, so nothing outside this
// table is reachable from YAML; each runner binds exactly these (plus its own internal helpers, never exposed).

/** How an argument is used; the runner binds each as an address-wide (uintptr_t), size_t or C int parameter.
 * `mapping` and `file` are names, never numbers: `mapping` is a deferred mapping of the case (the worker places it),
 * `file` a file-backed mapping of the case (the runner passes that mapping's own descriptor), so no spec can name an
 * arbitrary address or descriptor through them. `resize` is a size_t too: the length the range at the `addr` before
 * it may take after the call (mremap's new_size), so confinement holds [addr, addr + resize) to the case's memory as
 * it does [addr, addr + size). */
export type ParamKind = 'addr' | 'size' | 'resize' | 'int' | 'mapping' | 'file';

export const CALLABLES = {
  mlock: ['addr', 'size'],
  munlock: ['addr', 'size'],
  mlockall: ['int'],
  munlockall: [],
  munmap: ['addr', 'size'],
  mprotect: ['addr', 'size', 'int'],
  // aio_mlock(aio_buf, aio_nbytes, aio_sigevent.sigev_notify): the runner builds a zeroed struct aiocb with these
  // fields, submits it, then polls aio_error until the request leaves EINPROGRESS and reads aio_return.
  aio_mlock: ['addr', 'size', 'int'],
  // lio_listio(mode, aio_buf, aio_nbytes): FreeBSD's list I/O with a one-element list whose aiocb has
  // aio_lio_opcode LIO_MLOCK (sys/sys/aio.h); the runner builds the aiocb as aio_mlock does, passes no sigevent, and
  // reads the request's own completion. glibc has no LIO_MLOCK: Linux runners do not bind it (unsupported).
  lio_listio: ['int', 'addr', 'size'],
  // mmap(name): places a mapping declared `deferred: true` (src/worker/place.ts); a step only, never under test.
  mmap: ['mapping'],
  // ftruncate(name, length): the file behind a file-backed mapping of the case, to a length within the case budget.
  ftruncate: ['file', 'size'],
  // The calls that interact with locks (issue 11). madvise(addr, len, advice), msync(addr, len, flags) and Linux
  // mlock2(addr, len, flags) touch [addr, addr + len) only.
  madvise: ['addr', 'size', 'int'],
  msync: ['addr', 'size', 'int'],
  mlock2: ['addr', 'size', 'int'],
  // mremap(old_address, old_size, new_size, flags), Linux: never a fifth argument. Its flags may be 0 or
  // MREMAP_MAYMOVE only (MREMAP_FIXED and MREMAP_DONTUNMAP would place or leave memory at an address the case does
  // not own; confine.ts refuses them, lint too), and where the kernel moves the mapping the worker follows it.
  mremap: ['addr', 'size', 'resize', 'int'],
} as const satisfies Record<string, readonly ParamKind[]>;

export type CallableName = keyof typeof CALLABLES;
export const CALLABLE_NAMES = Object.keys(CALLABLES) as [CallableName, ...CallableName[]];

export function isCallable(name: string): name is CallableName {
  return Object.hasOwn(CALLABLES, name);
}

/** Functions that are steps only: `mmap(name)` is how a deferred mapping is made, not a behaviour a file tests. */
export const STEP_ONLY = ['mmap'] as const satisfies readonly CallableName[];
export type FunctionUnderTest = Exclude<CallableName, (typeof STEP_ONLY)[number]>;
export const FUNCTIONS_UNDER_TEST = CALLABLE_NAMES.filter((n): n is FunctionUnderTest => !(STEP_ONLY as readonly string[]).includes(n)) as [
  FunctionUnderTest,
  ...FunctionUnderTest[],
];

/** Functions that change process-wide state: cases calling them always get a fresh process ending in _exit. */
export const PROCESS_WIDE: ReadonlySet<CallableName> = new Set(['mlockall', 'munlockall']);

/** Functions whose request completes after the call returns; their observation has a `completion`. */
export const ASYNCHRONOUS: ReadonlySet<CallableName> = new Set(['aio_mlock', 'lio_listio']);

/** Steps that are not C functions: semconf does them itself, through the runner's own memory handling. `touch(addr,
 * len)` writes zeros to every page the range covers, so that they are faulted in; only pages of the case's own
 * mappings that are writable at that moment may be touched (a write to a PROT_NONE or read-only page would kill the
 * worker with SIGSEGV), checked by lint on the layout and by the worker before the write (src/worker/page-access.ts).
 * They are allowed in `before:` and `after:`, never as the call under test. */
export const STEP_BUILTINS = {
  touch: ['addr', 'size'],
} as const satisfies Record<string, readonly ParamKind[]>;

export type StepBuiltinName = keyof typeof STEP_BUILTINS;
export function isStepBuiltin(name: string): name is StepBuiltinName {
  return Object.hasOwn(STEP_BUILTINS, name);
}

/** Functions that return a pointer (void *), MAP_FAILED on failure: the runner reports success as 0 and the address
 * to the worker alone, which never records it (addresses differ from run to run); the record says `moved`. */
export const POINTER_RETURNING: ReadonlySet<CallableName> = new Set(['mremap']);

/** Symbolic constants a call may use; each runner supplies their values (or lacks them: then `unsupported`).
 * SIZE_MAX is the largest length; UINTPTR_MAX is the highest address, so "UINTPTR_MAX - 1p + 1" is the last page of
 * the address space. Both follow the target's width (2^64 - 1, or 2^32 - 1 for an i386 process): a case that means
 * "the top of the address space" names UINTPTR_MAX, never a literal, and means it on every target. */
export const CONSTANT_NAMES = [
  'MCL_CURRENT', 'MCL_FUTURE', 'MCL_ONFAULT', 'PROT_NONE', 'PROT_READ', 'PROT_WRITE', 'PROT_EXEC', 'SIZE_MAX',
  'UINTPTR_MAX', 'NULL', 'SIGEV_NONE', 'SIGEV_SIGNAL', 'SIGEV_THREAD', 'SIGEV_KEVENT',
  'LIO_NOWAIT', 'LIO_WAIT',
  'MADV_WILLNEED', 'MADV_DONTNEED', 'MADV_FREE', 'MS_ASYNC', 'MS_SYNC', 'MS_INVALIDATE', 'MLOCK_ONFAULT',
  'MREMAP_MAYMOVE',
] as const;
export type ConstantName = (typeof CONSTANT_NAMES)[number];

/** The constants whose values are the target's width, not its headers: every runner gets them from its ABI. */
export const WIDTH_CONSTANTS = ['SIZE_MAX', 'UINTPTR_MAX'] as const satisfies readonly ConstantName[];
export type WidthConstant = (typeof WIDTH_CONSTANTS)[number];
export function isConstantName(name: string): name is ConstantName {
  return (CONSTANT_NAMES as readonly string[]).includes(name);
}
