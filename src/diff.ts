// Diff: what changed between two results files. Pure: no I/O.
//
// Two things fail a diff (exit 1), because each means the target itself now behaves differently:
//   - a regression: a required profile's verdict went from conforms to diverges or error;
//   - an unexplained behaviour change: what the case's expectations can judge (its status, the call's and setup
//     calls' outcomes, page states, inherited state; the rule is src/behaviour.ts) changed while neither the spec
//     digest nor that case's expectations changed. With the same spec the same case ran, so the change is the
//     target's. When the spec changed, the case itself may have changed, so the change is listed but does not fail.
// Environment (what varies with semconf's own process: the worker's whole-process locked total, durations, reasons)
// is listed apart and never fails: two runs of the same suite on the same target diff clean. A case that was flaky
// in either run (run --repeat) is listed apart too: its changes and its verdicts' moves do not fail the diff.
// Everything else (verdicts that move because an expectation moved, new and removed cases, target facts) is listed.
// When the two runs selected different cases (run --filter/--exclude/--shard), a case only one side holds is new or
// removed only when the other side's selection would have run it too; otherwise it is outside the common selection,
// counted apart: a filtered run compared with a full one does not remove the rest of the catalog.
import { behaviourChanges, countsAsBehaviour, environmentChanges, type ObservationChange } from './behaviour.js';
import type { CaseResult, Flaky, Results, Verdict, VerdictName } from './results.js';
import { describeSelection, sameSelection, type Selection, selects } from './selection.js';

export const DIFF_SCHEMA = 'semconf-diff/1';

export interface DiffSide {
  file: string;
  target: string;
  specDigest: string;
  startedAt: string;
  complete: boolean;
  cases: number;
  /** the run's selection as options (`--filter mlock.*`), or "the whole catalog" */
  selection: string;
}

export interface FactChange {
  /** e.g. target.release, probes.residency, specDigest */
  field: string;
  old: string;
  new: string;
}

export interface CaseBrief {
  id: string;
  function: string;
  title: string;
}

export type { ObservationChange, ObservationPart } from './behaviour.js';

export interface VerdictChange {
  profile: string;
  old: VerdictName | null;
  new: VerdictName | null;
  /** the expected outcome, its clauses or its basis changed for this profile */
  expectationChanged: boolean;
  oldExpected?: string;
  newExpected?: string;
  required: boolean;
  regression: boolean;
}

export interface CaseChange extends CaseBrief {
  /** behaviour changes, plus the shown-only `call` and `visibility` parts; never environment */
  observation: ObservationChange[];
  verdicts: VerdictChange[];
  expectationChanged: boolean;
  /** the behaviour changed although the spec digest and this case's expectations did not */
  unexplained: boolean;
}

/** A case flaky in either run: what differed between that run's repetitions, and what differs between the runs. */
export interface FlakyCase extends CaseBrief {
  old: Flaky | null;
  new: Flaky | null;
  observation: ObservationChange[];
  verdicts: VerdictChange[];
}

/** One case's environment, different between the runs: shown, never a change. */
export interface EnvironmentChange {
  id: string;
  what: string;
  old: string;
  new: string;
}

export interface Diff {
  schema: typeof DIFF_SCHEMA;
  old: DiffSide;
  new: DiffSide;
  required: string[];
  specChanged: boolean;
  facts: FactChange[];
  added: CaseBrief[];
  removed: CaseBrief[];
  /** the two runs selected different cases or profiles */
  selectionChanged: boolean;
  /** cases only one side holds because only its selection took them: neither new nor removed */
  outsideSelection: { onlyOld: string[]; onlyNew: string[] };
  changed: CaseChange[];
  flaky: FlakyCase[];
  environment: EnvironmentChange[];
  regressions: { id: string; profile: string; old: VerdictName; new: VerdictName }[];
  unexplained: string[];
  /** a regression or an unexplained behaviour change: exit 1 */
  failing: boolean;
}

const REGRESSED: ReadonlySet<VerdictName> = new Set<VerdictName>(['diverges', 'error']);

const json = (v: unknown): string => (v === undefined ? '-' : JSON.stringify(v));

function side(file: string, r: Results): DiffSide {
  return { file, target: r.target.id, specDigest: r.specDigest, startedAt: r.startedAt, complete: r.complete, cases: r.cases.length, selection: describeSelection(r.selection) };
}

function factChanges(a: Results, b: Results): FactChange[] {
  const out: FactChange[] = [];
  const push = (field: string, x: string, y: string): void => {
    if (x !== y) out.push({ field, old: x, new: y });
  };
  const keys = <T extends object>(x: T, y: T): string[] => [...new Set([...Object.keys(x), ...Object.keys(y)])];
  // One row per fact; target.launch (what a launcher knows about what it started) is spelled out field by field.
  const facts = (r: Results): Record<string, string> => {
    const { launch, ...plain } = r.target;
    const flat: Record<string, string> = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, String(v)]));
    if (launch) {
      flat['launch.target'] = launch.target;
      for (const [k, v] of Object.entries(launch.facts)) flat[`launch.facts.${k}`] = v;
    }
    return flat;
  };
  const fa = facts(a);
  const fb = facts(b);
  for (const k of keys(fa, fb)) push(`target.${k}`, fa[k] ?? '-', fb[k] ?? '-');
  const probes = (r: Results): Record<string, { available: boolean; method: string } | undefined> => r.probes;
  for (const k of keys(a.probes, b.probes)) {
    const show = (p: { available: boolean; method: string } | undefined): string => (p ? `${p.available ? 'yes' : 'no'} (${p.method})` : '-');
    push(`probes.${k}`, show(probes(a)[k]), show(probes(b)[k]));
  }
  push('tool.version', a.tool.version, b.tool.version);
  push('specDigest', a.specDigest, b.specDigest);
  push('complete', String(a.complete), String(b.complete));
  const profiles = (r: Results): string => r.profiles.map((p) => `${p.id} ${p.version}`).join('; ');
  push('profiles', profiles(a), profiles(b));
  return out;
}

const expectationOf = (v: Verdict): string =>
  json([v.expected, (v.clauses ?? []).map((c) => `${c.document}/${c.id}`), v.basis ?? null]);

export function diffResults(
  oldResults: Results,
  newResults: Results,
  options: { required?: readonly string[]; oldFile?: string; newFile?: string } = {},
): Diff {
  const required = [...(options.required ?? [])];
  const specChanged = oldResults.specDigest !== newResults.specDigest;
  const before = new Map(oldResults.cases.map((c) => [c.id, c]));
  const after = new Map(newResults.cases.map((c) => [c.id, c]));
  const brief = (c: CaseResult): CaseBrief => ({ id: c.id, function: c.function, title: c.title });
  const inOther = (other: Selection | undefined) => (c: CaseResult): boolean => selects(other, c.id);
  const onlyNew = newResults.cases.filter((c) => !before.has(c.id));
  const onlyOld = oldResults.cases.filter((c) => !after.has(c.id));
  const added = onlyNew.filter(inOther(oldResults.selection)).map(brief);
  const removed = onlyOld.filter(inOther(newResults.selection)).map(brief);
  const outsideSelection = {
    onlyOld: onlyOld.filter((c) => !inOther(newResults.selection)(c)).map((c) => c.id),
    onlyNew: onlyNew.filter((c) => !inOther(oldResults.selection)(c)).map((c) => c.id),
  };
  const changed: CaseChange[] = [];
  const flaky: FlakyCase[] = [];
  const environment: EnvironmentChange[] = [];
  const regressions: Diff['regressions'] = [];

  for (const b of newResults.cases) {
    const a = before.get(b.id);
    if (a === undefined) continue;
    const observation = behaviourChanges(a, b);
    for (const e of environmentChanges(a, b)) environment.push({ id: b.id, what: e.what, old: e.old, new: e.new });
    const wasFlaky = a.flaky !== undefined || b.flaky !== undefined;
    const caseRegressions: Diff['regressions'] = [];
    const profiles = [...new Set([...Object.keys(a.verdicts), ...Object.keys(b.verdicts)])];
    const verdicts: VerdictChange[] = [];
    let expectationChanged = false;
    for (const p of profiles) {
      const va = Object.hasOwn(a.verdicts, p) ? a.verdicts[p] : undefined;
      const vb = Object.hasOwn(b.verdicts, p) ? b.verdicts[p] : undefined;
      // A profile judged on one side only was chosen with --profile; it says nothing about the expectation.
      const moved = va !== undefined && vb !== undefined && expectationOf(va) !== expectationOf(vb);
      expectationChanged ||= moved;
      if (va?.verdict === vb?.verdict && !moved) continue;
      const isRequired = required.includes(p);
      const regression = isRequired && va?.verdict === 'conforms' && vb !== undefined && REGRESSED.has(vb.verdict);
      if (regression && vb !== undefined) caseRegressions.push({ id: b.id, profile: p, old: 'conforms', new: vb.verdict });
      verdicts.push({
        profile: p,
        old: va?.verdict ?? null,
        new: vb?.verdict ?? null,
        expectationChanged: moved,
        ...(moved && va && vb ? { oldExpected: va.expected, newExpected: vb.expected } : {}),
        required: isRequired,
        regression,
      });
    }
    // A flaky case is listed apart whether or not it changed: its changes say how it varies, not that the target
    // does something else now.
    if (wasFlaky) {
      flaky.push({ ...brief(b), old: a.flaky ?? null, new: b.flaky ?? null, observation, verdicts });
      continue;
    }
    regressions.push(...caseRegressions);
    if (observation.length === 0 && verdicts.length === 0 && a.title === b.title) continue;
    const unexplained = observation.some(countsAsBehaviour) && !specChanged && !expectationChanged;
    changed.push({ ...brief(b), observation, verdicts, expectationChanged, unexplained });
  }
  const unexplained = changed.filter((c) => c.unexplained).map((c) => c.id);
  return {
    schema: DIFF_SCHEMA,
    old: side(options.oldFile ?? 'old', oldResults),
    new: side(options.newFile ?? 'new', newResults),
    required,
    specChanged,
    facts: factChanges(oldResults, newResults),
    added,
    removed,
    selectionChanged: !sameSelection(oldResults.selection, newResults.selection),
    outsideSelection,
    changed,
    flaky,
    environment,
    regressions,
    unexplained,
    failing: regressions.length > 0 || unexplained.length > 0,
  };
}
