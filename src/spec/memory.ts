// Sizes of a case's memory, shared by lint (before anything runs) and the worker (with the real page size).
// Dependency-free on purpose: worker processes import it, and must not load the YAML or zod machinery.
import type { Mapping } from './schema.js';

/** The default per-case lock budget, checked at lint against 4 KiB pages and by the worker against the real size. */
export const LOCK_BUDGET_BYTES = 64 * 1024 * 1024;
export const LINT_PAGE_SIZE = 4096;

export function pagesOf(m: Mapping): number {
  return m.layout?.length ?? m.pages ?? 0;
}

/** The largest page size of any runner (arm64 Linux with 64 KiB pages): bounds are chosen so that a count of pages
 * converted to bytes on any target still fits where it goes, and nothing ever wraps. */
export const LARGEST_PAGE_SIZE = 65536n;

/** RLIMIT_MEMLOCK as bytes: a JavaScript safe integer (YAML numbers are doubles; past this they lose digits). */
export const MAX_MEMLOCK_BYTES = BigInt(Number.MAX_SAFE_INTEGER);
/** RLIMIT_MEMLOCK as "Np": N pages, so that N × 64 KiB is still a safe integer number of bytes. */
export const MAX_MEMLOCK_PAGES = MAX_MEMLOCK_BYTES / LARGEST_PAGE_SIZE;
/** The largest finite RLIMIT_MEMLOCK every runner can set: under RLIM_INFINITY of each (2^64 - 1 on Linux, 2^63 - 1
 * on FreeBSD and macOS, whose rlim_t is signed). The worker refuses more rather than let the FFI wrap it. */
export const MAX_RLIMIT_BYTES = (1n << 63n) - 2n;

/** A number in a call expression: a size_t, at most 2^64 - 1, and as "Np" at most this many pages (so that N × the
 * largest page size still fits in 64 bits). Arithmetic between terms is modulo 2^64 (documented); a literal never is. */
export const MAX_CALL_NUMBER = (1n << 64n) - 1n;
export const MAX_CALL_PAGES = MAX_CALL_NUMBER / LARGEST_PAGE_SIZE;
