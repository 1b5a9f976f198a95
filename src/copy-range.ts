// A range of one open file copied to the position of another, or to a given offset in it: merge copies the results a
// matrix keeps when --prefer drops some (src/merge-files.ts), from the matrix first written to a spool (src/spool.ts)
// and from there into the matrix written again. In the kernel where it can (copy_file_range(2): Linux's libc, through
// koffi), the bytes never come to this process: 470 MB of results took ~0.9 s read into a buffer and written out again,
// ~0.2 s so (cp(1) against dd(1) here). Elsewhere, or where the kernel refuses (another file system, an old kernel),
// through a buffer.
import { readSync, writeSync } from 'node:fs';
import { libcFunction } from './libc.js';

/** `length` bytes of the open file `fd` from `offset`. */
export interface FileRange {
  fd: number;
  offset: number;
  length: number;
}

/** copy_file_range(fd_in, off_in, fd_out, off_out, len, 0): from off_in (advanced), to off_out (advanced), or with
 * off_out NULL to fd_out's position (advanced). */
type CopyFileRange = (fdIn: number, offIn: BigInt64Array, fdOut: number, offOut: BigInt64Array | null, length: number, flags: number) => number | bigint;

/** At most this much a call: the kernel copies at most ~2 GiB a call anyway. */
const MAX_CALL = 1 << 30;

let kernelCopy: CopyFileRange | null | undefined;

/** copy_file_range, or null where there is none (src/libc.ts). */
function copyFileRange(): CopyFileRange | null {
  if (kernelCopy === undefined) {
    kernelCopy = libcFunction<CopyFileRange>('int64_t copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t len, unsigned int flags)');
  }
  return kernelCopy;
}

/** `range` written at the position of `to` (which advances, as writeSync without a position does), or at offset `at`
 * of it (its position unchanged, as writeSync with a position). Throws what the write throws (a full disk), or when
 * `range` runs past the end of its file. */
export function copyRange(range: FileRange, to: number, at?: number): void {
  let done = 0;
  const copy = copyFileRange();
  if (copy !== null) {
    const from = new BigInt64Array([BigInt(range.offset)]);
    const into = at === undefined ? null : new BigInt64Array([BigInt(at)]);
    while (done < range.length) {
      const n = Number(copy(range.fd, from, to, into, Math.min(range.length - done, MAX_CALL), 0));
      // -1: refused (EXDEV, EINVAL, ENOSYS, or a real error, which the buffered copy meets again and throws); 0: the
      // end of the file
      if (n <= 0) break;
      done += n;
    }
  }
  copyThroughBuffer(range, done, to, at);
}

function copyThroughBuffer(range: FileRange, from: number, to: number, at: number | undefined): void {
  const buffer = Buffer.allocUnsafe(Math.min(range.length - from, 1 << 20));
  for (let done = from; done < range.length; ) {
    const n = readSync(range.fd, buffer, 0, Math.min(buffer.length, range.length - done), range.offset + done);
    if (n === 0) throw new Error(`the file ended ${range.length - done} byte(s) before the range copied from it`);
    for (let off = 0; off < n; ) off += writeSync(to, buffer, off, n - off, at === undefined ? null : at + done + off);
    done += n;
  }
}
