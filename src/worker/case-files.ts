// The temporary files behind a case's file-backed mappings: one private directory per case (mkdtemp under the
// system's temporary directory, mode 0700), a file per mapping, each unlinked as soon as it is mapped (the mapping
// and the descriptor keep it alive), and everything closed and removed at cleanup, whether the case ran or failed.
import { accessSync, closeSync, constants, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
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
  private dir: string | null = null;
  private readonly open = new Map<string, { fd: number; path: string | null }>();

  /** A new file of `bytes` zero bytes (sparse: no page of it is in the page cache yet) for mapping `name`; its fd. */
  create(name: string, bytes: number): number {
    this.dir ??= mkdtempSync(join(caseFilesBase(), 'semconf-case-'));
    const path = join(this.dir, name);
    const fd = openSync(path, 'wx+', 0o600);
    this.open.set(name, { fd, path });
    ftruncateSync(fd, bytes);
    return fd;
  }

  /** The descriptor of mapping `name`'s file, or undefined when it has none. */
  fd(name: string): number | undefined {
    return this.open.get(name)?.fd;
  }

  /** Remove the name once the file is mapped: nothing else can open it, and nothing is left if the worker dies. */
  unlink(name: string): void {
    const f = this.open.get(name);
    if (f?.path == null) return;
    rmSync(f.path, { force: true });
    f.path = null;
  }

  /** Close every descriptor and remove the directory (call after the mappings are gone). */
  cleanup(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
