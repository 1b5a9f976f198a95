// The temporary files behind a case's file-backed mappings: a file per mapping in the system's temporary directory,
// created exclusively (O_EXCL, mode 0600: no one else can open it, and the sticky /tmp lets no one else remove it)
// under a random name, and unlinked at once, so that only its descriptor keeps it alive (the mapping made from the
// descriptor keeps it alive after that). Nothing of it has a name after create() returns: a worker killed at any
// point leaves nothing behind, and cleanup only closes the descriptors. (A directory per case cost a mkdtemp and a
// recursive removal per case, about half a millisecond each on this machine kind.)
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The system's temporary directory, where this process may create in it; else /tmp. A worker in a dropped context
 * (unprivileged) may not write the TMPDIR it inherited from root: `--target gvisor` points TMPDIR at the launcher's
 * root-only state directory. The case's own directory is mkdtemp's (mode 0700) either way. */
export function caseFilesBase(preferred = tmpdir()): string {
  try {
    accessSync(preferred, constants.W_OK | constants.X_OK);
    return preferred;
  } catch {
    return '/tmp';
  }
}

export class CaseFiles {
  private readonly open = new Map<string, number>();

  /** A new file of `bytes` zero bytes (sparse: no page of it is in the page cache yet) for mapping `name`, already
   * unlinked; its fd. */
  create(name: string, bytes: number): number {
    const path = join(caseFilesBase(), `semconf-case-${randomBytes(8).toString('hex')}-${name}`);
    const fd = openSync(path, 'wx+', 0o600);
    try {
      unlinkSync(path);
      ftruncateSync(fd, bytes);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.open.set(name, fd);
    return fd;
  }

  /** The descriptor of mapping `name`'s file, or undefined when it has none. */
  fd(name: string): number | undefined {
    return this.open.get(name);
  }

  /** Close every descriptor (call after the mappings are gone; a file goes with its last descriptor and mapping). */
  cleanup(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}
