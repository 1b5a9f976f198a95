// Clause coverage: for each profile and document, which clauses a case cites, which are marked untestable (with
// the reason), and which nothing covers. No promise of a manual goes untested without a stated reason.
import { mdText } from './report/escape.js';
import { allCases, type Catalog } from './spec/catalog.js';
import type { ProfileExpectation } from './spec/schema.js';
import { listOf } from './verdict.js';

export interface ClauseCoverage {
  id: string;
  section: string;
  state: 'cited' | 'untestable' | 'uncited';
  /** case ids citing it, or the untestable reason */
  by: string[];
}

export interface DocumentCoverage {
  profile: string;
  document: string;
  title: string;
  gaps: string[];
  clauses: ClauseCoverage[];
}

export interface Coverage {
  documents: DocumentCoverage[];
  totals: { clauses: number; cited: number; untestable: number; uncited: number };
}

function citationsOf(e: ProfileExpectation): string[] {
  return typeof e === 'string' ? [] : listOf(e.clause);
}

export function coverage(catalog: Catalog): Coverage {
  const citedBy = new Map<string, string[]>();
  for (const ref of allCases(catalog)) {
    for (const [profile, e] of Object.entries(ref.case.expect)) {
      for (const id of citationsOf(e)) {
        const key = `${profile}\0${id}`;
        citedBy.set(key, [...(citedBy.get(key) ?? []), ref.case.id]);
      }
    }
  }
  const documents = catalog.profiles.flatMap(({ value: p }) =>
    p.documents.map((d): DocumentCoverage => ({
      profile: p.id,
      document: d.id,
      title: d.title,
      gaps: d.gaps ?? [],
      clauses: p.clauses
        .filter((c) => c.document === d.id)
        .map((c): ClauseCoverage => {
          const cases = citedBy.get(`${p.id}\0${c.id}`) ?? [];
          if (cases.length > 0) return { id: c.id, section: c.section, state: 'cited', by: [...new Set(cases)] };
          if (c.untestable !== undefined) return { id: c.id, section: c.section, state: 'untestable', by: [c.untestable] };
          return { id: c.id, section: c.section, state: 'uncited', by: [] };
        }),
    })),
  );
  const all = documents.flatMap((d) => d.clauses);
  const count = (s: ClauseCoverage['state']): number => all.filter((c) => c.state === s).length;
  return { documents, totals: { clauses: all.length, cited: count('cited'), untestable: count('untestable'), uncited: count('uncited') } };
}

export function uncited(cov: Coverage): string[] {
  return cov.documents.flatMap((d) => d.clauses.filter((c) => c.state === 'uncited').map((c) => `${d.profile}/${c.id}`));
}

const pct = (n: number, of: number): string => (of === 0 ? '-' : `${Math.round((100 * n) / of)}%`);
// Profile text (titles, gaps, sections) through the one Markdown escaper every report uses.
const cell = (s: string): string => mdText(s);

export function renderCoverageMarkdown(cov: Coverage): string {
  const t = cov.totals;
  const out = [
    '# Clause coverage',
    '',
    `${t.clauses} clauses: ${t.cited} cited by a case, ${t.untestable} untestable with a reason, ${t.uncited} uncited ` +
      `(${pct(t.cited + t.untestable, t.clauses)} accounted for).`,
    '',
    '| profile | document | clauses | cited | untestable | uncited |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...cov.documents.map((d) => {
      const n = (s: ClauseCoverage['state']): number => d.clauses.filter((c) => c.state === s).length;
      return `| ${cell(d.profile)} | ${cell(d.title)} | ${d.clauses.length} | ${n('cited')} | ${n('untestable')} | ${n('uncited')} |`;
    }),
  ];
  for (const d of cov.documents) {
    out.push('', `## ${cell(d.profile)}: ${cell(d.title)}`, '');
    for (const g of d.gaps) out.push(`> gap in this copy: ${mdText(g)}`, '');
    out.push('| clause | section | state | by |', '| --- | --- | --- | --- |');
    for (const c of d.clauses) out.push(`| ${cell(c.id)} | ${cell(c.section)} | ${c.state} | ${cell(c.by.join(', '))} |`);
  }
  return `${out.join('\n')}\n`;
}
