// Sizes of a case's memory, shared by lint (before anything runs) and the worker (with the real page size).
// Dependency-free on purpose: worker processes import it, and must not load the YAML or zod machinery.
import type { Mapping } from './schema.js';

/** The default per-case lock budget, checked at lint against 4 KiB pages and by the worker against the real size. */
export const LOCK_BUDGET_BYTES = 64 * 1024 * 1024;
export const LINT_PAGE_SIZE = 4096;

export function pagesOf(m: Mapping): number {
  return m.layout?.length ?? m.pages ?? 0;
}
