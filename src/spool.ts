// A scratch file for bytes written once and read back in another order: merge spools each target's results JSON here
// as it reads the files, so that memory holds only what the matrix decides on, and copies them into the matrix in
// target order. The file is unlinked as soon as it is opened: it never shows in a directory and goes with the process,
// however that ends. Its owner (Spool) opens, reads and closes it; whoever fills it may be another thread of the
// process, appending through the descriptor (SpoolAppender): merge's workers each fill a spool of their own, so that
// the bytes never pass between threads.
import { closeSync, existsSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileRange } from './copy-range.js';
import { OutputError } from './file-errors.js';

export interface SpoolRange {
  offset: number;
  length: number;
}

/** Appends to a spool by its descriptor, in one thread: a spool has one appender, or offsets would collide. */
export class SpoolAppender {
  private end = 0;

  constructor(private readonly fd: number) {}

  /** Where `bytes` went; throws what writeSync throws (a full disk). */
  append(bytes: string | Uint8Array): SpoolRange {
    const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    // writeSync may write fewer bytes than asked (a nearly full disk): loop until all are down, or it throws.
    for (let off = 0; off < b.length; ) off += writeSync(this.fd, b, off, b.length - off, this.end + off);
    const range = { offset: this.end, length: b.length };
    this.end += b.length;
    return range;
  }
}

export class Spool {
  private appender: SpoolAppender | null = null;
  /** one buffer for every read: each range is consumed (written out) before the next is read */
  private buffer = Buffer.alloc(0);
  private failed: OutputError | null = null;

  private constructor(
    /** the output the spool is for, as named in its errors */
    private readonly file: string,
    private fd: number | null,
  ) {}

  /** A spool in the directory of `file`, the output it will become (the same file system, so no other disk fills,
   * and a directory the user chose, never a memory-backed /tmp); `part` tells apart several spools of one process.
   * It never throws: a spool that cannot be opened or written has `failure`, so that the caller can still validate
   * every input first (a bad input is the error that matters) and raise the output's error after. */
  static beside(file: string, part = ''): Spool {
    const path = join(dirname(file), `.${basename(file)}.${process.pid}${part === '' ? '' : `.${part}`}.semconf.spool`);
    const spool = new Spool(file, null);
    try {
      spool.fd = openSync(path, 'w+', 0o600);
      unlinkSync(path);
    } catch (e) {
      spool.fail(e);
    }
    return spool;
  }

  /** Why nothing more can be spooled, or null. */
  get failure(): OutputError | null {
    return this.failed;
  }

  /** The descriptor another thread appends through (SpoolAppender), or null when the spool could not be opened. It
   * stays open until `close`, which must wait until that thread is done with it: a number closed and reused would
   * send its appends to another file. */
  get descriptor(): number | null {
    return this.failed === null ? this.fd : null;
  }

  /** Where `text` went, or null once the spool has failed. For a spool this thread fills itself. */
  append(text: string | Uint8Array): SpoolRange | null {
    if (this.fd === null || this.failed !== null) return null;
    this.appender ??= new SpoolAppender(this.fd);
    try {
      return this.appender.append(text);
    } catch (e) {
      this.fail(e);
      return null;
    }
  }

  /** An append elsewhere (through `descriptor`) failed: the spool's failure, named as its own would be. The descriptor
   * stays open until `close` (see `descriptor`). */
  appendFailed(why: string): void {
    this.failed ??= this.error(why);
  }

  /** Where the bytes of `range` are, to be copied from the spool's file (src/copy-range.ts) while it is open. */
  fileRange(range: SpoolRange): FileRange {
    if (this.fd === null) throw this.failed ?? this.error('the spool is closed');
    return { fd: this.fd, ...range };
  }

  /** The bytes of `range`, valid until the next read. */
  read(range: SpoolRange): Uint8Array {
    if (this.fd === null) throw this.failed ?? this.error('the spool is closed');
    if (this.buffer.length < range.length) this.buffer = Buffer.allocUnsafe(range.length);
    for (let off = 0; off < range.length; ) {
      const n = readSync(this.fd, this.buffer, off, range.length - off, range.offset + off);
      if (n === 0) throw this.error(`the spool ended ${range.length - off} byte(s) early`);
      off += n;
    }
    return this.buffer.subarray(0, range.length);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private fail(e: unknown): void {
    this.failed = this.error(e instanceof Error ? e.message : String(e));
    this.close();
  }

  private error(why: string): OutputError {
    // the wording of writeFileAtomicChunks: the output is renamed into place only once whole
    return new OutputError(`could not write ${this.file} (${why}); ${existsSync(this.file) ? 'the file that was there is unchanged' : 'nothing was written'}`);
  }
}
