// semconf explore, the search: generate sequences (seeded), run them in batches on every target, keep the ones
// whose targets differ in behaviour, shrink each distinct difference with fast-check's shrinker, and confirm the
// minimal sequence with a rerun on every target. Target-agnostic: where a batch runs is a TargetRun.
import fc from 'fast-check';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { CaseResult } from '../results.js';
import { type Explored, runBatch, sequenceId, type TargetRun } from './batch.js';
import { type Difference, differencesOf, signature, stillShows } from './compare.js';
import { type Sequence, sequenceArb } from './sequence.js';
import { shrinkDifference, type ShrinkOptions } from './shrink.js';

export interface ExploreOptions {
  targets: string[];
  seed: number;
  /** stop generating after this many sequences … */
  runs?: number;
  /** … or after this long (whichever comes first; at least one batch runs) */
  timeMs?: number;
  batchSize: number;
  /** the spec tree whose profiles generated cases are judged against (the shipped specs) */
  specs: string;
  profiles: string[];
  run: TargetRun;
  shrink: ShrinkOptions;
  /** most distinct differences shrunk (each costs shrink steps × targets runs) */
  maxShrunk: number;
  onProgress?: (line: string) => void;
  /** the clock (tests pass a fixed one so that a seed reproduces a run exactly) */
  now?: () => number;
}

export interface Finding {
  id: string;
  /** the minimal sequence, confirmed by a rerun on every target */
  sequence: Sequence;
  /** the generated sequence it was shrunk from */
  original: Sequence;
  differences: Difference[];
  results: Map<string, CaseResult>;
  shrinkSteps: number;
}

export interface PairCount {
  pair: string;
  tried: number;
  /** generated sequences whose results differed on this pair */
  found: number;
  /** distinct confirmed minimal sequences for this pair */
  distinct: number;
}

export interface TargetCost {
  target: string;
  sequences: number;
  ms: number;
}

export interface ExploreReport {
  seed: number;
  tried: number;
  differing: number;
  findings: Finding[];
  /** differences that did not show again on the confirming rerun (flaky, or lost while shrinking) */
  unconfirmed: number;
  pairs: PairCount[];
  costs: TargetCost[];
}

/** The pairs of targets, in the order given. */
export const pairsOf = (targets: readonly string[]): string[] => targets.flatMap((a, i) => targets.slice(i + 1).map((b) => `${a}/${b}`));

export async function explore(o: ExploreOptions): Promise<ExploreReport> {
  const now = o.now ?? Date.now;
  const arb = sequenceArb();
  const rng = new fc.Random(xoroshiro128plus(o.seed));
  const costs = new Map(o.targets.map((t) => [t, { target: t, sequences: 0, ms: 0 }]));
  const timed: TargetRun = async (target, catalog, dir) => {
    const t0 = performance.now();
    const r = await o.run(target, catalog, dir);
    const c = costs.get(target);
    if (c !== undefined) {
      c.ms += performance.now() - t0;
      c.sequences += r.cases.length;
    }
    return r;
  };
  const batch = (seqs: Sequence[]): Promise<Explored[]> => runBatch(seqs, o.targets, o.specs, o.profiles, timed);

  // 1. Generate and run.
  const started = now();
  let tried = 0;
  const differing: { value: fc.Value<Sequence>; explored: Explored; differences: Difference[] }[] = [];
  while (tried === 0 || ((o.runs === undefined || tried < o.runs) && (o.timeMs === undefined || now() - started < o.timeMs))) {
    const size = o.runs === undefined ? o.batchSize : Math.min(o.batchSize, o.runs - tried);
    const values = Array.from({ length: size }, () => arb.generate(rng, 2));
    const explored = await batch(values.map((v) => v.value_));
    const byId = new Map(explored.map((e) => [e.id, e]));
    for (const v of values) {
      const e = byId.get(sequenceId(v.value_));
      const d = e === undefined ? [] : differencesOf(e.results, o.targets);
      if (e !== undefined && d.length > 0) differing.push({ value: v, explored: e, differences: d });
    }
    tried += size;
    o.onProgress?.(`explore: ${tried} sequence(s) tried, ${differing.length} with differences`);
    if (o.runs !== undefined && tried >= o.runs) break;
  }

  // 2. Shrink one representative of each distinct difference (same pair and the same facts differing).
  const representatives = new Map<string, (typeof differing)[number]>();
  for (const d of differing) {
    const key = d.differences.flatMap(signature).sort().join('\n');
    if (!representatives.has(key)) representatives.set(key, d);
  }
  const shrunk = new Map<string, { sequence: Sequence; original: Sequence; steps: number }>();
  for (const d of [...representatives.values()].slice(0, o.maxShrunk)) {
    const wanted = d.differences.flatMap(signature);
    const s = await shrinkDifference(arb, d.value, batch, (e) => stillShows(differencesOf(e.results, o.targets), wanted), o.shrink);
    const id = sequenceId(s.value.value_);
    if (!shrunk.has(id)) shrunk.set(id, { sequence: s.value.value_, original: d.value.value_, steps: s.steps });
    o.onProgress?.(`explore: shrunk ${sequenceId(d.value.value_)} to ${id} in ${s.steps} step(s), ${s.tried} candidate(s) run`);
  }

  // 3. Confirm every minimal sequence with a rerun on every target.
  const confirmed = shrunk.size === 0 ? [] : await batch([...shrunk.values()].map((s) => s.sequence));
  const findings: Finding[] = [];
  for (const e of confirmed) {
    const d = differencesOf(e.results, o.targets);
    const s = shrunk.get(e.id);
    if (d.length === 0 || s === undefined) continue;
    findings.push({ id: e.id, sequence: e.sequence, original: s.original, differences: d, results: e.results, shrinkSteps: s.steps });
  }
  findings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pairs = pairsOf(o.targets).map((pair) => ({
    pair,
    tried,
    found: differing.filter((d) => d.differences.some((x) => x.pair === pair)).length,
    distinct: findings.filter((f) => f.differences.some((x) => x.pair === pair)).length,
  }));
  return { seed: o.seed, tried, differing: differing.length, findings, unconfirmed: shrunk.size - findings.length, pairs, costs: [...costs.values()] };
}
