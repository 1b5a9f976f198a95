// semconf audit: a porting audit from one platform's documents to the target that produced the results.
import { audit, defaultTargetProfile } from '../audit.js';
import { readReportInput } from '../matrix.js';
import { renderAuditMarkdown } from '../report/audit-markdown.js';
import type { Results } from '../results.js';
import { type Command, EXIT, str, UsageError } from './command.js';
import { emit } from './report.js';

export const auditCommand: Command = {
  summary: 'porting audit: what a platform documents that this target breaks, cannot confirm or does not promise',
  usage: `semconf audit --from PROFILE [--to PROFILE] [--functions LIST] [--format md|json] [--out FILE] RESULTS.json|MATRIX.json

  --from P        the platform the code was written for (a profile id, e.g. hpux)
  --to P          the profile of the target's own documents (default: the profile named like the target's os, e.g.
                  linux); behaviour that holds here but those documents do not promise is listed too
  --functions L   audit only these functions (comma-separated, e.g. mlock,munlock)
  --format F      md (default) or json
  --out FILE      write the audit to FILE (atomically) instead of standard output`,
  positionals: true,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    functions: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
  },
  async run(values, positionals) {
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('audit takes exactly one results or matrix file');
    const from = str(values.from);
    if (from === undefined) throw new UsageError('audit needs --from PROFILE: the platform the code was written for');
    const format = str(values.format) ?? 'md';
    if (format !== 'md' && format !== 'json') throw new UsageError(`--format ${format}: expected md or json`);
    const input = readReportInput(file);
    const targets: Results[] = input.kind === 'results' ? [input.results] : input.matrix.targets.map((t) => t.results);
    const profiles = [...new Set(targets.flatMap((r) => r.profiles.map((p) => p.id)))];
    const to = str(values.to);
    for (const [flag, p] of [['--from', from], ['--to', to]] as const) {
      if (p !== undefined && !profiles.includes(p)) {
        throw new UsageError(`${flag} ${p}: no verdicts for profile "${p}" in ${file}; profiles there: ${profiles.join(', ')}`);
      }
    }
    const known = [...new Set(targets.flatMap((r) => r.cases.map((c) => c.function)))];
    const functions = (str(values.functions) ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');
    for (const f of functions) {
      if (!known.includes(f)) throw new UsageError(`--functions ${f}: no case of function "${f}" in ${file}; functions there: ${known.join(', ')}`);
    }
    const audits = targets.map((r) => audit(r, { from, to: to ?? defaultTargetProfile(r), functions }));
    const text =
      format === 'json'
        ? `${JSON.stringify(input.kind === 'results' ? audits[0] : audits, null, 2)}\n`
        : audits.map(renderAuditMarkdown).join('\n');
    emit(text, str(values.out));
    return EXIT.ok;
  },
};
