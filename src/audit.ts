// Porting audit: code written for platform FROM now runs on this target. For every behaviour FROM's documents
// promise (its expectation is not `unspecified`), say whether the target keeps the promise, and where it does not,
// one line on what porting code must not assume. Pure: no I/O.
//
// kinds, worst first:
//   breaks        the target does something else (FROM's verdict diverges)
//   not-checked   the case could not run here (error, skipped, unsupported), so nothing is known
//   unconfirmed   the outcome matches, but an effect FROM promises cannot be observed here (inconclusive)
//   contradicted  the target behaves as FROM says, but its own documents promise otherwise: it may change
//   undocumented  the target behaves as FROM says, but its own documents are silent: nothing promises it
// The last two need the target's own profile (`to`): by default the profile whose id is the target's os.
import type { CaseResult, ClauseRef, Results, VerdictName } from './results.js';

export const AUDIT_SCHEMA = 'semconf-audit/1';
export const AUDIT_KINDS = ['breaks', 'not-checked', 'unconfirmed', 'contradicted', 'undocumented'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditItem {
  kind: AuditKind;
  caseId: string;
  function: string;
  title: string;
  call: string;
  /** FROM's expectation and the clauses it rests on */
  expected: string;
  clauses: ClauseRef[];
  basis?: string;
  observed: string;
  reason?: string;
  /** the target's own profile on this case, for contradicted and undocumented */
  targetDocuments?: { profile: string; verdict: VerdictName; expected: string; reason?: string };
  /** what porting code must not assume, in one line */
  advice: string;
}

export interface Audit {
  schema: typeof AUDIT_SCHEMA;
  from: { id: string; name: string };
  to: { id: string; name: string } | null;
  target: { id: string; os: string; release: string; libc: string; arch: string; runtime: string };
  functions: string[];
  /** cases FROM documents, among the audited functions */
  documented: number;
  /** documented cases the target keeps without reservation */
  holds: number;
  counts: Record<AuditKind, number>;
  items: AuditItem[];
}

// ---- phrasing -----------------------------------------------------------------------------------------------------
// The verdict strings follow src/verdict.ts: "fails EINVAL or ENOMEM; locked buf: none", "one of: A | B",
// reasons "expected X, observed Y" or "locked m: expected pages 0, observed U-".

/** "fails EINVAL or ENOMEM" → "fails with EINVAL or ENOMEM". */
function outcomePhrase(segment: string): string {
  if (segment === 'fails (any errno)') return 'fails';
  if (segment.startsWith('fails ')) return `fails with ${segment.slice('fails '.length)}`;
  return segment;
}

/** The outcomes an expectation allows, as one phrase: "returns 0 or fails with EINVAL". */
export function expectedOutcome(expected: string): string {
  const alternatives = expected.startsWith('one of: ') ? expected.slice('one of: '.length).split(' | ') : [expected];
  const outcomes = alternatives.map((a) => a.split('; ')[0] ?? '').filter((o) => /^(returns|fails)\b/.test(o));
  return [...new Set(outcomes.map(outcomePhrase))].join(' or ') || expected;
}

const observedOutcome = (r: { ret: number; errno: string | null }): string =>
  r.ret === -1 ? `fails with ${r.errno ?? 'no errno'}` : `returns ${r.ret}`;

const EFFECT_WORD = { locked: 'locked', resident: 'resident' } as const;
type EffectKind = keyof typeof EFFECT_WORD;

const pagesWord = (ix: readonly (number | string)[]): string => `page${ix.length === 1 ? '' : 's'} ${ix.join(',')}`;

/** "all" | "none" | "pages 0,1" of a mapping → what porting code would assume. */
function expectedEffect(kind: EffectKind, mapping: string, set: string): string {
  const word = EFFECT_WORD[kind];
  if (set === 'all') return `every page of ${mapping} is ${word}`;
  if (set === 'none') return `no page of ${mapping} is ${word}`;
  const ix = set.replace(/^pages /, '').split(',');
  const verb = ix.length === 1 ? 'is' : 'are';
  return kind === 'locked' ? `exactly ${pagesWord(ix)} of ${mapping} ${verb} locked` : `${pagesWord(ix)} of ${mapping} ${verb} resident`;
}

/** "LU-" → "page 0 of buf is locked (LU-)". */
function observedEffect(kind: EffectKind, mapping: string, pages: string): string {
  const mark = kind === 'locked' ? 'L' : 'R';
  const word = EFFECT_WORD[kind];
  const marked = [...pages].flatMap((c, i) => (c === mark ? [i] : []));
  const mapped = [...pages].filter((c) => c !== '-').length;
  const what =
    marked.length === 0
      ? `no page of ${mapping} is ${word}`
      : marked.length === mapped && mapped === pages.length
        ? `every page of ${mapping} is ${word}`
        : `${pagesWord(marked)} of ${mapping} ${marked.length === 1 ? 'is' : 'are'} ${word}`;
  return `${what} (${pages})`;
}

const MISMATCH = /^(locked|resident) (.+): expected (all|none|pages [\d,]+), observed ([LURN?-]+)$/;
const UNOBSERVABLE = /^(?:cannot observe )?(locked|resident) (.+?): (.+)$/;
const EXPECTED_EFFECT = /^(locked|resident) (.+): (all|none|pages [\d,]+)$/;

function breaksAdvice(call: string, expected: string, reason: string | undefined, c: CaseResult): string {
  const obs = c.observed;
  const got = obs ? observedOutcome(obs.call) : 'does something else';
  const effects = (reason ?? '')
    .split('; ')
    .map((seg) => MISMATCH.exec(seg))
    .filter((m): m is RegExpExecArray => m !== null);
  if (effects.length === 0 || reason?.startsWith('expected ')) {
    return `do not assume ${call} ${expectedOutcome(expected)}: here it ${got}`;
  }
  const assumed = effects.map((m) => expectedEffect(m[1] as EffectKind, m[2] ?? '', m[3] ?? '')).join(' and ');
  const seen = effects.map((m) => observedEffect(m[1] as EffectKind, m[2] ?? '', m[4] ?? '')).join(' and ');
  return `do not assume that when ${call} ${got}, ${assumed}: here ${seen}`;
}

function unconfirmedAdvice(call: string, expected: string, reason: string | undefined): string {
  const promised = new Map(
    expected
      .split(/; | \| /)
      .map((seg) => EXPECTED_EFFECT.exec(seg))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [`${m[1]} ${m[2]}`, expectedEffect(m[1] as EffectKind, m[2] ?? '', m[3] ?? '')]),
  );
  const blind = (reason ?? '')
    .split('; ')
    .map((seg) => UNOBSERVABLE.exec(seg))
    .filter((m): m is RegExpExecArray => m !== null);
  const what = blind.map((m) => promised.get(`${m[1]} ${m[2]}`) ?? `${m[1]} ${m[2]}`).join(' and ');
  const how = [...new Set(blind.map((m) => m[3]))].join('; ');
  return `do not assume that after ${call}, ${what || 'the documented effect holds'}: this target cannot show it (${how || reason || 'no probe'})`;
}

// ---- the audit ------------------------------------------------------------------------------------------------------

const NOT_RUN: ReadonlySet<VerdictName> = new Set<VerdictName>(['error', 'skipped', 'unsupported']);

export interface AuditOptions {
  from: string;
  /** the target's own profile; default: the profile whose id is the target's os, if any */
  to?: string | null;
  functions?: readonly string[];
}

/** The profile the target's own documents are in: an explicit one, else the one named like its os. */
export function defaultTargetProfile(results: Results): string | null {
  return results.profiles.find((p) => p.id === results.target.os)?.id ?? null;
}

export function audit(results: Results, options: AuditOptions): Audit {
  const profileName = (id: string): string => results.profiles.find((p) => p.id === id)?.name ?? id;
  const toId = options.to === undefined ? defaultTargetProfile(results) : options.to;
  const to = toId !== null && toId !== options.from ? toId : null;
  const functions = options.functions && options.functions.length > 0 ? [...options.functions] : [...new Set(results.cases.map((c) => c.function))];
  const items: AuditItem[] = [];
  let documented = 0;
  for (const c of results.cases) {
    if (!functions.includes(c.function)) continue;
    const v = Object.hasOwn(c.verdicts, options.from) ? c.verdicts[options.from] : undefined;
    if (v === undefined || v.expected === 'unspecified') continue;
    documented += 1;
    // The call as porting code would write it, with the context when it is not the default one.
    const context = c.context.name === 'privileged' ? '' : ` as ${c.context.name}`;
    const call = `${c.observed?.call.text ?? `${c.function}() (${c.id})`}${context}`;
    const own = to !== null && Object.hasOwn(c.verdicts, to) ? c.verdicts[to] : undefined;
    const base = {
      caseId: c.id,
      function: c.function,
      title: c.title,
      call,
      expected: v.expected,
      clauses: v.clauses ?? [],
      ...(v.basis !== undefined ? { basis: v.basis } : {}),
      observed: v.observed ?? (c.observed ? '' : '-'),
      ...(v.reason !== undefined ? { reason: v.reason } : {}),
    };
    const ownDocs =
      own && to !== null
        ? { targetDocuments: { profile: to, verdict: own.verdict, expected: own.expected, ...(own.reason !== undefined ? { reason: own.reason } : {}) } }
        : {};
    if (v.verdict === 'diverges') {
      items.push({ ...base, kind: 'breaks', advice: breaksAdvice(call, v.expected, v.reason, c) });
    } else if (NOT_RUN.has(v.verdict)) {
      const why = v.reason ?? c.reason ?? 'no reason given';
      items.push({ ...base, kind: 'not-checked', advice: `do not assume ${call} ${expectedOutcome(v.expected)} here: the case did not run (${v.verdict}: ${why})` });
    } else if (v.verdict === 'inconclusive') {
      items.push({ ...base, kind: 'unconfirmed', advice: unconfirmedAdvice(call, v.expected, v.reason) });
    } else if (v.verdict === 'conforms' && own !== undefined && to !== null) {
      const toName = profileName(to);
      const here = c.observed ? `here it ${observedOutcome(c.observed.call)}` : 'it does here';
      if (own.verdict === 'unspecified') {
        const because = own.reason ? ` (${own.reason})` : '';
        items.push({
          ...base,
          ...ownDocs,
          kind: 'undocumented',
          advice: `do not assume ${call} ${expectedOutcome(v.expected)} on ${toName}: ${here}, but ${toName}'s documents do not promise it${because}`,
        });
      } else if (own.verdict === 'diverges') {
        items.push({
          ...base,
          ...ownDocs,
          kind: 'contradicted',
          advice: `do not assume ${call} ${expectedOutcome(v.expected)} on ${toName}: ${here}, but ${toName}'s documents say it ${expectedOutcome(own.expected)}`,
        });
      }
    }
  }
  const rank = (k: AuditKind): number => AUDIT_KINDS.indexOf(k);
  const order = new Map(functions.map((f, i) => [f, i]));
  items.sort((a, b) => (order.get(a.function) ?? 0) - (order.get(b.function) ?? 0) || rank(a.kind) - rank(b.kind));
  const counts = Object.fromEntries(AUDIT_KINDS.map((k) => [k, items.filter((i) => i.kind === k).length])) as Record<AuditKind, number>;
  const t = results.target;
  return {
    schema: AUDIT_SCHEMA,
    from: { id: options.from, name: profileName(options.from) },
    to: to === null ? null : { id: to, name: profileName(to) },
    target: { id: t.id, os: t.os, release: t.release, libc: t.libc, arch: t.arch, runtime: t.runtime },
    functions,
    documented,
    holds: documented - items.length,
    counts,
    items,
  };
}
