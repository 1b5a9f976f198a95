// The allowlist: the only functions a spec can name. Spec files arrive in pull requests, so nothing outside this
// table is reachable from YAML; each runner binds exactly these (plus its own internal helpers, never exposed).

/** How an argument is used; the runner binds each as a 64-bit or int parameter accordingly. */
export type ParamKind = 'addr' | 'size' | 'int';

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
} as const satisfies Record<string, readonly ParamKind[]>;

export type CallableName = keyof typeof CALLABLES;
export const CALLABLE_NAMES = Object.keys(CALLABLES) as [CallableName, ...CallableName[]];

export function isCallable(name: string): name is CallableName {
  return Object.hasOwn(CALLABLES, name);
}

/** Functions that change process-wide state: cases calling them always get a fresh process ending in _exit. */
export const PROCESS_WIDE: ReadonlySet<CallableName> = new Set(['mlockall', 'munlockall']);

/** Functions whose request completes after the call returns; their observation has a `completion`. */
export const ASYNCHRONOUS: ReadonlySet<CallableName> = new Set(['aio_mlock']);

/** Symbolic constants a call may use; each runner supplies their values (or lacks them: then `unsupported`). */
export const CONSTANT_NAMES = [
  'MCL_CURRENT', 'MCL_FUTURE', 'MCL_ONFAULT', 'PROT_NONE', 'PROT_READ', 'PROT_WRITE', 'PROT_EXEC', 'SIZE_MAX', 'NULL',
  'SIGEV_NONE', 'SIGEV_SIGNAL', 'SIGEV_THREAD', 'SIGEV_KEVENT',
] as const;
export type ConstantName = (typeof CONSTANT_NAMES)[number];
export function isConstantName(name: string): name is ConstantName {
  return (CONSTANT_NAMES as readonly string[]).includes(name);
}
