// The Markdown form of a porting audit: a one-paragraph verdict, then per function each behaviour porting code must
// not assume, with the source's clause, what was expected and what this target did.
import { type Audit, type AuditItem, type AuditKind } from '../audit.js';
import { mdCode, mdText } from './escape.js';

const KIND: Record<AuditKind, { mark: string; label: string }> = {
  breaks: { mark: '❌', label: 'breaks' },
  'not-checked': { mark: '❗', label: 'not checked here' },
  unconfirmed: { mark: '❔', label: 'cannot be confirmed here' },
  contradicted: { mark: '⚠️', label: "holds here, but the target's documents say otherwise" },
  undocumented: { mark: '➖', label: "holds here, but the target's documents do not promise it" },
};

function itemLines(audit: Audit, i: AuditItem): string[] {
  const k = KIND[i.kind];
  const out = [`- ${k.mark} **${mdText(i.caseId)}** (${k.label}): ${mdText(i.advice)}`];
  out.push(`  - ${mdText(audit.from.id)} documents: ${mdText(i.expected)}`);
  if (i.observed !== '') out.push(`  - observed: ${mdText(i.observed)}`);
  if (i.targetDocuments) {
    const d = i.targetDocuments;
    out.push(`  - ${mdText(d.profile)} documents: ${mdText(d.expected)}${d.reason ? ` (${mdText(d.reason)})` : ''}`);
  }
  if (i.basis) out.push(`  - basis: ${mdText(i.basis)}`);
  for (const cl of i.clauses) out.push(`  - > ${mdText(cl.quote)}<br>— ${mdText(cl.document)}, ${mdText(cl.section)} (${mdCode(cl.id)})`);
  return out;
}

export function renderAuditMarkdown(audit: Audit): string {
  const t = audit.target;
  const out = [
    `# Porting audit: from ${mdText(audit.from.name)} (${mdText(audit.from.id)}) to ${mdText(t.id)}`,
    '',
    `Target: ${[`${t.os} ${t.release}`, t.libc, t.arch, `runtime ${t.runtime}`].map(mdText).join(' · ')}. ` +
      (audit.to ? `Its own documents: ${mdText(audit.to.name)} (${mdText(audit.to.id)}).` : 'No profile of its own documents was compared (`--to`).'),
    '',
  ];
  const c = audit.counts;
  const parts = [
    `${c.breaks} break`,
    c['not-checked'] > 0 ? `${c['not-checked']} could not be checked` : '',
    c.unconfirmed > 0 ? `${c.unconfirmed} cannot be confirmed` : '',
    audit.to ? `${c.contradicted} hold but ${mdText(audit.to.name)}'s documents say otherwise` : '',
    audit.to ? `${c.undocumented} hold but ${mdText(audit.to.name)}'s documents do not promise them` : '',
  ].filter((p) => p !== '');
  out.push(
    `${mdText(audit.from.name)} documents ${audit.documented} of the audited cases (${audit.functions.map(mdText).join(', ')}): on this target ${parts.join(', ')}; ${audit.holds} hold as documented.`,
  );
  for (const fn of audit.functions) {
    const items = audit.items.filter((i) => i.function === fn);
    if (items.length === 0) continue;
    out.push('', `## ${mdText(fn)}: ${items.length}`, '', ...items.flatMap((i) => itemLines(audit, i)));
  }
  if (audit.items.length === 0) out.push('', `Nothing to report: every documented behaviour holds here.`);
  return `${out.join('\n')}\n`;
}
