// The display name of an execution context, e.g. "unprivileged(memlock=1p)". Dependency-free: workers import it.
import type { Context } from './schema.js';

export function contextName(context: Context): string {
  return context === 'privileged' ? 'privileged' : `unprivileged(memlock=${context.memlock})`;
}
