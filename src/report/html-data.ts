// The data the HTML report embeds for its script: a matrix flattened into arrays, so the page looks everything up by
// index (data-* attributes hold numbers only) and never by a string key taken from a results file.
import { differences } from '../behaviour.js';
import type { Matrix } from '../matrix.js';
import type { CaseResult, VerdictName } from '../results.js';
import { oneLine } from './escape.js';
import { casesOf, profilesOf } from './model.js';

export interface HtmlClause {
  id: string;
  document: string;
  section: string;
  quote: string;
}

export interface HtmlVerdict {
  verdict: VerdictName;
  expected: string;
  observed: string;
  reason: string;
  basis: string;
  clauses: HtmlClause[];
}

/** One case as one target ran it. */
export interface HtmlCell {
  status: string;
  reason: string;
  call: string;
  outcome: string;
  before: string[];
  context: string;
  credentials: string;
  durationMs: number;
  warnings: string[];
  mappings: { name: string; pages: number; locked: string; resident: string }[];
  /** the worker's whole-process locked total: environment (src/behaviour.ts), shown as such */
  lockedBytes: string;
  /** run --repeat: what differed between this target's repetitions of the case; '' when it was not flaky */
  flaky: string;
  /** the whole observation, pretty-printed: effects newer than this report still reach the reader */
  raw: string;
  /** by profile index; null where the target was not judged against that profile */
  verdicts: (HtmlVerdict | null)[];
}

export interface HtmlTarget {
  id: string;
  source: string;
  facts: [string, string][];
  probes: { name: string; available: boolean; method: string }[];
  specDigest: string;
  stale: boolean;
  complete: boolean;
  notes: string[];
}

export interface HtmlData {
  profiles: { id: string; name: string; version: string; kind: string; required: boolean }[];
  targets: HtmlTarget[];
  functions: string[];
  /** by target index; null where the target did not run the case. `disagree`: each behaviour fact that differs
   * between the targets that ran the case (src/behaviour.ts, the rule diff uses), with its value by target index
   * ('' where the target did not run it); empty when they agree */
  cases: { id: string; function: string; title: string; cells: (HtmlCell | null)[]; disagree: { what: string; values: string[] }[] }[];
}

const outcome = (r: { ret: number; errno: string | null }): string => (r.ret === -1 ? `fails ${r.errno ?? '(no errno)'}` : `returns ${r.ret}`);

function cell(c: CaseResult, profiles: readonly string[]): HtmlCell {
  const obs = c.observed;
  const cred = c.context.credentials;
  return {
    status: c.status,
    reason: c.reason ?? '',
    call: obs?.call.text ?? '',
    outcome: obs ? `${outcome(obs.call)}${obs.call.completion ? `; completes ${outcome(obs.call.completion)}` : ''}` : '',
    before: obs?.before.map((b) => `${b.text} → ${outcome(b)}`) ?? [],
    context: `${c.context.name}${c.context.established ? '' : ' (not established)'}`,
    credentials: cred
      ? `uid ${cred.uid}, euid ${cred.euid}, gid ${cred.gid}, CapEff ${cred.capEff ?? '?'}, RLIMIT_MEMLOCK ${cred.memlock.soft}/${cred.memlock.hard}${cred.canLockMemory ? '' : ', cannot lock memory'}`
      : '',
    durationMs: c.durationMs,
    warnings: c.warnings ?? [],
    mappings: Object.entries(obs?.effects.mappings ?? {}).map(([name, m]) => ({
      name,
      pages: m.pages,
      locked: m.locked ?? '?',
      resident: m.resident ?? '?',
    })),
    lockedBytes: obs?.effects.lockedBytes === null || obs === undefined ? '?' : String(obs.effects.lockedBytes),
    flaky: c.flaky ? `${c.flaky.differed.map((d) => `${d.what} ${d.values.join(' / ')}`).join('; ')} (${c.flaky.repetitions} repetitions)` : '',
    raw: obs ? JSON.stringify(obs, null, 2) : '',
    verdicts: profiles.map((p) => {
      const v = Object.hasOwn(c.verdicts, p) ? c.verdicts[p] : undefined;
      if (v === undefined) return null;
      return {
        verdict: v.verdict,
        expected: v.expected,
        observed: v.observed ?? '',
        reason: v.reason ?? '',
        basis: v.basis ?? '',
        clauses: (v.clauses ?? []).map((cl) => ({ id: cl.id, document: cl.document, section: cl.section, quote: oneLine(cl.quote) })),
      };
    }),
  };
}

/** What the targets that ran a case disagree on, by target index. A target without the case is not compared: not
 * running a case is not behaviour (the matrix marks that target incomplete). */
function disagreement(matrix: Matrix, byTarget: ReadonlyMap<string, CaseResult>): HtmlData['cases'][number]['disagree'] {
  const ran = matrix.targets.flatMap((t, i) => {
    const c = byTarget.get(t.id);
    return c ? [{ i, c }] : [];
  });
  return differences(ran.map((x) => x.c)).map((d) => {
    const values = matrix.targets.map(() => '');
    ran.forEach((x, k) => (values[x.i] = d.values[k] ?? ''));
    return { what: d.what, values };
  });
}

export function htmlData(matrix: Matrix, required: readonly string[]): HtmlData {
  const profiles = profilesOf(matrix);
  const ids = profiles.map((p) => p.id);
  const rows = casesOf(matrix);
  return {
    profiles: profiles.map((p) => ({ ...p, required: required.includes(p.id) })),
    targets: matrix.targets.map((t) => ({
      id: t.id,
      source: t.source,
      facts: Object.entries(t.results.target).map(([k, v]): [string, string] => [k, String(v)]),
      probes: Object.entries(t.results.probes).map(([name, p]) => ({ name, ...p })),
      specDigest: t.results.specDigest,
      stale: t.stale,
      complete: t.complete,
      notes: t.notes,
    })),
    functions: [...new Set(rows.map((r) => r.function))],
    cases: rows.map((r) => ({
      id: r.id,
      function: r.function,
      title: r.title,
      cells: matrix.targets.map((t) => {
        const c = r.byTarget.get(t.id);
        return c ? cell(c, ids) : null;
      }),
      disagree: disagreement(matrix, r.byTarget),
    })),
  };
}
