// Reading input files safely. Spec files and document copies arrive in pull requests and are read as root on other
// people's machines, so a file is read only when it is a regular file inside the directory it was looked up in and
// no bigger than a stated limit. A symlink to /dev/zero (endless), a FIFO (a read that never returns), a 600 MB file
// (past V8's string length) or a symlink out of the tree (/etc/shadow) is refused with a diagnostic at file:1:1.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { relative, isAbsolute, sep } from 'node:path';
import { InputError } from './diagnostics.js';

/** Largest spec, profile or document copy read: the largest committed spec file is under 50 KiB. */
export const MAX_SPEC_FILE_BYTES = 4 * 1024 * 1024;

/** Why `file` may not be read, or undefined when it may: checked on the path before anything is opened. */
function refusal(file: string, root: string): string | undefined {
  let link;
  try {
    link = lstatSync(file);
  } catch (e) {
    return `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  // The real path must stay inside the real root: a symlink (of the file or of a directory on the way) may point
  // within the tree, never out of it.
  let real;
  try {
    real = realpathSync(file);
  } catch (e) {
    return `a symlink whose target cannot be resolved (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const within = relative(realpathSync(root), real);
  if (within === '' || within === '..' || within.startsWith(`..${sep}`) || isAbsolute(within)) {
    return `resolves to ${real}, outside ${root}; expected a file inside that directory`;
  }
  const target = link.isSymbolicLink() ? statSync(real) : link;
  return target.isFile() ? undefined : `expected a regular file, found ${kindOf(target)}${link.isSymbolicLink() ? ` (through a symlink to ${real})` : ''}`;
}

function kindOf(s: import('node:fs').Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * The UTF-8 text of `file`, which must be a regular file inside `root` of at most `limit` bytes; otherwise an
 * InputError at file:1:1 saying which rule it broke. The file is opened with O_NONBLOCK (a FIFO swapped in after
 * the check cannot block the open) and checked again with fstat on the open descriptor, and never more than
 * `limit` + 1 bytes are read (a file that grows while being read is refused, not read without end).
 */
export function readInputFile(file: string, root: string, limit = MAX_SPEC_FILE_BYTES): string {
  const refuse = (message: string): never => {
    throw new InputError([{ file, line: 1, col: 1, path: '', message }]);
  };
  const why = refusal(file, root);
  if (why !== undefined) refuse(why);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return refuse(`cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) refuse(`expected a regular file, found ${kindOf(st)}`);
    if (st.size > limit) refuse(`the file is ${st.size} bytes; expected at most ${limit} bytes (${limit / 1024 / 1024} MiB)`);
    // One byte more than fstat promised: reading it means the file grew after the check.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > st.size) refuse(`the file grew while being read; expected a file of at most ${limit} bytes that does not change`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
