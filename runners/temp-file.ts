// A temporary file with no name: created exclusively (O_EXCL, mode 0600: no one else can open it, and a sticky
// temporary directory lets no one else remove it) under a name of its own, and unlinked at once, so that only its
// descriptor keeps it (and any mapping made from the descriptor). Nothing of it is left behind, whenever the process
// dies. For the files behind a case's file-backed mappings (src/worker/case-files.ts) and the lock probe's calibration.
//
// The name need not be unguessable: O_EXCL refuses a name that exists (a file, or a symlink someone planted: it is not
// followed), and a name taken is simply tried again under the next. So it is made of the pid, a count and
// Math.random, not node:crypto, which a worker would load for this alone: ~11 ms of every worker's start natively,
// ~80 ms inside gVisor (measured on this machine kind, a worker's flags, median of 3). (A forked copy of a worker
// starts with the worker's count and random state, and process.pid is still the worker's there: its first name may be
// one a copy before it used, whose file was unlinked at once; were it not, the next try takes another.)
import { accessSync, closeSync, constants, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The system's temporary directory, where this process may create in it; else /tmp. A worker in a dropped context
 * (unprivileged), or semconf run as another user, may not write the TMPDIR it inherited: `--target gvisor` points
 * TMPDIR at the launcher's root-only state directory. */
function writableTempDir(preferred = tmpdir()): string {
  try {
    accessSync(preferred, constants.W_OK | constants.X_OK);
    return preferred;
  } catch {
    return '/tmp';
  }
}

/** Names tried before giving up: each a fresh count and random part, so only a directory filling with semconf's names
 * as fast as they are made would use them all. */
const NAME_TRIES = 16;
let made = 0;

const nextName = (label: string): string => `semconf-${label}-${process.pid}-${++made}-${Math.random().toString(36).slice(2, 10)}`;

/** The path of a new file in `dir` that no one else can open, and its descriptor; `name` gives each try's name. */
export function createExclusive(dir: string, label: string, name: (label: string) => string = nextName): { path: string; fd: number } {
  for (let attempt = 1; ; attempt++) {
    const path = join(dir, name(label));
    try {
      return { path, fd: openSync(path, 'wx+', 0o600) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= NAME_TRIES) throw e;
    }
  }
}

/** A descriptor of a new file of `bytes` zero bytes (sparse), already unlinked; `label` ends its (short-lived) name. */
export function unlinkedTempFile(label: string, bytes: number): number {
  const { path, fd } = createExclusive(writableTempDir(), label);
  try {
    unlinkSync(path);
    ftruncateSync(fd, bytes);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}
