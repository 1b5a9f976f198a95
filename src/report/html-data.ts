// The data the HTML report embeds for its script: a matrix flattened into arrays, so the page looks everything up by
// index (data-* attributes hold numbers only) and never by a string key taken from a results file.
//
// Size (issue 10): a 1,000-target matrix must make a file a browser opens. So the data comes in pieces: one shared
// block (profiles, targets, cases, and the verdict and clause tables) and one block of cells per target, which the
// page parses only when it shows that target. What a cell carries is bounded: every text shown is cut at TEXT_CAP
// with a marker saying how much was cut, and verdicts are stored once per distinct verdict (targets of one spec mostly
// judge a case alike: the same expectation, the same clauses, the same observation), cells holding their index.
import { differences } from '../behaviour.js';
import type { Matrix } from '../matrix.js';
import type { CaseResult, Verdict, VerdictName } from '../results.js';
import { describeSnapshots } from '../verdict.js';
import { oneLine } from './escape.js';
import { casesOf, profilesOf } from './model.js';

/** The longest text a cell or a target card shows, in UTF-16 units: a quote, a reason, a call, a note. Long enough
 * for any real one (the longest in a real run is an `observed` of 6,219: the page states of 1,024-page mappings, one
 * letter a page), short enough that a results file with a 10 MB string cannot make a 10 MB cell. */
export const TEXT_CAP = 16_384;
/** The raw observation holds every mapping's page states at once (6,750 in a real run), so it gets more room. */
export const RAW_CAP = 65_536;
/** Targets per page of the matrix table. A matrix of no more targets shows them all at once, as it always did; a
 * larger one shows a page of them (a target pager) so that the page holds at most cases × profiles × 20 cells. */
export const PAGE_SIZE = 20;

/** `s` cut at `limit` with a marker saying how much was cut; `s` itself when it fits. */
export function capText(s: string, limit = TEXT_CAP): string {
  if (s.length <= limit) return s;
  // Never split a surrogate pair: half of one is not a character.
  const end = /[\uD800-\uDBFF]/.test(s.charAt(limit - 1)) ? limit - 1 : limit;
  return `${s.slice(0, end)}… [cut: ${(s.length - end).toLocaleString('en-US')} more characters]`;
}

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
  /** indices into HtmlData.clauses */
  clauses: number[];
}

/** One case as one target ran it. */
export interface HtmlCell {
  status: string;
  reason: string;
  call: string;
  outcome: string;
  before: string[];
  /** the steps after the call under test */
  after: string[];
  /** with `snapshots: true`: each mapping's state after each step */
  steps: string[];
  context: string;
  credentials: string;
  durationMs: number;
  warnings: string[];
  mappings: { name: string; pages: number; locked: string; resident: string }[];
  /** the worker's whole-process locked total: environment (src/behaviour.ts), shown as such */
  lockedBytes: string;
  /** run --repeat: what differed between this target's repetitions of the case; '' when it was not flaky */
  flaky: string;
  /** the whole observation, pretty-printed: effects newer than this report still reach the reader. '' in a paged
   * report (more than PAGE_SIZE targets): there it would be the biggest part of every cell, it repeats what the
   * details show field by field, and the target's results file holds it whole */
  raw: string;
  /** by profile index: an index into HtmlData.verdicts; null where the target was not judged against that profile */
  verdicts: (number | null)[];
}

export interface HtmlTarget {
  id: string;
  /** the id without the prefix all targets share, for narrow column heads */
  label: string;
  source: string;
  facts: [string, string][];
  probes: { name: string; available: boolean; method: string }[];
  specDigest: string;
  stale: boolean;
  complete: boolean;
  notes: string[];
}

export interface HtmlCase {
  id: string;
  function: string;
  title: string;
  /** each behaviour fact that differs between the targets that ran the case (src/behaviour.ts, the rule diff uses),
   * with its value by target index ('' where the target did not run it); empty when they agree */
  disagree: { what: string; values: string[] }[];
  /** flaky (run --repeat) on some target: a mark on the case, whichever page of targets is shown */
  flaky: boolean;
}

/** The shared block. Cells are not in it: each target's are a block of their own, `(HtmlCell | null)[]` by case
 * index (null where the target did not run the case), in the element with id `semconf-t-<target index>`. */
export interface HtmlData {
  profiles: { id: string; name: string; version: string; kind: string; required: boolean }[];
  targets: HtmlTarget[];
  functions: string[];
  cases: HtmlCase[];
  /** every distinct verdict of the matrix; cells refer to them by index */
  verdicts: HtmlVerdict[];
  /** every distinct clause of those verdicts */
  clauses: HtmlClause[];
  pageSize: number;
}

/** Distinct values, each stored once and named by its index. The caller names a value by a key made of its source
 * fields, and `make` (the capping and normalising) runs only for a key not seen before: a 1,000-target matrix has
 * 600,000 verdicts and a few thousand distinct ones. */
class Table<T> {
  readonly items: T[] = [];
  private readonly index = new Map<string, number>();
  add(key: string, make: () => T): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.items.length;
      this.items.push(make());
      this.index.set(key, i);
    }
    return i;
  }
}

/** A key of several texts, unambiguous whatever they hold: each prefixed by its length (no scan for characters to
 * escape, which JSON.stringify spent a third of a 1,000-target render on). */
const keyOf = (parts: readonly string[]): string => parts.map((p) => `${p.length}:${p}`).join('');

/** Target ids without the prefix they all share (up to a '-'), so narrow column heads stay tellable apart. */
export function shortLabels(ids: readonly string[]): string[] {
  const [first] = ids;
  if (first === undefined || ids.length < 2) return [...ids];
  let common = first;
  for (const id of ids) while (!id.startsWith(common)) common = common.slice(0, -1);
  const cut = common.lastIndexOf('-') + 1;
  return ids.map((id) => id.slice(cut) || id);
}

const outcome = (r: { ret: number; errno: string | null }): string => (r.ret === -1 ? `fails ${r.errno ?? '(no errno)'}` : `returns ${r.ret}`);
const cap = (s: string): string => capText(s);

/** What the targets that ran a case disagree on, by target index. A target without the case is not compared: not
 * running a case is not behaviour (the matrix marks that target incomplete). */
function disagreement(matrix: Matrix, byTarget: ReadonlyMap<string, CaseResult>): HtmlCase['disagree'] {
  const ran = matrix.targets.flatMap((t, i) => {
    const c = byTarget.get(t.id);
    return c ? [{ i, c }] : [];
  });
  return differences(ran.map((x) => x.c)).map((d) => {
    const values = matrix.targets.map(() => '');
    ran.forEach((x, k) => (values[x.i] = cap(d.values[k] ?? '')));
    return { what: cap(d.what), values };
  });
}

export interface HtmlModel {
  /** The shared block. Its verdict and clause tables fill as cells are made: complete once cellsOf has been called
   * for every target, so the renderer writes it after the targets' blocks. */
  data: HtmlData;
  /** one target's cells, by case index */
  cellsOf(ti: number): (HtmlCell | null)[];
}

export function htmlModel(matrix: Matrix, required: readonly string[]): HtmlModel {
  const profiles = profilesOf(matrix);
  const ids = profiles.map((p) => p.id);
  const rows = casesOf(matrix);
  const labels = shortLabels(matrix.targets.map((t) => t.id));
  const paged = matrix.targets.length > PAGE_SIZE;
  const verdicts = new Table<HtmlVerdict>();
  const clauses = new Table<HtmlClause>();

  const verdict = (v: Verdict): number => {
    const refs = (v.clauses ?? []).map((cl) =>
      clauses.add(keyOf([cl.id, cl.document, cl.section, cl.quote]), () => ({
        id: cap(cl.id),
        document: cap(cl.document),
        section: cap(cl.section),
        quote: cap(oneLine(cl.quote)),
      })),
    );
    const parts = [v.verdict, v.expected, v.observed ?? '', v.reason ?? '', v.basis ?? '', refs.join(',')];
    return verdicts.add(keyOf(parts), () => ({
      verdict: v.verdict,
      expected: cap(v.expected),
      observed: cap(v.observed ?? ''),
      reason: cap(v.reason ?? ''),
      basis: cap(v.basis ?? ''),
      clauses: refs,
    }));
  };

  function cell(c: CaseResult): HtmlCell {
    const obs = c.observed;
    const cred = c.context.credentials;
    return {
      status: c.status,
      reason: cap(c.reason ?? ''),
      call: cap(obs?.call.text ?? ''),
      outcome: obs ? cap(`${outcome(obs.call)}${obs.call.completion ? `; completes ${outcome(obs.call.completion)}` : ''}`) : '',
      before: obs?.before.map((b) => cap(`${b.text} → ${outcome(b)}`)) ?? [],
      after: obs?.after?.map((b) => cap(`${b.text} → ${outcome(b)}`)) ?? [],
      steps: obs?.snapshots?.map((s) => cap(describeSnapshots([s]))) ?? [],
      context: cap(`${c.context.name}${c.context.established ? '' : ' (not established)'}`),
      credentials: cred
        ? cap(
            `uid ${cred.uid}, euid ${cred.euid}, gid ${cred.gid}, CapEff ${cred.capEff ?? '?'}, RLIMIT_MEMLOCK ${cred.memlock.soft}/${cred.memlock.hard}${cred.canLockMemory ? '' : ', cannot lock memory'}`,
          )
        : '',
      durationMs: c.durationMs,
      warnings: (c.warnings ?? []).map(cap),
      mappings: Object.entries(obs?.effects.mappings ?? {}).map(([name, m]) => ({
        name: cap(name),
        pages: m.pages,
        locked: cap(m.locked ?? '?'),
        resident: cap(m.resident ?? '?'),
      })),
      lockedBytes: obs?.effects.lockedBytes === null || obs === undefined ? '?' : String(obs.effects.lockedBytes),
      flaky: c.flaky ? cap(`${c.flaky.differed.map((d) => `${d.what} ${d.values.join(' / ')}`).join('; ')} (${c.flaky.repetitions} repetitions)`) : '',
      raw: obs && !paged ? capText(JSON.stringify(obs, null, 2), RAW_CAP) : '',
      verdicts: ids.map((p) => {
        const v = Object.hasOwn(c.verdicts, p) ? c.verdicts[p] : undefined;
        return v === undefined ? null : verdict(v);
      }),
    };
  }

  const caseIndex = new Map(rows.map((r, i) => [r.id, i]));
  return {
    data: {
      profiles: profiles.map((p) => ({ id: p.id, name: cap(p.name), version: cap(p.version), kind: cap(p.kind), required: required.includes(p.id) })),
      targets: matrix.targets.map((t, ti) => ({
        id: t.id,
        label: labels[ti] ?? t.id,
        source: cap(t.source),
        facts: Object.entries(t.results.target).map(([k, v]): [string, string] => [k, cap(String(v))]),
        probes: Object.entries(t.results.probes).map(([name, p]) => ({ name, ...p, method: cap(p.method) })),
        specDigest: t.results.specDigest,
        stale: t.stale,
        complete: t.complete,
        notes: t.notes.map(cap),
      })),
      functions: [...new Set(rows.map((r) => r.function))],
      cases: rows.map((r) => ({
        id: r.id,
        function: r.function,
        title: cap(r.title),
        disagree: disagreement(matrix, r.byTarget),
        flaky: [...r.byTarget.values()].some((c) => c.flaky !== undefined),
      })),
      verdicts: verdicts.items,
      clauses: clauses.items,
      pageSize: PAGE_SIZE,
    },
    cellsOf(ti) {
      const out: (HtmlCell | null)[] = rows.map(() => null);
      for (const c of matrix.targets[ti]?.results.cases ?? []) {
        const ci = caseIndex.get(c.id);
        if (ci !== undefined) out[ci] = cell(c);
      }
      return out;
    },
  };
}
