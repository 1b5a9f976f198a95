// Linux probes that look beyond the worker: a forked child, and the worker exec'd into another program.
//
// A child forked through koffi cannot run JavaScript: returning from fork() into koffi/V8 in the child crashes
// (only the calling thread survives a fork). So the child is made with clone(fn = &pause, own stack, SIGCHLD): a
// real copy of the locking process's address space that executes exactly one pre-bound libc function and never
// returns to JavaScript. The parent reads the child's /proc entries, then kills it with SIGKILL and reaps it.
import { existsSync, readFileSync, writeSync } from 'node:fs';
import koffi, { type LibraryHandle } from 'koffi';
import { EXEC_FAILED, EXEC_MARKER } from '../src/worker/exec-probe.js';
import { lockedBytesIn, pageLocksIn, parseSmaps } from './linux-proc.js';
import type { PageLock, ProbeInfo } from './types.js';

const SIGCHLD = 17;
const SIGKILL = 9;
const PROT_RW = 3;
const MAP_PRIVATE_ANON_STACK = 0x02 | 0x20 | 0x20000;
const CHILD_STACK = 64n * 1024n;
/** How long to wait for the child to reach pause() before inspecting it. */
const CHILD_SETTLE_MS = 2000;

export interface ProcessProbes {
  forkChild: ProbeInfo;
  execChild: ProbeInfo;
  inspectForkedChild(ranges: readonly { addr: bigint; pages: number }[]): { locks: PageLock[][]; lockedBytes: number | null } | null;
  execSelf(fd?: number): string;
}

/** The program the worker execs into: cat(1) reading its own status file (no shell, present on every root the
 * targets use, the i386 one included). */
const EXEC_PROGRAMS = ['/bin/cat', '/usr/bin/cat'];

export function createProcessProbes(libc: LibraryHandle, pageSize: bigint): ProcessProbes {
  const sys = {
    dlsym: libc.func('uintptr_t dlsym(uintptr_t handle, const char *name)'),
    // clone(3) is variadic; without CLONE_*SETTID/SETTLS flags glibc reads only these four arguments.
    clone: libc.func('int clone(uintptr_t fn, uintptr_t stack, int flags, uintptr_t arg)'),
    kill: libc.func('int kill(int pid, int sig)'),
    waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)'),
    mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)'),
    munmap: libc.func('int munmap(uintptr_t addr, size_t len)'),
    dup2: libc.func('int dup2(int oldfd, int newfd)'),
    execve: libc.func('int execve(const char *path, const char **argv, const char **envp)'),
  };
  const RTLD_DEFAULT = 0n;
  const pause = BigInt(sys.dlsym(RTLD_DEFAULT, 'pause'));
  const forkChild: ProbeInfo =
    pause !== 0n
      ? { available: true, method: "clone(&pause) child of the worker; its /proc/<pid>/smaps VmFlags and VmLck (it makes no mapping of its own, so whether MCL_FUTURE would lock the child's later mappings is not observed)" }
      : { available: false, method: 'pause() not found with dlsym' };
  const program = EXEC_PROGRAMS.find((p) => existsSync(p));
  const execChild: ProbeInfo =
    program !== undefined
      ? { available: true, method: "the worker itself execve()s cat(1) after the call, which prints its own /proc/self/status (VmLck): every mapping of the new image is made after the exec" }
      : { available: false, method: `no ${EXEC_PROGRAMS.join(' or ')} to exec into` };

  const waitUntilPaused = (pid: number): void => {
    const deadline = performance.now() + CHILD_SETTLE_MS;
    while (performance.now() < deadline) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'S') return;
    }
    throw new Error(`forked child ${pid} did not reach pause() within ${CHILD_SETTLE_MS} ms`);
  };

  return {
    forkChild,
    execChild,
    inspectForkedChild(ranges) {
      if (!forkChild.available) return null;
      const stack = BigInt(sys.mmap(0n, CHILD_STACK, PROT_RW, MAP_PRIVATE_ANON_STACK, -1, 0n));
      const pid = sys.clone(pause, stack + CHILD_STACK - 64n, SIGCHLD, 0n);
      if (pid <= 0) {
        sys.munmap(stack, CHILD_STACK);
        return null;
      }
      try {
        waitUntilPaused(pid);
        const vmas = parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8')) ?? [];
        return {
          locks: ranges.map((r) => pageLocksIn(vmas, r.addr, r.pages, pageSize)),
          lockedBytes: lockedBytesIn(readFileSync(`/proc/${pid}/status`, 'utf8')),
        };
      } finally {
        sys.kill(pid, SIGKILL);
        sys.waitpid(pid, [0], 0);
        sys.munmap(stack, CHILD_STACK);
      }
    },
    execSelf(fd = 2) {
      if (program === undefined) return `${EXEC_FAILED}: ${execChild.method}`;
      // The program's stdout is `fd`: the worker's stderr (the pipe the pool reads), or a forked copy's pipe to its
      // worker; fd 0 and 1 of a worker lead nowhere. dup2 leaves the new fd 1 open across the exec.
      sys.dup2(fd, 1);
      writeSync(fd, `\n${EXEC_MARKER}\n`);
      const ret = sys.execve(program, [program, '/proc/self/status', null], [null]);
      return `${EXEC_FAILED}: execve(${program}) returned ${ret}, errno ${koffi.errno()}`;
    },
  };
}
