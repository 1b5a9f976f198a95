// Writing a file whole or not at all: a temporary file beside the target, flushed, then renamed over it (AtomicFile).
// Every output of semconf goes through here: results files, reports, the merge's matrix.
import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, rmSync, type Stats, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { copyRange, type FileRange } from './copy-range.js';
import { OutputError } from './file-errors.js';
import { nameUnnamed, openUnnamed } from './unnamed-file.js';
import { startWriteback, WRITEBACK_EVERY } from './writeback.js';

/** What an existing path is, when it is not a regular file (a device node, a FIFO, a symlink, a directory). */
function specialKind(file: string): string | null {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return null; // not there yet: it will be created
  }
  if (st.isFile()) return null;
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device node';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

const tempName = (file: string, pid: number): string => join(dirname(file), `.${basename(file)}.${pid}.semconf.tmp`);

/** Temporary files a killed writer left beside `file` (their pid is gone): removed, so a SIGKILL leaves at most one
 * such file, and only until the next write. */
function removeStaleTemps(file: string): void {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.semconf.tmp') ? Number(name.slice(prefix.length, -'.semconf.tmp'.length)) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    rmSync(join(dirname(file), name), { force: true });
  }
}

/** A whole file or nothing, written a chunk at a time: a temporary file beside the target, every byte written
 * (writeSync may write fewer than asked on a nearly full disk), flushed to disk on `commit`, then renamed over the
 * target and the directory flushed; `abort` removes it. On any failure the old file stays as it was and an OutputError
 * says why. An existing target that is not a regular file (a device node, a FIFO, a symlink) is refused: renaming over
 * it would replace it. The temporary file is named by the writer's pid, so one a killed writer left is removed by the
 * next write (removeStaleTemps). */
export class AtomicFile {
  /** a large file's disk write is started every WRITEBACK_EVERY bytes, so that fsync has less left to wait for */
  private sinceWriteback = 0;
  /** how many bytes are written */
  private written = 0;

  private constructor(
    private readonly file: string,
    private readonly tmp: string,
    private fd: number | null,
    /** made by openUnnamed: no directory entry until commit names it `tmp` */
    private readonly unnamed: boolean,
  ) {}

  /** `unnamed`: where the platform can, the temporary file has no name until it is complete (src/unnamed-file.ts),
   * so that a writer killed even by SIGKILL leaves nothing: for a file written over a long time (merge's matrix). */
  static open(file: string, options: { unnamed?: boolean } = {}): AtomicFile {
    const kind = specialKind(file);
    if (kind !== null) throw new OutputError(`${file} is a ${kind}, not a regular file; refusing to replace it`);
    removeStaleTemps(file);
    const tmp = tempName(file, process.pid);
    const fd = options.unnamed === true ? openUnnamed(dirname(file), 0o644) : null;
    if (fd !== null) return new AtomicFile(file, tmp, fd, true);
    try {
      // open for reading too: what is written can be copied on (range) while it is open
      return new AtomicFile(file, tmp, openSync(tmp, 'wx+', 0o644), false);
    } catch (e) {
      throw AtomicFile.failed(file, e);
    }
  }

  /** The error of a write of `file` that failed with `e`. */
  static failed(file: string, e: unknown): OutputError {
    return new OutputError(`could not write ${file} (${(e as Error).message}); ${existsSync(file) ? 'the file that was there is unchanged' : 'nothing was written'}`);
  }

  /** Append `chunk` (a range of another file is copied by the kernel where it can: src/copy-range.ts). */
  write(chunk: string | Uint8Array | FileRange): void {
    const fd = this.fd;
    if (fd === null) throw new Error(`${this.file}: written after commit or abort`);
    try {
      let length: number;
      if (typeof chunk === 'object' && !(chunk instanceof Uint8Array)) {
        copyRange(chunk, fd);
        length = chunk.length;
      } else {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
        length = bytes.length;
      }
      this.written += length;
      this.sinceWriteback += length;
      if (this.sinceWriteback >= WRITEBACK_EVERY) {
        startWriteback(fd);
        this.sinceWriteback = 0;
      }
    } catch (e) {
      this.abort();
      throw AtomicFile.failed(this.file, e);
    }
  }

  /** How many bytes are written so far: the offset the next write goes to. */
  get size(): number {
    return this.written;
  }

  /** `length` bytes of what is written, from `offset`, to be copied on (src/copy-range.ts) while the file is open. */
  range(offset: number, length: number): FileRange {
    const fd = this.fd;
    if (fd === null) throw new Error(`${this.file}: read after commit or abort`);
    if (offset < 0 || offset + length > this.written) throw new Error(`${this.file}: bytes ${offset}..${offset + length} are not written`);
    return { fd, offset, length };
  }

  /** Flush, rename into place, flush the directory. */
  commit(): void {
    const fd = this.fd;
    if (fd === null) throw new Error(`${this.file}: committed after commit or abort`);
    this.fd = null;
    try {
      try {
        fsyncSync(fd);
        // (named only now, complete and on disk: the rename below follows at once)
        if (this.unnamed) nameUnnamed(fd, this.tmp);
      } finally {
        closeSync(fd);
      }
      renameSync(this.tmp, this.file);
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw AtomicFile.failed(this.file, e);
    }
    // The rename is durable only once the directory is on disk too; a file system that cannot flush a directory
    // (EINVAL) has nothing to flush.
    try {
      const dfd = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // nothing more to make durable
    }
  }

  /** The temporary file removed; the target as it was. Safe to call more than once. */
  abort(): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    try {
      closeSync(fd);
    } finally {
      // an unnamed file is gone with its descriptor
      if (!this.unnamed) rmSync(this.tmp, { force: true });
    }
  }
}

/** Write a whole file or nothing (AtomicFile), from `chunks`. */
export function writeFileAtomicChunks(file: string, chunks: Iterable<string | Uint8Array | FileRange>): void {
  const out = AtomicFile.open(file);
  const it = chunks[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<string | Uint8Array | FileRange>;
    try {
      next = it.next();
    } catch (e) {
      // the chunks' producer failed (a failed write has said so itself, naming the file)
      out.abort();
      throw AtomicFile.failed(file, e);
    }
    if (next.done === true) break;
    out.write(next.value);
  }
  out.commit();
}

export function writeFileAtomic(file: string, text: string): void {
  writeFileAtomicChunks(file, [text]);
}
