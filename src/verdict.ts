// Verdicts: one observation judged against one profile's expectation. Pure: no I/O, no clock, no target.
//
// conforms      the call's outcome and every expected effect match
// diverges      the outcome or an observed effect contradicts the expectation
// inconclusive  the outcome matches, but an expected effect cannot be observed on this target (never a pass)
// unspecified   the profile's documents are silent; the observation is still recorded
// unsupported   the function or a constant is absent on the target
// skipped       the execution context could not be established
// error         the case itself broke: setup failed, crash, timeout
import type { CaseStatus, ClauseRef, Observation, Probes, Snapshot, Verdict } from './results.js';
import type { Clause, Expectation, LockedTotal, LockedTotals, Outcome, PageSet, ProfileExpectation } from './spec/schema.js';

type ProbeInfo = Probes['lockState'];

export interface Judged {
  status: CaseStatus;
  reason?: string;
  observed?: Observation;
  probes: Probes;
}

type EffectKey = 'locked' | 'resident' | 'not_resident';
/** Each effect: the mark it looks for, in which observed page string (`seen`), through which probe. */
const EFFECTS: Record<EffectKey, { mark: string; seen: 'locked' | 'resident'; probe: keyof Probes; exact: boolean }> = {
  // Lock state is exact: pages outside the expected set must be unlocked (so "page k is not locked" is a set
  // without k).
  locked: { mark: 'L', seen: 'locked', probe: 'lockState', exact: true },
  // Residency is a promise of presence only: a page the document does not mention may or may not be resident.
  resident: { mark: 'R', seen: 'resident', probe: 'residency', exact: false },
  // ... and so is its absence: the pages listed must not be resident, the others may be either.
  not_resident: { mark: 'N', seen: 'resident', probe: 'residency', exact: false },
};

const EFFECT_WORDS: Record<EffectKey, string> = { locked: 'locked', resident: 'resident', not_resident: 'not resident' };

export function listOf<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function describePageSet(set: PageSet): string {
  return Array.isArray(set) ? `pages ${set.join(',')}` : set;
}

/** Human form of an expected outcome, e.g. "fails EINVAL; locked buf: none". */
export function describeExpected(o: Outcome | Expectation): string {
  const parts: string[] = [];
  if ('one_of' in o && o.one_of !== undefined) parts.push(`one of: ${o.one_of.map(describeExpected).join(' | ')}`);
  if (o.returns !== undefined) parts.push(`returns ${o.returns}`);
  if (o.fails !== undefined) parts.push(o.fails === 'any' ? 'fails (any errno)' : `fails ${listOf(o.fails).join(' or ')}`);
  if (o.completes !== undefined) parts.push(`completes ${describeExpected(o.completes)}`);
  for (const key of Object.keys(EFFECTS) as EffectKey[]) {
    for (const [m, set] of Object.entries(o[key] ?? {})) parts.push(`${EFFECT_WORDS[key]} ${m}: ${describePageSet(set)}`);
  }
  if (o.locked_total?.case !== undefined) parts.push(`case locked total: ${o.locked_total.case}`);
  if (o.locked_total?.process !== undefined) parts.push(`process locked total: ${o.locked_total.process}`);
  for (const [m, set] of Object.entries(o.child?.locked ?? {})) parts.push(`child locked ${m}: ${describePageSet(set)}`);
  if (o.child?.locked_total !== undefined) parts.push(`child locked total: ${o.child.locked_total}`);
  if (o.exec !== undefined) parts.push(`exec'd program locked total: ${o.exec.locked_total}`);
  return parts.join('; ');
}

/** A whole process's locked memory in the terms an expectation judges it (`locked_total: none | some`). diff and
 * run --repeat compare such totals through this too (src/behaviour.ts): the exact bytes are the process's own. */
export const lockedTotalOf = (bytes: number): LockedTotal => (bytes > 0 ? 'some' : 'none');

const bytes = (n: number | null | undefined): string => (n === null || n === undefined ? '?' : `${n} B`);

/** Human form of an observation, e.g. "fails ENOMEM; buf locked L-, resident R-". */
export function describeObserved(obs: Observation): string {
  const outcome = (r: { ret: number; errno: string | null }): string =>
    r.ret === -1 ? `fails ${r.errno ?? '(no errno)'}` : `returns ${r.ret}`;
  const completion = obs.call.completion;
  const moved = obs.call.moved === undefined ? '' : obs.call.moved ? ' (the mapping moved)' : ' (in place)';
  const call = `${outcome(obs.call)}${moved}${completion ? `; completes ${outcome(completion)}` : ''}`;
  const maps = Object.entries(obs.effects.mappings).map(
    ([name, m]) => `${name} locked ${m.locked ?? '?'}, resident ${m.resident ?? '?'}`,
  );
  const { child, exec } = obs.effects;
  const inChild = child
    ? [`child: ${[...Object.entries(child.mappings).map(([n, l]) => `${n} locked ${l}`), `locked total ${bytes(child.lockedBytes)}`].join(', ')}`]
    : [];
  const inExec = exec ? [`exec'd program locked total ${bytes(exec.lockedBytes)}`] : [];
  const after = obs.after !== undefined && obs.after.length > 0 ? [`after: ${obs.after.map((r) => `${r.text} ${outcome(r)}`).join(', ')}`] : [];
  const steps = obs.snapshots !== undefined ? [`after each step: ${describeSnapshots(obs.snapshots)}`] : [];
  return [call, ...after, ...maps, ...inChild, ...inExec, ...steps].join('; ');
}

/** The state of each mapping after each step, e.g. "mlock(buf, 1p) buf L-/R-, touch(buf, 1p) buf L-/R-". */
export function describeSnapshots(snapshots: readonly Snapshot[]): string {
  return snapshots
    .map((s) => `${s.after} ${Object.entries(s.mappings).map(([n, m]) => `${n} ${m.locked ?? '?'}/${m.resident ?? '?'}`).join(' ')}`)
    .join(', ');
}

/** Locked pages of the case's own memory: the `L` pages of its mappings, or null when any of them was not seen. */
export function caseLockedPages(obs: Observation): number | null {
  let n = 0;
  for (const m of Object.values(obs.effects.mappings)) {
    if (m.locked === null) return null;
    n += [...m.locked].filter((c) => c === 'L').length;
  }
  return n;
}

/** What the process has locked more than when the case started, in bytes; null where either figure is missing. */
export function processLockedDelta(obs: Observation): number | null {
  const { lockedBytes, lockedBytesAtStart } = obs.effects;
  return lockedBytes === null || lockedBytesAtStart === null || lockedBytesAtStart === undefined ? null : lockedBytes - lockedBytesAtStart;
}

const pagesOfCount = (count: string): number => Number(count.slice(0, -1));

type Expected = Pick<Outcome, 'returns' | 'fails'>;
/** Whether a call's result is the declared one (`returns` N, or `fails` with one of the errnos or `any`): the one
 * rule for expectations, their completions and declared setup steps (src/worker/execute.ts). */
export function matches(o: Expected, got: { ret: number; errno: string | null }): boolean {
  if (o.returns !== undefined) return got.ret === o.returns;
  if (got.ret !== -1) return false;
  if (o.fails === 'any') return true;
  const allowed: readonly string[] = listOf(o.fails);
  return got.errno !== null && allowed.includes(got.errno);
}

export function pageSetMatches(set: PageSet, pages: string, mark: string, exact: boolean): boolean {
  const marked = [...pages].map((c) => c === mark);
  if (set === 'all') return [...pages].every((c) => c === '-' || c === mark);
  if (set === 'none') return !marked.some(Boolean);
  const wanted = new Set(set);
  return marked.every((isMarked, i) => (wanted.has(i) ? isMarked : !exact || !isMarked));
}

interface EffectCheck {
  mismatches: string[];
  unobservable: string[];
}

function checkEffects(o: Outcome | Expectation, obs: Observation, probes: Probes): EffectCheck {
  const result: EffectCheck = { mismatches: [], unobservable: [] };
  for (const key of Object.keys(EFFECTS) as EffectKey[]) {
    const { mark, probe, exact } = EFFECTS[key];
    for (const [name, set] of Object.entries(o[key] ?? {})) {
      const seen = obs.effects.mappings[name]?.[EFFECTS[key].seen] ?? null;
      if (seen === null || !probes[probe].available) {
        result.unobservable.push(`${EFFECT_WORDS[key]} ${name}: ${probes[probe].method}`);
      } else if (!pageSetMatches(set, seen, mark, exact)) {
        result.mismatches.push(`${EFFECT_WORDS[key]} ${name}: expected ${describePageSet(set)}, observed ${seen}`);
      }
    }
  }
  const child = obs.effects.child;
  for (const [name, set] of Object.entries(o.child?.locked ?? {})) {
    const seen = child?.mappings[name];
    if (seen === undefined || !probes.forkChild.available) result.unobservable.push(`child locked ${name}: ${probes.forkChild.method}`);
    else if (!pageSetMatches(set, seen, 'L', true)) result.mismatches.push(`child locked ${name}: expected ${describePageSet(set)}, observed ${seen}`);
  }
  const totals: [string, LockedTotal | undefined, number | null | undefined, ProbeInfo][] = [
    ['child locked total', o.child?.locked_total, child?.lockedBytes, probes.forkChild],
    ["exec'd program locked total", o.exec?.locked_total, obs.effects.exec?.lockedBytes, probes.execChild],
  ];
  for (const [what, want, seen, probe] of totals) {
    if (want === undefined) continue;
    if (seen === null || seen === undefined || !probe.available) result.unobservable.push(`${what}: ${probe.method}`);
    else if (lockedTotalOf(seen) !== want) result.mismatches.push(`${what}: expected ${want}, observed ${seen} B`);
  }
  checkLockedTotals(o.locked_total, obs, probes, result);
  return result;
}

/** `locked_total`: the case's locked pages (counted from the page states) and the process's growth since the case
 * started (VmLck on Linux), each inconclusive where its probe cannot see it (gVisor has no VmLck). */
function checkLockedTotals(want: LockedTotals | undefined, obs: Observation, probes: Probes, result: EffectCheck): void {
  if (want?.case !== undefined) {
    const seen = caseLockedPages(obs);
    if (seen === null || !probes.lockState.available) result.unobservable.push(`case locked total: ${probes.lockState.method}`);
    else if (seen !== pagesOfCount(want.case)) result.mismatches.push(`case locked total: expected ${want.case}, observed ${seen}p`);
  }
  if (want?.process !== undefined) {
    const delta = processLockedDelta(obs);
    if (delta === null || !probes.lockedTotal.available) {
      result.unobservable.push(`process locked total: ${delta === null && probes.lockedTotal.available ? 'not recorded when the case started' : probes.lockedTotal.method}`);
      return;
    }
    if (lockedTotalOf(delta) !== want.process) result.mismatches.push(`process locked total: expected ${want.process}, observed ${delta} B more than at the start`);
  }
}

function resolveClauses(ids: string[], clauses: ReadonlyMap<string, Clause>): ClauseRef[] {
  return ids.flatMap((id) => {
    const c = clauses.get(id);
    return c ? [{ id, document: c.document, section: c.section, quote: c.quote }] : [];
  });
}

/** A verdict with its fields in the schema's order (src/results.ts Verdict), as zod would give it back: the results are
 * then what their validation would produce, so writing them takes the fast path (src/fast-validate.ts) and not zod's. */
function inSchemaOrder(v: Verdict): Verdict {
  const { verdict, expected, observed, reason, clauses, basis } = v;
  return {
    verdict,
    expected,
    ...(observed !== undefined ? { observed } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(clauses !== undefined ? { clauses } : {}),
    ...(basis !== undefined ? { basis } : {}),
  };
}

export function judge(input: Judged, expectation: ProfileExpectation, clauses: ReadonlyMap<string, Clause>): Verdict {
  return inSchemaOrder(judgeAnyOrder(input, expectation, clauses));
}

function judgeAnyOrder(input: Judged, expectation: ProfileExpectation, clauses: ReadonlyMap<string, Clause>): Verdict {
  if (expectation === 'unspecified' || 'unspecified' in expectation) {
    const why = expectation === 'unspecified' ? undefined : expectation.unspecified;
    const refs = expectation === 'unspecified' ? [] : resolveClauses(listOf(expectation.clause), clauses);
    const base: Verdict = { verdict: 'unspecified', expected: 'unspecified' };
    if (why !== undefined) base.reason = why;
    if (refs.length > 0) base.clauses = refs;
    return withStatus(base, input);
  }
  const exp = expectation;
  const verdict: Verdict = { verdict: 'conforms', expected: describeExpected(exp) };
  const refs = resolveClauses(listOf(exp.clause), clauses);
  if (refs.length > 0) verdict.clauses = refs;
  if (exp.basis !== undefined) verdict.basis = `${exp.basis}: ${exp.reason ?? ''}`;
  if (input.status !== 'ran' || input.observed === undefined) return withStatus(verdict, input);

  const obs = input.observed;
  verdict.observed = describeObserved(obs);
  const alternatives: (Outcome | Expectation)[] = exp.one_of?.map((o) => withSharedEffects(exp, o)) ?? [exp];
  const checks = alternatives.filter((o) => matches(o, obs.call)).map((o) => checkAlternative(o, obs, input.probes));
  if (checks.some((c) => c.mismatches.length === 0 && c.unobservable.length === 0)) return verdict;
  const partly = checks.find((c) => c.mismatches.length === 0);
  if (partly) {
    return { ...verdict, verdict: 'inconclusive', reason: `cannot observe ${partly.unobservable.join('; ')}` };
  }
  const first = checks[0];
  const reason = first
    ? first.mismatches.join('; ')
    : `expected ${verdict.expected.split('; ')[0] ?? ''}, observed ${verdict.observed.split('; ')[0] ?? ''}`;
  return { ...verdict, verdict: 'diverges', reason };
}

/** An alternative of one_of, with every effect the expectation states for all of them (lock and residency per
 * mapping, the locked totals, the child, the exec'd program, the asynchronous completion) unless the alternative
 * says otherwise. */
function withSharedEffects(exp: Expectation, o: Outcome): Outcome {
  const child = exp.child === undefined && o.child === undefined ? undefined : {
    ...exp.child,
    ...o.child,
    ...(exp.child?.locked !== undefined || o.child?.locked !== undefined ? { locked: { ...exp.child?.locked, ...o.child?.locked } } : {}),
  };
  const completes = o.completes ?? exp.completes;
  const execd = o.exec ?? exp.exec;
  const totals = exp.locked_total === undefined && o.locked_total === undefined ? undefined : { ...exp.locked_total, ...o.locked_total };
  return {
    ...o,
    locked: { ...exp.locked, ...o.locked },
    resident: { ...exp.resident, ...o.resident },
    not_resident: { ...exp.not_resident, ...o.not_resident },
    ...(totals !== undefined ? { locked_total: totals } : {}),
    ...(child !== undefined ? { child } : {}),
    ...(completes !== undefined ? { completes } : {}),
    ...(execd !== undefined ? { exec: execd } : {}),
  };
}

/** The effects of an alternative whose return value matched, and its asynchronous completion: a completion that
 * differs is a mismatch named as such ("completes: expected returns 0, observed fails EAGAIN"), not a bare
 * comparison of the two synchronous outcomes, which agree. */
function checkAlternative(o: Outcome | Expectation, obs: Observation, probes: Probes): EffectCheck {
  const check = checkEffects(o, obs, probes);
  if (o.completes === undefined) return check;
  const got = obs.call.completion;
  const expected = describeExpected({ ...o.completes });
  if (got === undefined) check.mismatches.unshift(`completes: expected ${expected}, observed no completion`);
  else if (!matches(o.completes, got)) {
    check.mismatches.unshift(`completes: expected ${expected}, observed ${got.ret === -1 ? `fails ${got.errno ?? '(no errno)'}` : `returns ${got.ret}`}`);
  }
  return check;
}

/** A case that did not run carries its status into every profile's verdict. */
function withStatus(v: Verdict, input: Judged): Verdict {
  switch (input.status) {
    case 'ran':
      return input.observed ? { ...v, observed: describeObserved(input.observed) } : v;
    case 'error':
    case 'skipped':
    case 'unsupported':
      return { ...v, verdict: input.status, ...(input.reason !== undefined ? { reason: input.reason } : {}) };
  }
}
