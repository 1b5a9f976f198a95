// The HTML report: ONE self-contained file (inline CSS and script, no network, no external asset): a matrix of
// cases × profiles (× targets for a merged matrix), cells coloured by verdict, filters by function, profile, verdict
// and target (and, for a matrix, the cases whose behaviour the targets disagree on), and each cell opening to expected
// vs observed, the context and the quoted clause. The filters and the opened cell live in the URL's hash, so a link
// shows what its sender saw.
//
// Every text from a results file is untrusted (spec files arrive in pull requests). The cards, summary and filters are
// rendered here with every value escaped; the matrix table and the details are built by the script from JSON embedded
// with `<` escaped, written with textContent only.
//
// Size (issue 10): the page is never one string. renderHtmlChunks yields it piece by piece (the shell, then one data
// block per target, then the shared block) for writeFileAtomicChunks; each piece is bounded by one target's cells,
// whose texts are capped (html-data.ts). Above PAGE_SIZE targets the summary becomes one row per target and the matrix
// shows one page of PAGE_SIZE targets at a time, the script parsing a target's block only when it shows it. A Content-Security-Policy allowing exactly this page's script (by hash) and no network is a
// second wall, not the first: tests render without it too and check that nothing hostile runs.
import { createHash } from 'node:crypto';
import type { Matrix } from '../matrix.js';
import { type VerdictName, VERDICTS } from '../results.js';
import { escapeHtml as h, jsonForScript } from './escape.js';
import { htmlClientScript } from './html-client.js';
import { type HtmlData, htmlModel, PAGE_SIZE } from './html-data.js';
import { type Counts, countVerdicts, profilesOf } from './model.js';

export { shortLabels } from './html-data.js';

export interface HtmlOptions {
  required?: readonly string[];
  /** the file the report was made from, shown in the header */
  source?: string;
  /** the Content-Security-Policy meta element (default true); tests turn it off to check the escaping alone */
  csp?: boolean;
}

export const SYMBOL: Record<VerdictName, string> = {
  conforms: '✓',
  diverges: '✗',
  inconclusive: '?',
  unspecified: '–',
  unsupported: '∅',
  skipped: '↷',
  error: '!',
};

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--panel:#f6f8fa;--accent:#0969da;
--conforms:#1a7f37;--conforms-bg:#d1f5da;--diverges:#cf222e;--diverges-bg:#ffd8d3;--inconclusive:#8a5a00;--inconclusive-bg:#fff1b8;
--unspecified:#6e7781;--unspecified-bg:#eef1f4;--unsupported:#8250df;--unsupported-bg:#f0e3ff;--skipped:#4d5866;--skipped-bg:#e2e7ec;
--error:#a40e26;--error-bg:#ffc1b8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
code,.mono{font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.pre{white-space:pre-wrap}
main{padding:20px 28px 40px;max-width:1500px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:0}
h3{font-size:14px;margin:18px 0 6px}
.sub,.muted{color:var(--muted)}
.small{font-size:12px}
.targets{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.target{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--panel);min-width:280px;flex:1 1 420px;max-width:900px}
.target h2{display:flex;gap:8px;align-items:center;flex-wrap:wrap;font-size:15px}
.facts-line{display:flex;flex-wrap:wrap;gap:2px 18px;margin:6px 0 0}
.fact{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:100%}
.fact.wide{white-space:normal}
.fact .k{color:var(--muted);margin-right:5px}
.flag{font-size:11px;font-weight:600;border-radius:10px;padding:1px 8px;background:#ddf4ff;color:#0550ae}
.flag.bad{background:var(--diverges-bg);color:var(--diverges)}
.note{margin:6px 0 0;font-size:12.5px;color:var(--inconclusive);overflow-wrap:anywhere}
.probe-off{color:var(--inconclusive)}
table{border-collapse:collapse}
.summary{margin:8px 0 18px}
.summary th,.summary td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
.summary td.n{text-align:right;font-variant-numeric:tabular-nums}
.summary.grid .bar{width:150px}
.tallies{margin-top:3px;display:flex;gap:4px;flex-wrap:wrap}
.tally{font-size:11.5px;font-weight:600;border-radius:8px;padding:0 6px}
.bar{display:flex;width:220px;height:12px;border-radius:6px;overflow:hidden;background:var(--panel)}
.bar span{display:block;height:100%}
.req{font-size:11px;font-weight:700;color:#fff;background:var(--fg);border-radius:4px;padding:0 5px;margin-left:6px}
.filters{border-top:1px solid var(--line);border-bottom:1px solid var(--line);padding:10px 0;margin-bottom:10px;display:flex;flex-wrap:wrap;gap:10px 24px;align-items:flex-start}
fieldset{border:0;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:4px;align-items:center}
legend{float:left;font-weight:600;margin-right:6px;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.filters label{display:inline-flex;align-items:center;gap:4px;border:1px solid var(--line);border-radius:14px;padding:1px 9px 1px 5px;cursor:pointer;user-select:none;background:var(--bg)}
.filters label:has(input:not(:checked)){opacity:.45;text-decoration:line-through}
.filters label.toggle:has(input:not(:checked)){opacity:1;text-decoration:none}
.mark{font-style:normal;font-size:11px;font-weight:600;border-radius:8px;padding:0 6px;margin-left:6px;background:var(--inconclusive-bg);color:var(--inconclusive)}
.filters input[type=checkbox]{margin:0;accent-color:var(--accent)}
.filters input[type=search]{border:1px solid var(--line);border-radius:6px;padding:4px 8px;min-width:220px;font:inherit}
.filters button{font:inherit;font-size:12px;border:1px solid var(--line);background:var(--panel);border-radius:6px;padding:2px 8px;cursor:pointer}
#showing{color:var(--muted);font-size:12.5px;align-self:center}
.sw{display:inline-block;width:16px;height:16px;border-radius:4px;text-align:center;font-size:11px;line-height:16px;font-weight:700}
/* Wide tables scroll inside their own box, never the page (a narrow window, many profiles or targets). The matrix's
   box has a height too, so that its header row stays in view (sticky within the box) and its case column stays at
   the left edge while the cells scroll. */
.scroll-x{overflow-x:auto;max-width:100%}
.matrix-box{overflow:auto;max-width:100%;max-height:85vh}
.matrix{font-size:13px}
.matrix th,.matrix td{border:1px solid var(--bg)}
.matrix thead th{position:sticky;top:0;z-index:2;background:var(--bg);padding:4px 6px;font-weight:600;vertical-align:bottom;border-bottom:2px solid var(--line)}
.matrix thead th small{display:block;font-weight:400;color:var(--muted);font-size:11px}
.matrix thead tr:first-child th{height:46px}
.matrix thead tr.targets-row th{top:46px;font-weight:400;font-size:11px;color:var(--muted);max-width:90px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.matrix tbody tr.fn th{background:var(--panel);text-align:left;padding:8px 8px 4px;font-size:13px;border-top:12px solid var(--bg)}
.matrix tbody tr.fn th small{color:var(--muted);font-weight:400;margin-left:8px}
.matrix th.case{text-align:left;font-weight:400;padding:3px 12px 3px 8px;min-width:330px;max-width:520px;border-bottom:1px solid #eef1f4;position:sticky;left:0;z-index:1;background:var(--bg)}
.matrix thead th.case{z-index:3}
.matrix th.case code{font-weight:600}
.matrix th.case span{display:block;color:var(--muted);font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.matrix td{padding:0;text-align:center;width:92px;min-width:92px;height:36px}
.matrix.many td{width:40px;min-width:40px;font-size:13px}
.matrix.many thead tr.targets-row th{max-width:40px;writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;height:110px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:4px 2px}
.matrix td button{all:unset;box-sizing:border-box;display:flex;align-items:center;justify-content:center;width:100%;height:100%;cursor:pointer;font-weight:700;font-size:15px;border-radius:4px}
.matrix td button:hover,.matrix td button:focus-visible{outline:2px solid var(--accent);outline-offset:-2px}
/* A cell the verdict filter leaves out is blank, neither tint nor symbol: it reads as "not asked for", unlike a tint
   without its symbol, which read as a verdict of its own. (Hatched, td.none, is "not run".) */
.matrix td.off{background:transparent}
.matrix td.off button{visibility:hidden}
.matrix td.none{background:repeating-linear-gradient(45deg,#fff,#fff 4px,#f3f4f6 4px,#f3f4f6 8px)}
.gone{display:none!important}
${VERDICTS.map((v) => `.v-${v}{background:var(--${v}-bg);color:var(--${v})}`).join('\n')}
.badge{font-size:12px;font-weight:600;border-radius:10px;padding:1px 9px;vertical-align:middle}
dialog{border:0;border-radius:10px;padding:0;width:min(860px,94vw);max-height:90vh;box-shadow:0 12px 40px rgba(0,0,0,.3)}
dialog::backdrop{background:rgba(31,35,40,.45)}
.dialog-inner{padding:18px 22px 22px;position:relative}
#details-close{position:absolute;right:14px;top:12px;font:inherit;font-size:20px;line-height:1;border:0;background:none;cursor:pointer;color:var(--muted)}
.details-head h2{display:flex;gap:10px;align-items:center;flex-wrap:wrap;padding-right:30px}
.case-title{margin:4px 0 2px;font-size:15px}
.where{margin:0 0 12px;color:var(--muted)}
.where strong{color:var(--fg)}
.compare{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.side{border-radius:8px;padding:8px 12px;border:1px solid var(--line)}
.side.expected{background:var(--panel)}
.side h4{margin:0 0 4px;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.side p{margin:0;font-size:13.5px;color:var(--fg);overflow-wrap:anywhere}
.side p.alt{padding-left:10px;border-left:2px solid var(--line);margin:2px 0}
.side p.small{font-size:12px;color:var(--muted)}
.details-head h2 code{font-size:16px}
dl.facts{display:grid;grid-template-columns:110px 1fr;gap:3px 12px;margin:10px 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
blockquote{margin:6px 0;padding:6px 12px;border-left:4px solid var(--accent);background:#f1f8ff;border-radius:0 6px 6px 0}
blockquote p{margin:0 0 4px;font-family:Georgia,"DejaVu Serif",serif;font-size:14px}
blockquote footer{font-size:12px;color:var(--muted)}
table.pages th,table.pages td{border:1px solid var(--line);padding:2px 10px;text-align:left}
.others{margin-top:14px;display:flex;flex-wrap:wrap;gap:5px;align-items:center}
.chip{font:inherit;font-size:12px;border:0;border-radius:10px;padding:1px 9px;cursor:pointer}
.raw{margin-top:12px}
.pager select{font:inherit;font-size:12px;max-width:420px}
.summary.per-target td{padding:2px 10px}
.summary.per-target button.goto{all:unset;cursor:pointer;color:var(--accent)}
.summary.per-target tr.on th{background:#ddf4ff}
.raw pre{background:var(--panel);padding:8px;border-radius:6px;max-height:260px;overflow:auto}
footer.page{margin-top:24px;color:var(--muted);font-size:12px}
`;

function targetCards(data: HtmlData): string {
  return data.targets
    .map((t) => {
      const flags = [
        t.complete ? '' : '<span class="flag bad">incomplete</span>',
        t.stale ? '<span class="flag bad">stale spec</span>' : '',
      ].join('');
      const fact = (k: string, v: string): string => `<span class="fact"><span class="k">${h(k)}</span>${v}</span>`;
      const facts = t.facts.filter(([k]) => k !== 'id').map(([k, v]) => fact(k, h(v)));
      const probes = t.probes
        .map((p) => `<span class="${p.available ? '' : 'probe-off'}" title="${h(p.method)}">${h(p.name)} ${p.available ? '✓' : '✗'}</span>`)
        .join(' ');
      facts.push(fact('spec', `<code>${h(t.specDigest.slice(0, 23))}</code>`), fact('probes', probes).replace('class="fact"', 'class="fact wide"'));
      return `<section class="target"><h2><code>${h(t.id)}</code>${flags}</h2><div class="facts-line">${facts.join('')}</div>${t.notes
        .map((n) => `<p class="note">${h(n)}</p>`)
        .join('')}</section>`;
    })
    .join('');
}

/** A stacked bar of verdict counts. Its widths are numbers computed here, never text from the file. */
function bar(counts: Counts): string {
  return `<div class="bar">${VERDICTS.filter((v) => counts[v] > 0)
    .map((v) => `<span style="flex-grow:${counts[v]};background:var(--${v})" title="${counts[v]} ${v}"></span>`)
    .join('')}</div>`;
}

/** The counts worth reading at a glance: every verdict but unspecified (the documents' silence, not the target's). */
const tallies = (counts: Counts): string =>
  VERDICTS.filter((v) => counts[v] > 0 && v !== 'unspecified')
    .map((v) => `<span class="tally v-${v}" title="${v}">${counts[v]} ${SYMBOL[v]}</span>`)
    .join(' ') || '<span class="muted small">nothing documented</span>';

const profileLabel = (p: HtmlData['profiles'][number]): string =>
  `${h(p.name)} <small class="muted">${h(p.id)}</small>${p.required ? '<span class="req">required</span>' : ''}`;

/** One target: a row per profile with every count. Up to PAGE_SIZE: a profile × target grid of bars and the counts
 * that matter. More: a row per target (a grid 1,000 columns wide reads as nothing), its id a button to its page. */
function summaryTable(data: HtmlData, counts: Counts[][]): string {
  const head = (v: VerdictName): string => `<th title="${v}"><span class="sw v-${v}">${SYMBOL[v]}</span> ${v}</th>`;
  const of = (ti: number, pi: number): Counts => counts[ti]?.[pi] ?? countsZero();
  if (data.targets.length === 1) {
    const rows = data.profiles.map((p, pi) => {
      const c = of(0, pi);
      const cells = VERDICTS.map((v) => `<td class="n${c[v] > 0 && (v === 'diverges' || v === 'error') ? ` v-${v}` : ''}">${c[v]}</td>`);
      return `<tr><th>${profileLabel(p)}</th><td>${bar(c)}</td>${cells.join('')}</tr>`;
    });
    return `<table class="summary"><thead><tr><th>profile</th><th></th>${VERDICTS.map(head).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  if (data.targets.length > PAGE_SIZE) {
    const rows = data.targets.map((t, ti) => {
      const flags = `${t.complete ? '' : ' <span class="flag bad">incomplete</span>'}${t.stale ? ' <span class="flag bad">stale spec</span>' : ''}`;
      const cells = data.profiles.map((_, pi) => `<td><div class="tallies">${tallies(of(ti, pi))}</div></td>`);
      return `<tr data-t="${ti}"><th><button type="button" class="goto" data-goto="${ti}" title="show this target's page of the matrix"><code>${h(t.id)}</code></button>${flags}</th>${cells.join('')}</tr>`;
    });
    const heads = data.profiles.map((p) => `<th>${profileLabel(p)}</th>`).join('');
    return `<table class="summary per-target"><thead><tr><th>target</th>${heads}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  const rows = data.profiles.map((p, pi) => {
    const cells = data.targets.map((_, ti) => `<td>${bar(of(ti, pi))}<div class="tallies">${tallies(of(ti, pi))}</div></td>`);
    return `<tr><th>${profileLabel(p)}</th>${cells.join('')}</tr>`;
  });
  const heads = data.targets.map((t) => `<th><code>${h(t.id)}</code></th>`).join('');
  return `<table class="summary grid"><thead><tr><th>profile</th>${heads}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const countsZero = (): Counts => Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Counts;

/** The pager of a matrix of more than PAGE_SIZE targets: in place of the target filter, which page of targets shows. */
function pager(data: HtmlData): string {
  const pages = Math.ceil(data.targets.length / PAGE_SIZE);
  const options = Array.from({ length: pages }, (_, k) => {
    const first = data.targets[k * PAGE_SIZE];
    const last = data.targets[Math.min(data.targets.length, (k + 1) * PAGE_SIZE) - 1];
    const range = `${k * PAGE_SIZE + 1}–${Math.min(data.targets.length, (k + 1) * PAGE_SIZE)}`;
    return `<option value="${k}">${range}: ${h(first?.id ?? '')} … ${h(last?.id ?? '')}</option>`;
  });
  return `<fieldset class="pager"><legend>targets</legend><button type="button" id="page-prev" aria-label="previous targets">‹</button><select id="page" aria-label="targets shown">${options.join('')}</select><button type="button" id="page-next" aria-label="next targets">›</button><small class="muted">${PAGE_SIZE} of ${data.targets.length} at a time</small></fieldset>`;
}

function filters(data: HtmlData, counts: Counts[][]): string {
  const total = countsZero();
  for (const perTarget of counts) for (const c of perTarget) for (const v of VERDICTS) total[v] += c[v];
  const box = (kind: string, value: string, label: string): string =>
    `<label><input type="checkbox" data-filter="${kind}" value="${h(value)}" checked>${label}</label>`;
  const group = (name: string, kind: string, items: string[], only?: string): string =>
    `<fieldset><legend>${name}</legend>${items.join('')}${only ?? ''}</fieldset>`;
  const n = data.targets.length;
  return `<div class="filters" id="filters">
${group('function', 'function', data.functions.map((f) => box('function', f, `<code>${h(f)}</code>`)))}
${group('profile', 'profile', data.profiles.map((p, i) => box('profile', String(i), `${h(p.id)}${p.required ? ' ★' : ''}`)))}
${n > PAGE_SIZE ? pager(data) : n > 1 ? group('target', 'target', data.targets.map((t, i) => box('target', String(i), `<code>${h(t.id)}</code>`))) : ''}
${
  // Off by default, unlike the groups above: on, it keeps only the cases whose behaviour differs between targets.
  n > 1
    ? `<fieldset><legend>cases</legend><label class="toggle"><input type="checkbox" id="disagree">targets disagree <small class="muted">${data.cases.filter((c) => c.disagree.length > 0).length}</small></label></fieldset>`
    : ''
}
${group(
  'verdict',
  'verdict',
  VERDICTS.filter((v) => total[v] > 0).map((v) => box('verdict', v, `<span class="sw v-${v}">${SYMBOL[v]}</span>${v} <small class="muted">${total[v]}</small>`)),
  // An error is as much a finding as a divergence: "only" keeps both (space-separated values).
  '<button type="button" data-only="verdict" value="diverges error">only divergences and errors</button>',
)}
<fieldset><input type="search" id="search" placeholder="case id or title…" aria-label="search cases"><button type="button" id="reset">reset</button></fieldset>
<span id="showing"></span>
</div>`;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('base64');

/** The page, piece by piece: no piece holds more than one target's cells, so no matrix is too big to write. */
export function* renderHtmlChunks(matrix: Matrix, options: HtmlOptions = {}): Generator<string> {
  const model = htmlModel(matrix, options.required ?? []);
  const data = model.data;
  // The script is our own source; a `</script` in it would end the element early, so refuse rather than emit.
  if (/<\/script/i.test(htmlClientScript)) throw new Error('the report script contains "</script"');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${sha256(htmlClientScript)}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
  const title = data.targets.length === 1 ? `semconf: ${data.targets[0]?.id ?? ''}` : `semconf: ${data.targets.length} targets`;
  const sub = `${data.cases.length} cases · ${data.profiles.length} profiles · ${data.targets.length} target(s)${
    options.source ? ` · from ${options.source}` : ''
  }${matrix.targets.length > 1 ? ` · spec reference ${matrix.specDigest.value.slice(0, 19)} (${matrix.specDigest.basis})` : ''}`;
  // Counted from the results, by target and profile index, for the summary and the verdict filter's labels.
  const profileIds = profilesOf(matrix).map((p) => p.id);
  const counts = matrix.targets.map((t) => profileIds.map((p) => countVerdicts(t.results, p)));
  const paged = data.targets.length > PAGE_SIZE;
  const cards = targetCards(data);
  yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${options.csp === false ? '' : `<meta http-equiv="Content-Security-Policy" content="${h(csp)}">\n`}<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${h(title)}</h1>
<p class="sub">${h(sub)}</p>
${
  // Many cards are a long page of facts before the summary: folded, one click away.
  paged ? `<details class="all-targets"><summary>the ${data.targets.length} targets: facts, probes, notes</summary><div class="targets">${cards}</div></details>` : `<div class="targets">${cards}</div>`
}
<div class="scroll-x">${summaryTable(data, counts)}</div>
${filters(data, counts)}
<div class="matrix-box"><table class="matrix${data.targets.length > 1 ? ' many' : ''}" id="matrix"></table></div>
<noscript><p class="note">The matrix and the details need JavaScript; the summary above does not.</p></noscript>
<footer class="page">${VERDICTS.map((v) => `<span class="sw v-${v}">${SYMBOL[v]}</span> ${v}`).join(' · ')} · ★ required profile · click a cell for expected vs observed, the context and the clause.</footer>
</main>
<dialog id="details" aria-label="case details"><div class="dialog-inner"><button type="button" id="details-close" aria-label="close">×</button><div id="details-body"></div></div></dialog>
`;
  for (let ti = 0; ti < data.targets.length; ti++) {
    yield `<script type="application/json" id="semconf-t-${ti}">${jsonForScript(model.cellsOf(ti))}</script>\n`;
  }
  // After the targets' blocks: making their cells is what fills the verdict and clause tables.
  yield `<script type="application/json" id="semconf-data">${jsonForScript(data)}</script>
<script>${htmlClientScript}</script>
</body>
</html>
`;
}

/** The page as one string: for small matrices and tests; the report command writes the chunks. */
export function renderHtml(matrix: Matrix, options: HtmlOptions = {}): string {
  return [...renderHtmlChunks(matrix, options)].join('');
}
