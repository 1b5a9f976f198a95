// A temporary file with no name: created exclusively (O_EXCL, mode 0600: no one else can open it, and a sticky
// temporary directory lets no one else remove it) under a random name, and unlinked at once, so that only its
// descriptor keeps it (and any mapping made from the descriptor). Nothing of it is left behind, whenever the process
// dies. For the files behind a case's file-backed mappings (src/worker/case-files.ts) and the lock probe's calibration.
import { randomBytes } from 'node:crypto';
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

/** A descriptor of a new file of `bytes` zero bytes (sparse), already unlinked; `label` ends its (short-lived) name. */
export function unlinkedTempFile(label: string, bytes: number): number {
  const path = join(writableTempDir(), `semconf-${label}-${randomBytes(8).toString('hex')}`);
  const fd = openSync(path, 'wx+', 0o600);
  try {
    unlinkSync(path);
    ftruncateSync(fd, bytes);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}
