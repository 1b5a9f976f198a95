// The temporary files behind a case's file-backed mappings: a file per mapping, with no name from the start
// (runners/temp-file.ts: created exclusively and unlinked at once), so that only its descriptor keeps it alive (and
// the mapping made from the descriptor after that). A worker killed at any point leaves nothing behind, and cleanup
// only closes the descriptors. (A directory per case cost a mkdtemp and a recursive removal per case, about half a
// millisecond each on this machine kind.)
import { closeSync } from 'node:fs';
import { unlinkedTempFile } from '../../runners/temp-file.js';

export class CaseFiles {
  private readonly open = new Map<string, number>();

  /** A new file of `bytes` zero bytes (sparse: no page of it is in the page cache yet) for mapping `name`, already
   * unlinked; its fd. */
  create(name: string, bytes: number): number {
    const fd = unlinkedTempFile(`case-${name}`, bytes);
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
