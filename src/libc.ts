// Functions of this platform's C library that Node's fs does not offer (merge's kernel copies: src/copy-range.ts,
// src/writeback.ts), through koffi. koffi and the library are loaded on first use only: every command reads and
// writes files through src/results.ts, and only large writes call these.
import { createRequire } from 'node:module';

/** The C library of the platforms whose functions are asked for here (glibc's; elsewhere none is loaded). */
const LIBC: Partial<Record<NodeJS.Platform, string>> = { linux: 'libc.so.6' };

let libc: import('koffi').LibraryHandle | null | undefined;

/** The C function `declaration` (koffi's prototype syntax), or null where there is no such library or function (a
 * libc too old for it, another platform): the caller then does without. */
export function libcFunction<F>(declaration: string): F | null {
  if (libc === undefined) {
    libc = null;
    const library = LIBC[process.platform];
    try {
      if (library !== undefined) libc = (createRequire(import.meta.url)('koffi') as typeof import('koffi')).load(library);
    } catch {
      // no koffi build for this platform, or no such library: without
    }
  }
  if (libc === null) return null;
  try {
    return libc.func(declaration) as F;
  } catch {
    return null;
  }
}
