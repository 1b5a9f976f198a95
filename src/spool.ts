// A scratch file for bytes written once and read back in another order: merge spools each target's results JSON here
// as it reads the files, so that memory holds only what the matrix decides on, and copies them into the matrix in
// target order. The file is unlinked as soon as it is opened: it never shows in a directory and goes with the process,
// however that ends.
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OutputError } from './results.js';

export interface SpoolRange {
  offset: number;
  length: number;
}

export class Spool {
  private end = 0;
  /** one buffer for every read: each range is consumed (written out) before the next is read */
  private buffer = Buffer.alloc(0);

  private constructor(private readonly fd: number) {}

  /** A spool in the directory of `file` (the output it will become: the same file system, so no other disk fills,
   * and a directory the user chose, never a memory-backed /tmp). */
  static beside(file: string): Spool {
    const path = join(dirname(file), `.${basename(file)}.${process.pid}.semconf.spool`);
    try {
      const fd = openSync(path, 'w+', 0o600);
      unlinkSync(path);
      return new Spool(fd);
    } catch (e) {
      throw new OutputError(`could not write ${file} (${(e as Error).message}); nothing was written`);
    }
  }

  append(text: string): SpoolRange {
    const bytes = Buffer.from(text, 'utf8');
    // writeSync may write fewer bytes than asked (a nearly full disk): loop until all are down, or it throws.
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off, this.end + off);
    const range = { offset: this.end, length: bytes.length };
    this.end += bytes.length;
    return range;
  }

  /** The bytes of `range`, valid until the next read. */
  read(range: SpoolRange): Uint8Array {
    if (this.buffer.length < range.length) this.buffer = Buffer.allocUnsafe(range.length);
    for (let off = 0; off < range.length; ) {
      const n = readSync(this.fd, this.buffer, off, range.length - off, range.offset + off);
      if (n === 0) throw new OutputError(`the merge spool ended ${range.length - off} byte(s) early`);
      off += n;
    }
    return this.buffer.subarray(0, range.length);
  }

  close(): void {
    closeSync(this.fd);
  }
}
