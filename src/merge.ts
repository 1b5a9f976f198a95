// Merge: results of many machines → one matrix. Pure: the command reads and writes the files, this decides which
// result wins for a target, which spec is the reference, and which targets are stale or incomplete. A target is
// never dropped for being stale or incomplete: a report that silently loses a machine hides exactly the machine
// somebody needs to look at.
import { type DigestBasis, type ExpectedTarget, type Matrix, MATRIX_SCHEMA, type MatrixTarget, type ReportInput } from './matrix.js';
import { type Results, ResultsFileError } from './results.js';
import { describeSelection } from './selection.js';

export interface MergeInput {
  /** how the input is named in messages and in the matrix (the path as given, `file#target` inside a matrix) */
  source: string;
  /** the file's identity for --prefer: an absolute path */
  path: string;
  results: Results;
}

/** What the merge decides on, of one target's results: its facts and the ids of its cases and profiles, not the cases
 * themselves. The command keeps only this in memory per target (the results are written into the matrix as their file is read), so memory grows
 * with the number of targets, not with the size of their results. */
export type MergeFacts = Pick<Results, 'target' | 'specDigest' | 'finishedAt' | 'complete' | 'selection'> & {
  caseIds: string[];
  profileIds: string[];
};

/** The facts of results in memory or as a file holds them (the fields they share). */
export function factsOf(r: Pick<Results, 'target' | 'specDigest' | 'finishedAt' | 'complete' | 'selection'> & { cases: readonly { id: string }[]; profiles: readonly { id: string }[] }): MergeFacts {
  return {
    target: r.target,
    specDigest: r.specDigest,
    finishedAt: r.finishedAt,
    complete: r.complete,
    ...(r.selection !== undefined ? { selection: r.selection } : {}),
    caseIds: r.cases.map((c) => c.id),
    profileIds: r.profiles.map((p) => p.id),
  };
}

/** One input of mergeFacts: where it came from, its facts, and whatever stands for its results (the results
 * themselves, or where their JSON was written). */
export interface FactsInput<R> {
  source: string;
  path: string;
  facts: MergeFacts;
  results: R;
}

/** A target of a planned matrix: the matrix's entry, with the facts it was decided on and its inputs' results. */
export type PlannedTarget<R> = Omit<MatrixTarget, 'results'> & { facts: MergeFacts; results: R };
export type PlannedMatrix<R> = Omit<Matrix, 'targets'> & { targets: PlannedTarget<R>[] };

export interface MergeOptions {
  /** absolute paths of the files that win when several inputs are results for one target */
  prefer?: readonly string[];
  /** digest of the current catalog: when given, the reference every target is compared with */
  specsDigest?: string;
  createdAt: string;
  toolVersion: string;
  /** what the matrix should hold (merge --expect): a name with the files (absolute paths) its results came in, or a
   * name alone, satisfied by the target of that id. A name may repeat; its files add up. */
  expect?: readonly { name: string; path?: string }[];
}

/** Each expected name with the targets that satisfy it, in the order first named. */
function expectedTargets<R>(expect: readonly { name: string; path?: string }[], inputs: readonly FactsInput<R>[], ids: ReadonlySet<string>): ExpectedTarget[] {
  const byName = new Map<string, Set<string>>();
  for (const e of expect) {
    const found = byName.get(e.name) ?? new Set<string>();
    byName.set(e.name, found);
    if (e.path === undefined) {
      if (ids.has(e.name)) found.add(e.name);
      continue;
    }
    const from = inputs.filter((i) => i.path === e.path);
    if (from.length === 0) throw new ResultsFileError(`--expect ${e.name}=${e.path}: not one of the files being merged`);
    for (const i of from) found.add(i.facts.target.id);
  }
  return [...byName.entries()].map(([name, found]) => ({ name, targets: [...found].sort() }));
}

const LISTED = 8;
const list = (ids: readonly string[]): string =>
  ids.length <= LISTED ? ids.join(', ') : `${ids.slice(0, LISTED).join(', ')} and ${ids.length - LISTED} more`;

/** One result per target id: a clash needs exactly one of its files named by --prefer. */
function pickWinners<R>(inputs: readonly FactsInput<R>[], prefer: ReadonlySet<string>): { winner: FactsInput<R>; losers: FactsInput<R>[] }[] {
  const byTarget = new Map<string, FactsInput<R>[]>();
  for (const input of inputs) {
    const group = byTarget.get(input.facts.target.id) ?? [];
    group.push(input);
    byTarget.set(input.facts.target.id, group);
  }
  return [...byTarget.entries()].map(([id, group]) => {
    const [only] = group;
    if (only !== undefined && group.length === 1) return { winner: only, losers: [] };
    const names = group.map((g) => g.source).join(' and ');
    const preferred = group.filter((g) => prefer.has(g.path));
    const [winner] = preferred;
    if (winner === undefined || preferred.length > 1) {
      const what = preferred.length > 1 ? '--prefer names more than one of them' : 'pass --prefer FILE to say which one wins';
      throw new ResultsFileError(`${names} ${group.length === 2 ? 'both' : 'all'} hold results for target "${id}"; ${what}`);
    }
    return { winner, losers: group.filter((g) => g !== winner) };
  });
}

/** The spec digest targets are compared with: the catalog's if given, else the most common, else the newest run's. */
export function referenceDigest(
  results: readonly Pick<Results, 'specDigest' | 'finishedAt'>[],
  specsDigest?: string,
): { value: string; basis: DigestBasis; detail: string } {
  if (specsDigest !== undefined) return { value: specsDigest, basis: 'specs', detail: 'the digest of the spec catalog given to merge' };
  const count = new Map<string, { n: number; newest: string }>();
  for (const r of results) {
    const c = count.get(r.specDigest) ?? { n: 0, newest: '' };
    count.set(r.specDigest, { n: c.n + 1, newest: r.finishedAt > c.newest ? r.finishedAt : c.newest });
  }
  const ranked = [...count.entries()].sort((a, b) => b[1].n - a[1].n || b[1].newest.localeCompare(a[1].newest));
  const [top, second] = ranked;
  if (top === undefined) throw new ResultsFileError('no results to merge');
  const tie = second !== undefined && second[1].n === top[1].n;
  return tie
    ? { value: top[0], basis: 'newest', detail: `no majority among ${results.length} targets; the digest of the newest run (${top[1].newest})` }
    : { value: top[0], basis: 'majority', detail: `held by ${top[1].n} of ${results.length} targets` };
}

/** The matrix of `inputs` as decided from their facts alone; each target carries its winner's `results` as given. */
export function mergeFacts<R>(inputs: readonly FactsInput<R>[], options: MergeOptions): PlannedMatrix<R> {
  if (inputs.length === 0) throw new ResultsFileError('no results to merge');
  const prefer = new Set(options.prefer ?? []);
  const paths = new Set(inputs.map((i) => i.path));
  for (const p of prefer) {
    if (!paths.has(p)) throw new ResultsFileError(`--prefer ${p}: not one of the files being merged`);
  }
  const chosen = pickWinners(inputs, prefer);
  const all = chosen.map((c) => c.winner.facts);
  const reference = referenceDigest(all, options.specsDigest);
  // The cases every target should hold: those of the targets run against the reference spec (all, if none was).
  const current = all.filter((r) => r.specDigest === reference.value);
  const expectedCases = new Set((current.length > 0 ? current : all).flatMap((r) => r.caseIds));
  const profiles = new Set(all.flatMap((r) => r.profileIds));

  const targets = chosen
    .map(({ winner, losers }): PlannedTarget<R> => {
      const r = winner.facts;
      const notes: string[] = [];
      const stale = r.specDigest !== reference.value;
      if (stale) notes.push(`stale: run against spec ${r.specDigest}, not the reference ${reference.value} (${reference.detail})`);
      if (!r.complete) notes.push('incomplete: the run did not complete (complete: false in its results file)');
      // A run of part of the catalog (or judged against some profiles only) never passes for a full one, even when
      // every target was run with the same selection.
      const partial = r.selection !== undefined;
      if (r.selection !== undefined) {
        notes.push(`partial: selected ${describeSelection(r.selection)}: ${r.caseIds.length} of the catalog's ${r.selection.catalogCases} case(s)`);
      }
      const have = new Set(r.caseIds);
      const missing = [...expectedCases].filter((id) => !have.has(id));
      if (missing.length > 0) notes.push(`incomplete: ${missing.length} case(s) of the reference set missing: ${list(missing)}`);
      const judged = new Set(r.profileIds);
      const unjudged = [...profiles].filter((p) => !judged.has(p));
      if (unjudged.length > 0) notes.push(`not judged against profile(s) ${unjudged.join(', ')}`);
      for (const l of losers) notes.push(`preferred over ${l.source} (results for the same target)`);
      const complete = r.complete && missing.length === 0 && !partial;
      return { id: r.target.id, source: winner.source, stale, complete, notes, facts: r, results: winner.results };
    })
    .sort((a, b) => a.id.localeCompare(b.id));

  const expected = options.expect === undefined ? undefined : expectedTargets(options.expect, inputs, new Set(targets.map((t) => t.id)));
  return {
    schema: MATRIX_SCHEMA,
    tool: { name: 'semconf', version: options.toolVersion },
    createdAt: options.createdAt,
    specDigest: reference,
    complete: targets.every((t) => t.complete && !t.stale) && (expected ?? []).every((e) => e.targets.length > 0),
    ...(expected !== undefined ? { expected } : {}),
    targets,
  };
}

/** The matrix of results held in memory (reports, the synthetic scale inputs). */
export function merge(inputs: readonly MergeInput[], options: MergeOptions): Matrix {
  const planned = mergeFacts(inputs.map((i) => ({ ...i, facts: factsOf(i.results) })), options);
  return { ...planned, targets: planned.targets.map(({ facts: _facts, ...t }) => t) };
}

/** A report's input as a matrix: a results file is a matrix of one target, judged only against itself. */
export function asMatrix(input: { kind: 'results'; results: Results } | { kind: 'matrix'; matrix: Matrix }, source: string): Matrix {
  if (input.kind === 'matrix') return input.matrix;
  const r = input.results;
  return merge([{ source, path: source, results: r }], { createdAt: r.finishedAt, toolVersion: r.tool.version });
}
