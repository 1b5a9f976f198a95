// This process's own /proc files (Linux), read again and again through descriptors kept open.
//
// A read at offset 0 makes the kernel generate a /proc file anew, so only the first reading of each file pays for the
// open; each later one is one pread, where Node's readFileSync paid an open, an fstat, its reads in 8 KiB and a close.
// Measured per reading of /proc/self/status in a Node process on this machine kind: 50-70 -> 15-18 µs natively,
// 250-300 -> 47-57 µs under gVisor, where a case reads it several times (loops of 2,000 readings).
//
// A forked copy of the worker (linux-fork.ts) inherits the descriptors, and they name the worker's process, not the
// copy: the files are opened again whenever the process id differs from the one that opened them (getpid, since
// Node's process.pid is read once at start and stays the worker's in a copy).
import { closeSync, openSync, readSync } from 'node:fs';
import koffi from 'koffi';

let getpid: (() => number) | undefined;
const processId = (): number => (getpid ??= koffi.load('libc.so.6').func('int getpid()') as () => number)();

/** The descriptors of this process's /proc files, and the process that opened them. */
const kept = new Map<string, number>();
let keptBy: number | null = null;

/** One buffer for every reading, grown when a reading fills it (a worker's smaps is ~70 KB). */
let buffer = Buffer.allocUnsafe(256 * 1024);

/** All of the file at `fd`, read from its start whatever was read of it before. */
export function readFromStart(fd: number): string {
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    // at the position read so far (0 first): a pread, which the kernel answers from a fresh generation at 0
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) return buffer.toString('utf8', 0, length);
    length += n;
  }
}

/** The text of /proc/self/`name` now (`status`, `smaps`, `smaps_rollup`, `maps`). An error opening it (ENOENT where
 * the kernel has no such file) is thrown as readFileSync would, and nothing is kept of it. */
export function readOwnProc(name: string): string {
  const pid = processId();
  if (pid !== keptBy) {
    for (const fd of kept.values()) closeSync(fd);
    kept.clear();
    keptBy = pid;
  }
  let fd = kept.get(name);
  if (fd === undefined) {
    fd = openSync(`/proc/self/${name}`, 'r');
    kept.set(name, fd);
  }
  return readFromStart(fd);
}
