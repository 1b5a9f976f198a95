// Diff: what changed between two results files. Pure: no I/O.
//
// Two things fail a diff (exit 1), because each means the target itself now behaves differently:
//   - a regression: a required profile's verdict went from conforms to diverges or error;
//   - an unexplained observation change: the call's outcome, the setup calls' outcomes, an effect or the case's
//     status changed while neither the spec digest nor that case's expectations changed. With the same spec the
//     same case ran, so the change is the target's. When the spec changed, the case itself may have changed, so the
//     change is listed but does not fail.
// Everything else (verdicts that move because an expectation moved, new and removed cases, target facts) is listed.
import type { CaseResult, Results, Verdict, VerdictName } from './results.js';

export const DIFF_SCHEMA = 'semconf-diff/1';

export interface DiffSide {
  file: string;
  target: string;
  specDigest: string;
  startedAt: string;
  complete: boolean;
  cases: number;
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

/** `visibility`: an effect one side could observe and the other could not (a blind probe, e.g. under gVisor). It
 * says nothing about behaviour, so it is shown but never counted as an observation change. */
export type ObservationPart = 'status' | 'outcome' | 'setup' | 'effect' | 'visibility' | 'call';

export interface ObservationChange {
  /** what the part is about: `status`, `call buf` … */
  what: string;
  /** `call` is the call's text, which only a spec change can change: shown, never counted as an observation */
  part: ObservationPart;
  old: string;
  new: string;
}

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
  observation: ObservationChange[];
  verdicts: VerdictChange[];
  expectationChanged: boolean;
  /** the observation changed although the spec digest and this case's expectations did not */
  unexplained: boolean;
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
  changed: CaseChange[];
  regressions: { id: string; profile: string; old: VerdictName; new: VerdictName }[];
  unexplained: string[];
  /** a regression or an unexplained observation change: exit 1 */
  failing: boolean;
}

const REGRESSED: ReadonlySet<VerdictName> = new Set<VerdictName>(['diverges', 'error']);

const outcome = (r: { ret: number; errno: string | null } | undefined): string =>
  r === undefined ? '-' : r.ret === -1 ? `fails ${r.errno ?? '(no errno)'}` : `returns ${r.ret}`;

const json = (v: unknown): string => (v === undefined ? '-' : JSON.stringify(v));

function side(file: string, r: Results): DiffSide {
  return { file, target: r.target.id, specDigest: r.specDigest, startedAt: r.startedAt, complete: r.complete, cases: r.cases.length };
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

/** What the target did differently in one case: status, outcomes, effects; plus the call text, for context. */
export function observationChanges(a: CaseResult, b: CaseResult): ObservationChange[] {
  const out: ObservationChange[] = [];
  const push = (part: ObservationPart, what: string, x: string, y: string): void => {
    if (x === y) return;
    const unseen = part === 'effect' && (x === '?' || y === '?');
    out.push({ part: unseen ? 'visibility' : part, what, old: x, new: y });
  };
  push('status', 'status', a.status, b.status);
  const oa = a.observed;
  const ob = b.observed;
  if (oa === undefined || ob === undefined) {
    // A case that did not run on one side has no effects to compare piece by piece: one line says what was seen.
    const seen = (c: CaseResult): string =>
      c.observed ? `${c.observed.call.text} ${outcome(c.observed.call)}` : `nothing (${c.status}${c.reason ? `: ${c.reason}` : ''})`;
    push('outcome', 'observed', seen(a), seen(b));
    return out;
  }
  push('call', 'call', oa.call.text, ob.call.text);
  push('outcome', 'outcome', outcome(oa.call), outcome(ob.call));
  push('outcome', 'completion', outcome(oa.call.completion), outcome(ob.call.completion));
  const before = (o: NonNullable<CaseResult['observed']>): string => o.before.map((x) => `${x.text} → ${outcome(x)}`).join('; ');
  push('setup', 'setup calls', before(oa), before(ob));
  const ma = oa.effects.mappings;
  const mb = ob.effects.mappings;
  for (const name of [...new Set([...Object.keys(ma), ...Object.keys(mb)])]) {
    const x = Object.hasOwn(ma, name) ? ma[name] : undefined;
    const y = Object.hasOwn(mb, name) ? mb[name] : undefined;
    push('effect', `${name} pages`, String(x?.pages ?? '-'), String(y?.pages ?? '-'));
    push('effect', `${name} locked`, x ? (x.locked ?? '?') : '-', y ? (y.locked ?? '?') : '-');
    push('effect', `${name} resident`, x ? (x.resident ?? '?') : '-', y ? (y.resident ?? '?') : '-');
  }
  push('effect', 'locked total', String(oa.effects.lockedBytes ?? '?'), String(ob.effects.lockedBytes ?? '?'));
  // A forked child and an exec'd program, piece by piece, so that a blind probe (null) is visibility, not behaviour.
  const ca = oa.effects.child;
  const cb = ob.effects.child;
  if (ca != null || cb != null) {
    const names = [...new Set([...Object.keys(ca?.mappings ?? {}), ...Object.keys(cb?.mappings ?? {})])];
    for (const name of names) push('effect', `child ${name} locked`, ca?.mappings[name] ?? '?', cb?.mappings[name] ?? '?');
    push('effect', 'child locked total', String(ca?.lockedBytes ?? '?'), String(cb?.lockedBytes ?? '?'));
  }
  const ea = oa.effects.exec;
  const eb = ob.effects.exec;
  if (ea != null || eb != null) push('effect', "exec'd program locked total", String(ea?.lockedBytes ?? '?'), String(eb?.lockedBytes ?? '?'));
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
  const added = newResults.cases.filter((c) => !before.has(c.id)).map(brief);
  const removed = oldResults.cases.filter((c) => !after.has(c.id)).map(brief);
  const changed: CaseChange[] = [];
  const regressions: Diff['regressions'] = [];

  for (const b of newResults.cases) {
    const a = before.get(b.id);
    if (a === undefined) continue;
    const observation = observationChanges(a, b);
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
      if (regression && vb !== undefined) regressions.push({ id: b.id, profile: p, old: 'conforms', new: vb.verdict });
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
    const observed = observation.some((o) => o.part !== 'call' && o.part !== 'visibility');
    if (observation.length === 0 && verdicts.length === 0 && a.title === b.title) continue;
    const unexplained = observed && !specChanged && !expectationChanged;
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
    changed,
    regressions,
    unexplained,
    failing: regressions.length > 0 || unexplained.length > 0,
  };
}
