// Behaviour and environment: the one rule for what counts as the target doing something different. diff (two runs),
// run --repeat (repetitions of one run: flaky) and the HTML report's "targets disagree" filter (targets of a matrix)
// all compare cases through this module and nothing else. Pure: no I/O.
//
// Behaviour is what a case's expectations can judge (src/verdict.ts): the case's status, the call's outcome and its
// completion, the setup calls' and the after-steps' outcomes, each mapping's page states (lock and residency), the
// page states in a forked child, the locked totals of the child and of an exec'd program, and whether the process's
// own locked total grew during the case (none / some, as `locked_total: { process }` judges it). The states after
// each step of a `snapshots: true` case are behaviour too (not judged, but a change there is a change of what the
// target did). Those totals are whole-process VmLck figures of
// processes the worker creates; an expectation judges them only as `none` or `some` (LockedTotal), so they are
// compared in those terms, through the same function the verdict uses (lockedTotalOf).
//
// Environment is what varies with semconf's own process: the worker's whole-process locked total (VmLck), which
// after mlockall is the whole Node heap and moves by kilobytes from run to run; the exact byte counts behind the
// child and exec totals; the case's duration; the free-text reason (it carries exit codes, signals and stderr lines
// of a worker); warnings; the credentials the context ended up with; and whether the case ran in a fresh or a reused
// process. No expectation judges any of these, so they are recorded and shown, never counted as a change.
//
// The case's own locked total is behaviour but needs no number of its own: it is the count of `L` pages over the
// case's mappings times the page size, so the page states already compare it exactly; a second figure would count
// one change twice. The worker's total is not that figure: in a shared worker it happens to equal it, after mlockall
// it is everything Node has mapped.
import type { CaseResult } from './results.js';
import { lockedTotalOf, processLockedDelta } from './verdict.js';

/** `visibility`: an effect one side could observe and the other could not (a blind probe, e.g. under gVisor); it says
 * nothing about behaviour. `call`: the call's text, which only a spec change can change. Both are shown, never
 * counted. `environment`: see above; shown apart, never counted. */
export type ObservationPart = 'status' | 'outcome' | 'setup' | 'effect' | 'visibility' | 'call' | 'environment';

export interface ObservationChange {
  /** what the part is about: `status`, `buf locked`, `process locked total` … */
  what: string;
  part: ObservationPart;
  old: string;
  new: string;
}

type FactPart = 'status' | 'outcome' | 'setup' | 'effect' | 'call';

/** One judged fact of a case: `?` where the probe could not see it, `-` where there is nothing (no such mapping). */
export interface Fact {
  what: string;
  part: FactPart;
  value: string;
}

const outcome = (r: { ret: number; errno: string | null } | undefined): string =>
  r === undefined ? '-' : r.ret === -1 ? `fails ${r.errno ?? '(no errno)'}` : `returns ${r.ret}`;

const total = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? '?' : lockedTotalOf(bytes));

/** What the case's expectations can judge, in spec order. A case that did not run has its status only. */
export function behaviourOf(c: CaseResult): Fact[] {
  const facts: Fact[] = [{ what: 'status', part: 'status', value: c.status }];
  const o = c.observed;
  if (o === undefined) return facts;
  const push = (part: FactPart, what: string, value: string): void => void facts.push({ what, part, value });
  push('call', 'call', o.call.text);
  push('outcome', 'outcome', outcome(o.call));
  push('outcome', 'completion', outcome(o.call.completion));
  // pointer-returning calls (mremap): where the mapping went is behaviour (the address itself is never recorded)
  if (o.call.moved !== undefined) push('outcome', 'moved', String(o.call.moved));
  push('setup', 'setup calls', o.before.map((x) => `${x.text} → ${outcome(x)}`).join('; '));
  if (o.after !== undefined) push('outcome', 'steps after the call', o.after.map((x) => `${x.text} → ${outcome(x)}`).join('; '));
  for (const [name, m] of Object.entries(o.effects.mappings)) {
    push('effect', `${name} pages`, String(m.pages));
    push('effect', `${name} locked`, m.locked ?? '?');
    push('effect', `${name} resident`, m.resident ?? '?');
  }
  const child = o.effects.child;
  // A forked child and an exec'd program, piece by piece, so that a blind probe (null) is visibility, not behaviour.
  if (child !== undefined) {
    // A child that could not be inspected (null) saw none of the case's mappings: each is `?`, not missing.
    const locks = child?.mappings ?? Object.fromEntries(Object.keys(o.effects.mappings).map((n) => [n, '?']));
    for (const [name, l] of Object.entries(locks)) push('effect', `child ${name} locked`, l);
    push('effect', 'child locked total', total(child?.lockedBytes));
  }
  if (o.effects.exec !== undefined) push('effect', "exec'd program locked total", total(o.effects.exec?.lockedBytes));
  // What the case added to the process's locked memory, as `locked_total: { process }` judges it (none or some);
  // `?` in results written before the start was recorded, so that comparing with one is visibility, not a change.
  const delta = processLockedDelta(o);
  push('effect', 'process locked total grown', delta === null ? '?' : lockedTotalOf(delta));
  // The state after each step (`snapshots: true`), step by step, so that a diff names the step where two runs part.
  (o.snapshots ?? []).forEach((s, i) => {
    for (const [name, m] of Object.entries(s.mappings)) {
      push('effect', `after step ${i + 1} (${s.after}) ${name} locked`, m.locked ?? '?');
      push('effect', `after step ${i + 1} (${s.after}) ${name} resident`, m.resident ?? '?');
    }
  });
  return facts;
}

/** What varies with semconf's own process: recorded, shown, never a change. */
export function environmentOf(c: CaseResult): { what: string; value: string }[] {
  const bytes = (n: number | null | undefined): string => (n === null || n === undefined ? '?' : `${n} B`);
  const out = [{ what: 'duration', value: `${c.durationMs} ms` }];
  if (c.process !== undefined) out.push({ what: 'process', value: c.process });
  if (c.reason !== undefined) out.push({ what: 'reason', value: c.reason });
  if (c.warnings !== undefined) out.push({ what: 'warnings', value: c.warnings.join('; ') });
  const cred = c.context.credentials;
  if (cred !== null) {
    out.push({
      what: 'credentials',
      value: `uid ${cred.uid}, euid ${cred.euid}, CapEff ${cred.capEff ?? '?'}, RLIMIT_MEMLOCK ${cred.memlock.soft}/${cred.memlock.hard}`,
    });
  }
  const e = c.observed?.effects;
  if (e !== undefined) {
    out.push({ what: 'process locked total', value: bytes(e.lockedBytes) });
    if (e.child !== undefined) out.push({ what: 'child locked bytes', value: bytes(e.child?.lockedBytes) });
    if (e.exec !== undefined) out.push({ what: "exec'd program locked bytes", value: bytes(e.exec?.lockedBytes) });
  }
  return out;
}

const summary = (facts: readonly Fact[]): string => {
  const get = (what: string): string | undefined => facts.find((f) => f.what === what)?.value;
  const out = get('outcome');
  return out === undefined ? `nothing (${get('status') ?? '-'})` : `${get('call') ?? ''} ${out}`;
};

/** The value of `what` among a case's facts; `observed` is the one-line form used when only one side ran. */
function valueOf(facts: readonly Fact[], what: string): string {
  if (what === 'observed') return summary(facts);
  return facts.find((f) => f.what === what)?.value ?? '-';
}

/** Differences between two cases' behaviour facts. A case that ran on one side only is one `observed` line (its
 * effects cannot be compared piece by piece with nothing). */
export function compareBehaviour(a: readonly Fact[], b: readonly Fact[]): ObservationChange[] {
  const out: ObservationChange[] = [];
  const ran = (f: readonly Fact[]): boolean => f.some((x) => x.what === 'outcome');
  const push = (part: FactPart, what: string, x: string, y: string): void => {
    if (x === y) return;
    const unseen = part === 'effect' && (x === '?' || y === '?');
    out.push({ part: unseen ? 'visibility' : part, what, old: x, new: y });
  };
  push('status', 'status', valueOf(a, 'status'), valueOf(b, 'status'));
  if (ran(a) !== ran(b)) {
    push('outcome', 'observed', summary(a), summary(b));
    return out;
  }
  const parts = new Map<string, FactPart>();
  for (const f of [...a, ...b]) if (!parts.has(f.what)) parts.set(f.what, f.part);
  for (const [what, part] of parts) if (what !== 'status') push(part, what, valueOf(a, what), valueOf(b, what));
  return out;
}

/** Whether a change is one of behaviour: not the case's text, not what one side could not see, not environment. */
export const countsAsBehaviour = (o: ObservationChange): boolean => o.part !== 'call' && o.part !== 'visibility' && o.part !== 'environment';

/** How two runs of one case differ in behaviour (including the shown-only `call` and `visibility` parts). */
export function behaviourChanges(a: CaseResult, b: CaseResult): ObservationChange[] {
  return compareBehaviour(behaviourOf(a), behaviourOf(b));
}

export function behaviourDiffers(a: CaseResult, b: CaseResult): boolean {
  return behaviourChanges(a, b).some(countsAsBehaviour);
}

/** How two runs of one case differ in environment. */
export function environmentChanges(a: CaseResult, b: CaseResult): ObservationChange[] {
  const x = environmentOf(a);
  const y = environmentOf(b);
  const whats = [...new Set([...x, ...y].map((e) => e.what))];
  const get = (list: typeof x, what: string): string => list.find((e) => e.what === what)?.value ?? '-';
  return whats
    .map((what) => ({ part: 'environment' as const, what, old: get(x, what), new: get(y, what) }))
    .filter((c) => c.old !== c.new);
}

/** What differed between runs of one case (repetitions of a run, or targets of a matrix): each behaviour fact that
 * is not the same in all of them, with its value in each. Empty when they all behave alike. */
export function differences(runs: readonly CaseResult[]): { what: string; values: string[] }[] {
  // Runs with the same facts behave alike; compare distinct fact lists only, pairwise, since `?` (not observable)
  // agrees with anything, so "alike" is not transitive and comparing each with the first alone would miss a pair.
  const facts = runs.map(behaviourOf);
  const distinct = [...new Map(facts.map((f) => [JSON.stringify(f), f])).values()];
  const differing = new Set<string>();
  for (let i = 0; i < distinct.length; i++) {
    for (let j = i + 1; j < distinct.length; j++) {
      const [x, y] = [distinct[i], distinct[j]];
      if (x === undefined || y === undefined) continue;
      for (const c of compareBehaviour(x, y)) if (countsAsBehaviour(c)) differing.add(c.what);
    }
  }
  return [...differing].map((what) => ({ what, values: facts.map((f) => valueOf(f, what)) }));
}
