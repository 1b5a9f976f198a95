// The results in memory (`semconf-results/1`, every verdict with its clauses quoted whole and what was observed) and
// as written (`semconf-results/2`): one into the other and back, exactly (decodeResults(encodeResults(r)) is r, key
// for key and in the same order; test/results-codec.test.ts). A file repeats nothing a run repeats: each profile's
// clauses are quoted once in a table its verdicts cite by id (a clause is cited by ~7 verdicts of a run), and what a
// case observed is written once when all its verdicts say the same (they do in every case a run writes today). A run
// of 209 cases is ~0.48 MB written so against ~1.23 MB before; reading one is JSON.parse of ~40% of the bytes and
// of fewer objects, which is most of what `semconf merge` of 1,000 files costs (~1.9 against ~4.3 ms a file of 100
// cases, measured). Pure: the schemas are src/results.ts's (types only here, so that module can use these).
import type { CaseResult, ClauseRef, FileCase, FileVerdict, Results, ResultsFile, TabledClause, Verdict } from './results.js';
import { RESULTS_FILE_SCHEMA, RESULTS_SCHEMA } from './results-summary.js';

type Tables = ResultsFile['clauses'];

const sameClause = (a: TabledClause, b: ClauseRef): boolean => a.document === b.document && a.section === b.section && a.quote === b.quote;

/** The file of `r`. */
export function encodeResults(r: Results): ResultsFile {
  const { schema: _schema, cases, summary, ...fields } = r;
  // Maps, not objects, while filling: a clause id is text from a spec, and `table[id]` of "constructor" is not absent.
  const tables = new Map<string, Map<string, TabledClause>>();
  const cite = (profile: string, clause: ClauseRef): string | ClauseRef => {
    const { id, ...quoted } = clause;
    // a key JSON.parse keeps but an object built by assignment (zod's record) does not: the clause stays whole
    if (id === '__proto__') return clause;
    let table = tables.get(profile);
    if (table === undefined) tables.set(profile, (table = new Map()));
    const held = table.get(id);
    if (held === undefined) table.set(id, quoted);
    // an id the table already holds with other words (a file no run writes) keeps its clause whole
    else if (!sameClause(held, clause)) return clause;
    return id;
  };
  const encodeCase = (c: CaseResult): FileCase => {
    const { verdicts, ...caseFields } = c;
    const said = Object.values(verdicts).map((v) => v.observed);
    const [first] = said;
    const once = first !== undefined && said.every((o) => o === first) ? first : undefined;
    const encode = (profile: string, v: Verdict): FileVerdict => {
      // spread over `v`: `clauses` keeps its place
      const cited: FileVerdict = { ...v, ...(v.clauses !== undefined ? { clauses: v.clauses.map((k) => cite(profile, k)) } : {}) };
      if (once === undefined) return cited;
      const { observed: _observed, ...rest } = cited;
      return rest;
    };
    return { ...caseFields, ...(once !== undefined ? { observedText: once } : {}), verdicts: Object.fromEntries(Object.entries(verdicts).map(([p, v]) => [p, encode(p, v)])) };
  };
  const encodedCases = cases.map(encodeCase);
  const clauses: Tables = Object.fromEntries([...tables].map(([p, t]) => [p, Object.fromEntries(t)]));
  return { schema: RESULTS_FILE_SCHEMA, ...fields, clauses, cases: encodedCases, summary };
}

/** The results of a file ResultsFile validated (every citation is in its profile's table). */
export function decodeResults(f: ResultsFile): Results {
  const { schema: _schema, clauses, cases, summary, ...fields } = f;
  const resolve = (profile: string, cited: string | ClauseRef): ClauseRef => {
    if (typeof cited !== 'string') return cited;
    const table = Object.hasOwn(clauses, profile) ? clauses[profile] : undefined;
    const held = table !== undefined && Object.hasOwn(table, cited) ? table[cited] : undefined;
    if (held === undefined) throw new Error(`clause "${cited}" of profile ${profile} is not in the file's table (ResultsFile checks this)`);
    return { id: cited, ...held };
  };
  const decodeVerdict = (profile: string, v: FileVerdict, observedText: string | undefined): Verdict => {
    const { verdict, expected, observed: own, reason, clauses: cited, basis, ...unknown } = v;
    // every field of a verdict is named here, so that one added to Verdict does not compile until it is put back
    const _none: Record<string, never> = unknown;
    const observed = observedText ?? own;
    // in Verdict's order
    return {
      verdict,
      expected,
      ...(observed !== undefined ? { observed } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(cited !== undefined ? { clauses: cited.map((k) => resolve(profile, k)) } : {}),
      ...(basis !== undefined ? { basis } : {}),
    };
  };
  const decodeCase = (c: FileCase): CaseResult => {
    const { observedText, verdicts, ...caseFields } = c;
    return { ...caseFields, verdicts: Object.fromEntries(Object.entries(verdicts).map(([p, v]) => [p, decodeVerdict(p, v, observedText)])) };
  };
  return { schema: RESULTS_SCHEMA, ...fields, cases: cases.map(decodeCase), summary };
}

/** The text of a file: its fields as JSON.stringify indents them, but each case and each clause on one line of its
 * own. A run's diff in git is then a line per case that changed; whitespace is a fifth of an indented file's bytes,
 * and a reader parses it all (merge compacts what it copies: src/compact-json.ts). */
export function resultsFileText(f: ResultsFile): string {
  const field = (key: string, value: unknown): string => {
    if (key === 'cases') return lines((value as FileCase[]).map((c) => JSON.stringify(c)), '[', ']', '    ');
    if (key === 'clauses') {
      const tables = Object.entries(value as Tables).map(([p, t]) => `${JSON.stringify(p)}: ${lines(Object.entries(t).map(([id, c]) => `${JSON.stringify(id)}: ${JSON.stringify(c)}`), '{', '}', '      ', '    ')}`);
      return lines(tables, '{', '}', '    ');
    }
    return JSON.stringify(value, null, 2).replaceAll('\n', '\n  ');
  };
  const body = Object.entries(f).map(([k, v]) => `  ${JSON.stringify(k)}: ${field(k, v)}`);
  return `{\n${body.join(',\n')}\n}\n`;
}

/** Items one per line between `open` and `close`, each indented by `indent`, the close by `closeIndent`. */
function lines(items: readonly string[], open: string, close: string, indent: string, closeIndent = indent.slice(2)): string {
  return items.length === 0 ? `${open}${close}` : `${open}\n${items.map((i) => indent + i).join(',\n')}\n${closeIndent}${close}`;
}
