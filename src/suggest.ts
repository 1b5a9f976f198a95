// "Did you mean …?" for a mistyped name: the nearest known name by edit distance, or nothing when none is near.
import { distance } from 'fastest-levenshtein';

/** How far a typo may be from what was meant. At least 2, so a swap of two letters (`rnu` for `run`, distance 2)
 * still finds it; a third of the word beyond that; and always less than the word's length, so a short word that
 * shares nothing with a name (`du` against `run`) suggests nothing. */
export function typoTolerance(word: string): number {
  return Math.min(Math.max(2, Math.floor(word.length / 3)), word.length - 1);
}

/** The candidate nearest to `word` (case-insensitive), if it is within typoTolerance; the first of equals wins. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = distance(typed, name.toLowerCase());
    if (best === undefined || d < best.d) best = { name, d };
  }
  return best !== undefined && best.d <= typoTolerance(word) ? best.name : undefined;
}
