// The HTML form of a diff: one self-contained static page (inline CSS, no script, no network) with the sections of
// the Markdown form (src/report/diff-markdown.ts) in the same order, for a CI artefact a reviewer opens in a browser.
// Every text from the results files is untrusted: each goes through `t` (controls made visible, then HTML-escaped),
// and the Content-Security-Policy allows no script at all, a second wall behind the escaping.
import type { CaseChange, Diff, FlakyCase, ObservationChange, VerdictChange } from '../diff.js';
import type { Flaky } from '../results.js';
import { escapeHtml, terminalText } from './escape.js';

/** Untrusted text into HTML: one line, controls visible, markup escaped. */
const t = (s: string): string => escapeHtml(terminalText(s));

const STYLE = `
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
main{padding:20px 28px 40px;max-width:1300px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:22px 0 8px}
code{font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,monospace;font-size:12.5px;background:#f6f8fa;padding:0 3px;border-radius:3px}
.verdict{font-weight:600;padding:6px 10px;border-radius:6px;display:inline-block}
.fail{background:#ffd8d3;color:#a40e26}.ok{background:#d1f5da;color:#1a7f37}
.unexplained{color:#a40e26;font-weight:600}.muted{color:#59636e}
table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;padding:3px 8px;text-align:left;vertical-align:top}
ul{margin:4px 0;padding-left:22px}li{margin:2px 0}
`;

const arrow = (a: string, b: string): string => `<code>${t(a)}</code> → <code>${t(b)}</code>`;

function observationItem(o: ObservationChange): string {
  const note = o.part === 'call' ? ' (the case changed)' : o.part === 'visibility' ? ' <span class="muted">(not observable on one side: not a change of behaviour)</span>' : '';
  return `<li>${t(o.what)}: ${arrow(o.old, o.new)}${note}</li>`;
}

function verdictItems(verdicts: readonly VerdictChange[]): string[] {
  return verdicts.map((v) => {
    const tags = [v.required ? 'required' : '', v.regression ? '<strong>regression</strong>' : '', v.expectationChanged ? 'expectation changed' : '']
      .filter((tag) => tag !== '')
      .join(', ');
    const expected = v.expectationChanged ? `<ul><li>expected ${arrow(v.oldExpected ?? '-', v.newExpected ?? '-')}</li></ul>` : '';
    return `<li>${t(v.profile)}: ${v.old ?? 'not judged'} → ${v.new ?? 'not judged'}${tags ? ` (${tags})` : ''}${expected}</li>`;
  });
}

function caseItem(c: CaseChange): string {
  const warn = c.unexplained ? ['<li class="unexplained">the behaviour changed with the same spec and the same expectations: the target behaves differently</li>'] : [];
  return `<li><strong>${t(c.id)}</strong>: ${t(c.title)}<ul>${[...warn, ...c.observation.map(observationItem), ...verdictItems(c.verdicts)].join('')}</ul></li>`;
}

function flakyItem(c: FlakyCase): string {
  const within = (name: string, f: Flaky | null): string[] =>
    f === null
      ? []
      : [`<li>flaky in the ${name} run over ${f.repetitions} repetitions: ${f.differed.map((d) => `${t(d.what)} ${d.values.map((x) => `<code>${t(x)}</code>`).join(' / ')}`).join('; ')}</li>`];
  const items = [...within('old', c.old), ...within('new', c.new), ...c.observation.map(observationItem), ...verdictItems(c.verdicts)];
  return `<li><strong>${t(c.id)}</strong>: ${t(c.title)}<ul>${items.join('')}</ul></li>`;
}

const list = (items: readonly string[]): string => `<ul>${items.join('')}</ul>`;

export function renderDiffHtml(diff: Diff): string {
  const title = `semconf diff: ${diff.old.file} → ${diff.new.file}`;
  const side = (name: string, d: Diff['old']): string =>
    `<li>${name}: ${t(d.target)}, run ${t(d.startedAt)}, ${d.cases} cases, spec <code>${t(d.specDigest.slice(0, 19))}</code>${d.complete ? '' : ', <strong>INCOMPLETE</strong>'}</li>`;
  const req = diff.required.length > 0 ? `required: ${diff.required.map(t).join(', ')}` : 'no profile required; name them with --require';
  const why = [
    diff.regressions.length > 0 ? `${diff.regressions.length} regression(s) in required profiles` : '',
    diff.unexplained.length > 0 ? `${diff.unexplained.length} behaviour change(s) the spec does not explain` : '',
  ].filter((w) => w !== '');
  const body = [
    `<h1>${t(title)}</h1>`,
    list([side('old', diff.old), side('new', diff.new)]),
    diff.failing ? `<p><span class="verdict fail">❌ ${why.join('; ')}</span> (${req})</p>` : `<p><span class="verdict ok">✅ no regression and no unexplained behaviour change</span> (${req})</p>`,
    `<p>${diff.changed.length} case(s) changed, ${diff.flaky.length} flaky, ${diff.added.length} new, ${diff.removed.length} removed${diff.specChanged ? '; the spec changed between the runs' : '; same spec'}.</p>`,
  ];
  if (diff.regressions.length > 0) {
    body.push('<h2>Regressions</h2>', list(diff.regressions.map((r) => `<li><strong>${t(r.id)}</strong> ${t(r.profile)}: ${r.old} → ${r.new}</li>`)));
  }
  if (diff.facts.length > 0) {
    const rows = diff.facts.map((f) => `<tr><td>${t(f.field)}</td><td>${t(f.old)}</td><td>${t(f.new)}</td></tr>`);
    body.push('<h2>Target</h2>', `<table><tr><th>fact</th><th>old</th><th>new</th></tr>${rows.join('')}</table>`);
  }
  const ordered = [...diff.changed].sort((a, b) => Number(b.unexplained) - Number(a.unexplained));
  if (ordered.length > 0) body.push('<h2>Changed cases</h2>', list(ordered.map(caseItem)));
  if (diff.flaky.length > 0) body.push('<h2>Flaky cases (their behaviour varied between repetitions of a run: never a failure)</h2>', list(diff.flaky.map(flakyItem)));
  const briefs = (heading: string, cases: Diff['added']): void => {
    if (cases.length > 0) body.push(`<h2>${heading}</h2>`, list(cases.map((c) => `<li><strong>${t(c.id)}</strong>: ${t(c.title)}</li>`)));
  };
  briefs('New cases', diff.added);
  briefs('Removed cases', diff.removed);
  if (diff.environment.length > 0) {
    const byWhat = new Map<string, Diff['environment']>();
    for (const e of diff.environment) byWhat.set(e.what, [...(byWhat.get(e.what) ?? []), e]);
    const cases = new Set(diff.environment.map((e) => e.id)).size;
    const items = [...byWhat].map(([what, changes]) => `<li>${t(what)}: ${changes.length} case(s)${list(changes.map((e) => `<li>${t(e.id)} ${arrow(e.old, e.new)}</li>`))}</li>`);
    body.push(
      `<details><summary>Environment: differs in ${cases} case(s); what varies with semconf's own process (its heap, the worker's whole-process locked total, timings) is not behaviour and never a change</summary>${list(items)}</details>`,
    );
  }
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}
