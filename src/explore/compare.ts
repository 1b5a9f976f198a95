// What differs between two targets' results of one explored case: the diff's own rule (src/behaviour.ts), so that
// exploration never reports what a diff would class as visibility (a blind probe) or environment (VmLck, durations,
// reasons). Pure.
import { behaviourChanges, countsAsBehaviour, type ObservationChange } from '../behaviour.js';
import type { CaseResult } from '../results.js';

export interface Difference {
  /** "native/gvisor" */
  pair: string;
  changes: ObservationChange[];
}

/** Every pair of targets (in the order given) whose results of the case differ in behaviour. */
export function differencesOf(results: ReadonlyMap<string, CaseResult>, targets: readonly string[]): Difference[] {
  const out: Difference[] = [];
  targets.forEach((a, i) => {
    for (const b of targets.slice(i + 1)) {
      const x = results.get(a);
      const y = results.get(b);
      if (x === undefined || y === undefined) continue;
      const changes = behaviourChanges(x, y).filter(countsAsBehaviour);
      if (changes.length > 0) out.push({ pair: `${a}/${b}`, changes });
    }
  });
  return out;
}

/** What a difference is about, for keeping a shrink on the same difference: the pair and the facts that differ. */
export function signature(d: Difference): string[] {
  return d.changes.map((c) => `${d.pair} ${c.what}`);
}

/** Whether `candidate` still shows (part of) the difference `wanted` is about. */
export function stillShows(candidate: readonly Difference[], wanted: readonly string[]): boolean {
  const have = new Set(candidate.flatMap(signature));
  return wanted.some((w) => have.has(w));
}
