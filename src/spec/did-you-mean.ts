// The spec's messages about a name that is not one of the allowed ones; which names are near is src/suggest.ts.
import { nearestNames } from '../suggest.js';

export { nearestNames };

/** `did you mean "x"?`, or '' when no allowed name is near. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const near = nearestNames(word, candidates);
  return near.length === 0 ? '' : `did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?`;
}

/** ` (did you mean "x"?)` after a name, or '' when no allowed name is near. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggestion(word, candidates);
  return s === '' ? '' : ` (${s})`;
}

/** Lists longer than this are not spelled out in a message (80 errno names); the message names where they are. */
export const MAX_LISTED = 16;

/** `unknown <kind> "<name>" (did you mean "x"?); expected one of a, b, c`: the one form of every unknown-name
 * message, so that keys, profiles, functions, mappings and errno names read alike. */
export function unknownName(kind: string, name: string, allowed: readonly string[], where = ''): string {
  return `unknown ${kind} ${JSON.stringify(name)}${didYouMean(name, allowed)}; ${expectedOneOf(allowed, kind, where)}`;
}

export function expectedOneOf(allowed: readonly string[], kind: string, where = ''): string {
  if (allowed.length === 0) return `expected no ${kind} here${where}`;
  if (allowed.length > MAX_LISTED) return `expected one of the ${allowed.length} ${kind}s${where} (listed in schema/spec.schema.json)`;
  return `expected one of ${allowed.join(', ')}${where}`;
}
