// Shrinking a difference to a minimal sequence with fast-check's own shrinker. fast-check proposes the smaller
// candidates (fewer steps, fewer pages, simpler arguments) in its order; a property evaluation here is a run on every
// target, which costs a target start, so the candidates of one shrink step are run as one batch and the first that
// still shows the difference (in fast-check's order) is taken, as fast-check's own loop would take it. Deterministic:
// the same start value and the same targets' behaviour give the same minimal sequence.
import type fc from 'fast-check';
import type { Explored } from './batch.js';
import type { Sequence } from './sequence.js';

export interface ShrinkOptions {
  /** candidates tried per shrink step (one batch) */
  width: number;
  /** most shrink steps */
  maxSteps: number;
}

/** Runs candidates on every target; `shows` says whether an explored candidate still shows the difference. */
export type Evaluate = (candidates: Sequence[]) => Promise<Explored[]>;

export interface Shrunk {
  value: fc.Value<Sequence>;
  steps: number;
  /** sequences run while shrinking */
  tried: number;
}

export async function shrinkDifference(
  arb: fc.Arbitrary<Sequence>,
  start: fc.Value<Sequence>,
  evaluate: Evaluate,
  shows: (e: Explored) => boolean,
  options: ShrinkOptions,
): Promise<Shrunk> {
  let current = start;
  let tried = 0;
  let steps = 0;
  for (; steps < options.maxSteps; steps++) {
    const candidates = [...arb.shrink(current.value_, current.context).take(options.width)];
    if (candidates.length === 0) break;
    const explored = await evaluate(candidates.map((c) => c.value_));
    tried += candidates.length;
    const byId = new Map(explored.map((e) => [JSON.stringify(e.sequence), e]));
    const next = candidates.find((c) => {
      const e = byId.get(JSON.stringify(c.value_));
      return e !== undefined && shows(e);
    });
    if (next === undefined) break;
    current = next;
  }
  return { value: current, steps, tried };
}
