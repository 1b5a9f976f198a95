// A file with no name until it is complete: open(2) with O_TMPFILE makes it in a directory without a directory entry,
// and linkat(2) of /proc/self/fd/N gives it one (open(2)'s own example). A writer killed before that, even by SIGKILL,
// leaves nothing behind: the kernel frees the file with its last descriptor. Merge writes its matrix so
// (src/matrix.ts MatrixWriter), for the whole of its reading, up to hundreds of MB. Linux only (its O_TMPFILE is
// __O_TMPFILE | O_DIRECTORY on x86, arm and arm64); elsewhere, or where the file system refuses it, null: the caller
// names its file instead.
import { constants, existsSync, openSync } from 'node:fs';
import { libcFunction } from './libc.js';

const O_TMPFILE_BIT = 0o20000000;
const AT_FDCWD = -100;
const AT_SYMLINK_FOLLOW = 0x400;
const ARCHES = new Set(['x64', 'ia32', 'arm64', 'arm']);

type Linkat = (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;
let linkat: Linkat | null | undefined;

function linker(): Linkat | null {
  if (linkat === undefined) {
    linkat = process.platform === 'linux' && ARCHES.has(process.arch) && existsSync('/proc/self/fd') ? libcFunction<Linkat>('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)') : null;
  }
  return linkat;
}

/** A descriptor open for reading and writing on a new file in `dir` that has no name yet, or null where there is none
 * such. */
export function openUnnamed(dir: string, mode: number): number | null {
  if (linker() === null) return null;
  try {
    return openSync(dir, O_TMPFILE_BIT | constants.O_DIRECTORY | constants.O_RDWR, mode);
  } catch {
    return null; // a file system without O_TMPFILE (EOPNOTSUPP), or a directory that cannot be written: named instead
  }
}

/** Give the unnamed file of `fd` the name `path` (which must not exist). Throws with the errno where it cannot. */
export function nameUnnamed(fd: number, path: string): void {
  const link = linker();
  if (link === null || link(AT_FDCWD, `/proc/self/fd/${fd}`, AT_FDCWD, path, AT_SYMLINK_FOLLOW) !== 0) {
    throw new Error(`linkat of the unnamed file to ${path} failed`);
  }
}
