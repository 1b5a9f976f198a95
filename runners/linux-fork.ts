// A copy of the worker made by fork(2) that goes on running JavaScript: a process of a case's own, with no locks and
// no MCL_FUTURE (fork drops both) and the worker's proven baseline credentials and limits, for the price of a fork
// instead of a Node start (src/worker/forked.ts runs the case in it).
//
// Why the copy can run JavaScript at all: V8 allocates every heap page with madvise(MADV_DONTFORK) (v8::base::OS::
// Allocate), so a plain fork's child lacks its own heap and dies at its first allocation (measured: SIGSEGV in
// SemiSpaceNewSpace::AddFreshPage). Just before fork the worker sweeps MADV_DOFORK over its whole address space, in
// spans that skip the [vvar] mappings (VM_IO: MADV_DOFORK fails there with EINVAL and would stop the sweep); a
// hole in a span only makes madvise return ENOMEM after it has advised every mapping in the span. Nothing between
// the sweep and the fork maps memory. Only the calling thread survives a fork: the copy runs the case synchronously
// on it and leaves through _exit, never returning to the event loop (whose epoll instance it shares with the worker).
// Measured on this machine kind: 300 of 300 copies ran an allocating script to the end, ~20 ms each.
import { readFileSync } from 'node:fs';
import koffi, { type LibraryHandle } from 'koffi';
import type { WordBits } from '../src/spec/call.js';
import type { ForkCopy } from './types.js';

const MADV_DOFORK = 11;
const ENOMEM = 12;
const O_CLOEXEC = 0o2000000;
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const POLLIN = 0x001;
/** How often a worker waiting for its copy checks that its own parent (semconf) is still there. */
const PARENT_CHECK_MS = 100;
/** The most a copy may write (its outcome, then an exec'd program's status file: kilobytes): past it, it is killed. */
const MAX_COPY_OUTPUT = 16 * 1024 * 1024;

const POLLFD = koffi.struct({ fd: 'int', events: 'short', revents: 'short' });

/** Mappings MADV_DOFORK refuses (VM_IO): the sweep goes around them. */
const VM_IO_NAMES = /\[(vvar|vvar_vclock|vsyscall)\]$/;

/** The spans to sweep: from the first page above NULL to the top of the process's address space, minus VM_IO maps. */
export function sweepSpans(maps: string, top: bigint): [bigint, bigint][] {
  const specials = maps
    .split('\n')
    .filter((l) => VM_IO_NAMES.test(l.trim()))
    .map((l) => (l.split(' ')[0] ?? '').split('-').map((x) => BigInt(`0x${x}`)) as [bigint, bigint])
    .filter(([a]) => a < top)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const spans: [bigint, bigint][] = [];
  let low = 0x1000n;
  for (const [a, b] of specials) {
    if (a > low) spans.push([low, a]);
    if (b > low) low = b;
  }
  if (low < top) spans.push([low, top]);
  return spans;
}

export function createForkCopy(libc: LibraryHandle, wordBits: WordBits): ForkCopy {
  const sys = {
    fork: libc.func('int fork()'),
    pipe2: libc.func('int pipe2(_Out_ int *fds, int flags)'),
    close: libc.func('int close(int fd)'),
    read: libc.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t len)'),
    poll: libc.func('poll', 'int', [koffi.inout(koffi.pointer(POLLFD)), 'unsigned long', 'int']),
    madvise: libc.func('int madvise(uintptr_t addr, size_t len, int advice)'),
    prctl: libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
    kill: libc.func('int kill(int pid, int sig)'),
    waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)'),
  };
  // The user address space of a 64-bit process ends at 2^47 (x86_64 with 4-level paging; a 5-level kernel maps above
  // it only when asked to, and the sweep then reaches the highest mapping); a 32-bit one on x86_64 at 4 GiB less two
  // pages (IA32_PAGE_OFFSET).
  const topOf = (maps: string): bigint => {
    if (wordBits === 32) return 0xffffe000n;
    let top = 1n << 47n;
    for (const m of maps.matchAll(/^[0-9a-f]+-([0-9a-f]+) /gm)) {
      const end = BigInt(`0x${m[1] ?? '0'}`);
      if (end < 1n << 63n && end > top) top = end;
    }
    return top;
  };
  const buf = Buffer.alloc(64 * 1024);
  // The worker's parent (semconf) when the worker made its runner, not when a copy is collected: had semconf died
  // between the fork and the collect, a parent read then would already be init's, and no change would ever be seen
  // (a test killing "semconf" just after the fork left a worker and its copy waiting on each other for good).
  const parent = process.ppid;

  return {
    method: 'fork(2) of the reused worker, its V8 heap made inheritable first (MADV_DOFORK); the copy runs the case and leaves through _exit',
    fork() {
      const fds = [0, 0];
      if (sys.pipe2(fds, O_CLOEXEC) !== 0) return { problem: `pipe2 failed with errno ${koffi.errno()}` };
      const [readFd = -1, writeFd = -1] = fds;
      const maps = readFileSync('/proc/self/maps', 'utf8');
      const spans = sweepSpans(maps, topOf(maps));
      for (const [a, b] of spans) {
        if (sys.madvise(a, b - a, MADV_DOFORK) === 0) continue;
        const errno = koffi.errno();
        if (errno === ENOMEM) continue; // a hole in the span: every mapping in it was advised
        sys.close(readFd);
        sys.close(writeFd);
        return { problem: `madvise(MADV_DOFORK) over ${a.toString(16)}-${b.toString(16)} failed with errno ${errno}: the copy would lack part of the worker` };
      }
      const pid = sys.fork();
      if (pid === -1) {
        const errno = koffi.errno();
        sys.close(readFd);
        sys.close(writeFd);
        return { problem: `fork failed with errno ${errno}` };
      }
      if (pid === 0) {
        sys.close(readFd);
        sys.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        return { pid, fd: writeFd };
      }
      sys.close(writeFd);
      return { pid, fd: readFd };
    },
    dieWithParent() {
      // cleared by a change of effective uid (prctl(2)): set again once the case's context is established
      sys.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    },
    collect(pid, fd) {
      const chunks: Buffer[] = [];
      let total = 0;
      try {
        for (;;) {
          const ready = sys.poll({ fd, events: POLLIN, revents: 0 }, 1, PARENT_CHECK_MS);
          if (ready === 0) {
            // semconf is gone (its worker was orphaned): so is the case; nobody would read what the copy says
            if (process.ppid !== parent) {
              sys.kill(pid, SIGKILL);
              break;
            }
            continue;
          }
          if (ready < 0) {
            if (koffi.errno() === 4) continue; // EINTR
            break;
          }
          const n = Number(sys.read(fd, buf, buf.length));
          if (n <= 0) break;
          chunks.push(Buffer.from(buf.subarray(0, n)));
          total += n;
          if (total > MAX_COPY_OUTPUT) {
            sys.kill(pid, SIGKILL);
            break;
          }
        }
      } finally {
        sys.close(fd);
      }
      return Buffer.concat(chunks);
    },
    reap(pid) {
      const status = [0];
      // the copy closed its end (it exited, or exec'd a program that has): it is gone or about to be
      let got = sys.waitpid(pid, status, 0);
      while (got === -1 && koffi.errno() === 4) got = sys.waitpid(pid, status, 0);
      if (got !== pid) return { problem: `waitpid(${pid}) returned ${got}` };
      const s = status[0] ?? 0;
      return (s & 0x7f) === 0 ? { code: (s >> 8) & 0xff } : { signal: s & 0x7f };
    },
    kill(pid) {
      sys.kill(pid, SIGKILL);
      sys.waitpid(pid, [0], 0);
    },
  };
}
