// "Did you mean …?" for a mistyped name: the nearest known names by edit distance, or nothing when none is near.
// The one rule for every suggestion semconf makes (commands, options, case ids, verdicts, spec keys and names).
import { distance } from 'fastest-levenshtein';

/** How far a typo may be from what was meant. At least 2, so a swap of two letters (`rnu` for `run`, `hpxu` for
 * `hpux`: distance 2) still finds it; a third of the word beyond that; and always less than the word's length, so a
 * short word that shares nothing with a name (`du` against `run`) suggests nothing. */
export function typoTolerance(word: string): number {
  return Math.min(Math.max(2, Math.ceil(word.length / 3)), word.length - 1);
}

/** The candidates nearest to `word` (case ignored; ties kept in order, at most three), or none when nothing is
 * within typoTolerance. */
export function nearestNames(word: string, candidates: readonly string[]): string[] {
  const typed = word.toLowerCase();
  const scored = candidates.map((name) => ({ name, d: distance(typed, name.toLowerCase()) }));
  const best = Math.min(...scored.map((s) => s.d));
  if (!(best <= typoTolerance(word))) return [];
  // Among equals, a word with the same letters comes first: two swapped letters (`lnit`) are one slip of the
  // fingers, which plain edit distance counts as two, the same as two wrong letters (`list`).
  const sameLetters = (name: string): boolean => [...name.toLowerCase()].sort().join('') === [...typed].sort().join('');
  const ties = scored.filter((s) => s.d === best).map((s) => s.name);
  return [...ties.filter(sameLetters), ...ties.filter((n) => !sameLetters(n))].slice(0, 3);
}

/** The nearest candidate, if one is near; the first of equals wins. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  return nearestNames(word, candidates)[0];
}
