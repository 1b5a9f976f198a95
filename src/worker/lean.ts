// How a worker process is started so that it pins little: a whole-process lock (mlockall) pins every accessible page
// of the worker, and each thread's stack is one of them. Fewer V8 platform threads (--v8-pool-size=1), one libuv
// thread (UV_THREADPOOL_SIZE=1: the worker does its file work synchronously) and 2 MiB thread stacks (RLIMIT_STACK,
// which glibc and libuv take as the default thread stack size, set through prlimit(1) where it is installed) took a
// worker from ~172 MiB to ~112 MiB lockable on this machine kind; bench/suite.ts measures it.
import { existsSync } from 'node:fs';

/** V8 runs no task on a background thread (no concurrent marking, sweeping or compiling) in a worker, which forks
 * copies of itself that go on running JavaScript (src/worker/forked.ts): only the forking thread survives a fork, so a
 * lock a background thread held at that instant would never be released in the copy. Measured without it: a worker
 * allocating while it forked had a copy hang within 200 forks; with it, 6,000 of 6,000 copies ran to the end. */
export const SINGLE_THREADED = ['--single-threaded'];

/** For a worker whose whole address space may be locked: a garbage collection while it is locked can abort V8 (it gives
 * freed pages back with madvise(MADV_FREE), then MADV_DONTNEED, which Linux refuses on locked memory: "Check failed:
 * 0 == ret"). So the worker collects its young generation right before each case that may lock all of it
 * (`--expose-gc`, child.ts), and the young generation never shrinks below what such a case allocates
 * (`--min-semi-space-size`, MiB), so no collection falls inside the lock. Measured in the 2 GiB VM (where V8 sizes its
 * heap small and collects often): 3 of 3 runs of the suite lost a worker that way without it. V8's memory reducer is
 * off too (`--no-memory-reducer`): it starts collections on a timer, whatever the case does, so it could fall inside
 * a lock however young the generation was (a VM run in CI once broke mlockall.current with no reason recorded: this
 * was the one source of collections the guard did not cover). */
export const QUIET_GC = ['--expose-gc', '--min-semi-space-size=4', '--no-memory-reducer'];

/** V8 without a JIT. --jitless turns WebAssembly off, and says so on stderr at every start ("Warning: disabling flag
 * --expose_wasm due to conflicting flags") unless asked for that too: a worker's stderr is what a case it broke on
 * shows (pool.ts summariseStderr), so it carries only what went wrong. The worker runs no WebAssembly. */
export const JITLESS = ['--jitless', '--no-expose-wasm'];

/** RLIMIT_STACK of a worker: room for V8's own JavaScript stack limit (984 KiB by default) on the main thread. */
export const WORKER_STACK_BYTES = 2 * 1024 * 1024;

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'];

export interface WorkerCommand {
  /** what to exec instead of node (prlimit, which then execs node), or undefined for node itself */
  execPath?: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

/** Node's flags, a wrapper and the environment for a worker. Every worker runs without a JIT: its whole address space
 * may be locked, and after mlockall(MCL_FUTURE) V8 cannot change the protection of locked code pages when it compiles
 * hot code, and aborts ("Check failed: 0 == ret"); and it may fork copies of itself (SINGLE_THREADED). `lean: false`
 * gives Node's defaults otherwise (for the benchmark's before/after); `prlimit`: its path, null where there is none. */
export function workerCommand(lean = true, prlimit: string | null = PRLIMIT.find((p) => existsSync(p)) ?? null): WorkerCommand {
  // Never the parent's flags (a test runner's loaders, say).
  const node = [...JITLESS, ...QUIET_GC, ...SINGLE_THREADED, ...(lean ? ['--v8-pool-size=1'] : [])];
  const env = { ...process.env, NODE_OPTIONS: '', ...(lean ? { UV_THREADPOOL_SIZE: '1' } : {}) };
  if (!lean || prlimit === null) return { execArgv: node, env };
  // prlimit execs node in the same process (same pid, same process group, the IPC descriptor inherited)
  return { execPath: prlimit, execArgv: [`--stack=${WORKER_STACK_BYTES}:`, '--', process.execPath, ...node], env };
}
