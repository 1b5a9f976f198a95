// A scratch file for ranges of another file, copied in once and out again in any order: when --prefer drops some
// targets of a matrix merge has already written, the results it keeps go here, and from here into the matrix written again
// (src/merge-files.ts). The file is unlinked as soon as it is opened: it never shows in a directory and goes with the
// process, however that ends.
import { closeSync, existsSync, openSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { copyRange, type FileRange } from './copy-range.js';
import { OutputError } from './file-errors.js';

export interface SpoolRange {
  offset: number;
  length: number;
}

export class Spool {
  /** where the next append goes */
  private end = 0;
  private failed: OutputError | null = null;

  private constructor(
    /** the output the spool is for, as named in its errors */
    private readonly file: string,
    private fd: number | null,
  ) {}

  /** A spool in the directory of `file`, the output it will become (the same file system, so no other disk fills,
   * and a directory the user chose, never a memory-backed /tmp); `part` tells apart several spools of one process.
   * It never throws: a spool that cannot be opened or written has `failure`, so that the caller can still finish what
   * it is doing (a bad input is the error that matters) and raise the output's error after. */
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

  /** Where the bytes of `range` (of another open file) went, or null once the spool has failed. */
  appendRange(range: FileRange): SpoolRange | null {
    return this.appended(range.length, (fd, at) => copyRange(range, fd, at));
  }

  /** Where the bytes of `range` are, to be copied from the spool's file (src/copy-range.ts) while it is open. */
  fileRange(range: SpoolRange): FileRange {
    if (this.fd === null) throw this.failed ?? this.error('the spool is closed');
    return { fd: this.fd, ...range };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** `length` bytes written at the end by `write` (given the descriptor and the offset); their range. */
  private appended(length: number, write: (fd: number, at: number) => void): SpoolRange | null {
    if (this.fd === null || this.failed !== null) return null;
    try {
      write(this.fd, this.end);
    } catch (e) {
      this.fail(e);
      return null;
    }
    const range = { offset: this.end, length };
    this.end += length;
    return range;
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
