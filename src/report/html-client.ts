// The HTML report's script, written as a TypeScript function so the compiler checks it, and embedded in the page as
// its source text (`htmlClientScript`). It must stay self-contained: no imports, no reference to anything outside
// the function. It writes text only through textContent, never innerHTML: every string in the data is untrusted.
//
// It builds the matrix table for one page of targets (all of them, up to data.pageSize) and parses a target's block
// of cells only when that target is shown or one of its cells is opened: a 1,000-target page parses 20.
import type { HtmlCell, HtmlData, HtmlVerdict } from './html-data.js';

function semconfReport(): void {
  const source = document.getElementById('semconf-data');
  if (source === null || source.textContent === null) return;
  const data = JSON.parse(source.textContent) as HtmlData;
  const SYMBOL: Record<string, string> = { conforms: '✓', diverges: '✗', inconclusive: '?', unspecified: '–', unsupported: '∅', skipped: '↷', error: '!' };
  const many = data.targets.length > 1;
  const paged = data.targets.length > data.pageSize;
  const pages = Math.ceil(data.targets.length / data.pageSize);
  /** the page of targets the matrix shows */
  let page = 0;
  const pageSelect = document.getElementById('page') as HTMLSelectElement | null;
  const dialog = document.getElementById('details') as HTMLDialogElement;
  const body = document.getElementById('details-body') as HTMLElement;
  const status = document.getElementById('showing') as HTMLElement;
  const search = document.getElementById('search') as HTMLInputElement;
  /** "targets disagree": only in a matrix of several targets */
  const disagree = document.getElementById('disagree') as HTMLInputElement | null;
  /** the cell whose details are open, as indices into data */
  let opened: { ci: number; pi: number; ti: number } | null = null;
  /** while the state is being read from the hash, changes are not written back to it */
  let restoring = false;

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const num = (e: Element, name: string): number => Number(e.getAttribute(name));

  // ---- the targets' cells, parsed when first needed ----------------------------------------------------------------
  const parsed = new Map<number, (HtmlCell | null)[]>();
  function cellsOf(ti: number): (HtmlCell | null)[] {
    let cells = parsed.get(ti);
    if (cells === undefined) {
      const block = document.getElementById(`semconf-t-${ti}`);
      cells = block?.textContent ? (JSON.parse(block.textContent) as (HtmlCell | null)[]) : [];
      parsed.set(ti, cells);
    }
    return cells;
  }
  const verdictOf = (cell: HtmlCell | null | undefined, pi: number): HtmlVerdict | undefined => {
    const i = cell?.verdicts[pi];
    return i === null || i === undefined ? undefined : data.verdicts[i];
  };
  /** target indices of the page shown */
  const shownTargets = (): number[] => {
    const from = page * data.pageSize;
    return data.targets.map((_, ti) => ti).slice(from, from + data.pageSize);
  };

  // ---- the matrix table: the same markup for every page -----------------------------------------------------------
  const matrix = document.getElementById('matrix') as HTMLTableElement;
  const attrs = <E extends Element>(e: E, values: Record<string, string | number>): E => {
    for (const [k, v] of Object.entries(values)) e.setAttribute(k, String(v));
    return e;
  };
  function renderMatrix(): void {
    const targets = shownTargets();
    const thead = el('thead');
    const row1 = el('tr');
    const caseHead = el('th', 'case', 'case');
    if (many) caseHead.rowSpan = 2;
    row1.append(caseHead);
    data.profiles.forEach((p, pi) => {
      const th = attrs(el('th', 'profile-head', `${p.name}${p.required ? ' ★' : ''}`), { 'data-p': pi, title: `${p.name} ${p.version}` });
      if (many) th.colSpan = targets.length;
      th.append(el('small', undefined, p.id));
      row1.append(th);
    });
    thead.append(row1);
    if (many) {
      const row2 = el('tr', 'targets-row');
      data.profiles.forEach((_, pi) => {
        for (const ti of targets) {
          const t = data.targets[ti];
          row2.append(attrs(el('th', 'target-head', t?.label ?? ''), { 'data-p': pi, 'data-t': ti, title: t?.id ?? '' }));
        }
      });
      thead.append(row2);
    }
    const width = 1 + data.profiles.length * targets.length;
    const bodies = data.functions.map((fn) => {
      const tbody = attrs(el('tbody'), { 'data-f': fn });
      const rows = data.cases.map((c, ci) => ({ c, ci })).filter(({ c }) => c.function === fn);
      const fnRow = el('tr', 'fn');
      const fnHead = el('th');
      fnHead.colSpan = width;
      fnHead.append(el('code', undefined, fn), el('small', undefined, `${rows.length} case(s)`));
      fnRow.append(fnHead);
      tbody.append(fnRow);
      for (const { c, ci } of rows) {
        const tr = attrs(el('tr', 'case'), { 'data-c': ci });
        const th = attrs(el('th', 'case'), { scope: 'row' });
        th.append(el('code', undefined, c.id));
        if (c.disagree.length > 0) {
          th.append(attrs(el('em', 'mark disagree', 'targets disagree'), { title: `targets disagree on ${c.disagree.map((d) => d.what).join(', ')}` }));
        }
        if (c.flaky) {
          th.append(attrs(el('em', 'mark flaky', 'flaky'), { title: 'its behaviour varied between repetitions of a run (run --repeat)' }));
        }
        th.append(attrs(el('span', undefined, c.title), { title: c.title }));
        tr.append(th);
        data.profiles.forEach((p, pi) => {
          for (const ti of targets) {
            const t = data.targets[ti];
            const v = verdictOf(cellsOf(ti)[ci], pi);
            if (!v) {
              tr.append(attrs(el('td', 'none'), { 'data-p': pi, 'data-t': ti, title: `not run on ${t?.id ?? ''}` }));
              continue;
            }
            const label = `${c.id} · ${p.id}${many ? ` · ${t?.id ?? ''}` : ''}: ${v.verdict}`;
            const td = attrs(el('td', `v-${LABELS[v.verdict] ?? 'unknown'}`), { 'data-p': pi, 'data-t': ti, 'data-v': v.verdict });
            td.append(attrs(el('button', undefined, SYMBOL[v.verdict] ?? '?'), { type: 'button', 'data-c': ci, 'data-p': pi, 'data-t': ti, title: label, 'aria-label': label }));
            tr.append(td);
          }
        });
        tbody.append(tr);
      }
      return tbody;
    });
    matrix.replaceChildren(thead, ...bodies);
    if (pageSelect) pageSelect.value = String(page);
    for (const tr of Array.from(document.querySelectorAll('.summary.per-target tr[data-t]'))) {
      tr.classList.toggle('on', targets.includes(num(tr, 'data-t')));
    }
  }
  function showPage(p: number): void {
    const next = Math.max(0, Math.min(pages - 1, p));
    if (next !== page || matrix.childElementCount === 0) {
      page = next;
      renderMatrix();
    }
    apply();
  }

  // ---- filters -------------------------------------------------------------------------------------------------
  const boxes = Array.from(document.querySelectorAll<HTMLInputElement>('input[data-filter]'));
  /** The values of a filter group that are on; null when the page has no such group (e.g. one target): all on. */
  const enabled = (kind: string): { has(v: string): boolean } => {
    const group = boxes.filter((b) => b.dataset.filter === kind);
    if (group.length === 0) return { has: () => true };
    return new Set(group.filter((b) => b.checked).map((b) => b.value));
  };

  function apply(): void {
    const fns = enabled('function');
    const profiles = enabled('profile');
    const targets = enabled('target');
    const verdicts = enabled('verdict');
    const onlyDisagreeing = disagree?.checked === true;
    const text = search.value.trim().toLowerCase();
    const columnOn = (e: Element): boolean =>
      (!e.hasAttribute('data-p') || profiles.has(String(num(e, 'data-p')))) &&
      (!e.hasAttribute('data-t') || targets.has(String(num(e, 'data-t'))));
    for (const e of Array.from(document.querySelectorAll('#matrix [data-p], #matrix [data-t]'))) {
      e.classList.toggle('gone', !columnOn(e));
    }
    // A profile's header spans its visible targets.
    for (const th of Array.from(document.querySelectorAll<HTMLTableCellElement>('#matrix th.profile-head'))) {
      const p = th.getAttribute('data-p');
      const visible = Array.from(document.querySelectorAll(`#matrix th.target-head[data-p="${p}"]`)).filter((t) => !t.classList.contains('gone'));
      if (visible.length > 0) th.colSpan = visible.length;
      th.classList.toggle('gone', !columnOn(th) || (document.querySelector('#matrix th.target-head') !== null && visible.length === 0));
    }
    let rows = 0;
    let cells = 0;
    for (const group of Array.from(document.querySelectorAll<HTMLTableSectionElement>('#matrix tbody'))) {
      let groupRows = 0;
      for (const tr of Array.from(group.querySelectorAll<HTMLTableRowElement>('tr.case'))) {
        let shown = 0;
        for (const td of Array.from(tr.querySelectorAll<HTMLTableCellElement>('td[data-v]'))) {
          const on = verdicts.has(td.getAttribute('data-v') ?? '');
          td.classList.toggle('off', !on);
          if (on && !td.classList.contains('gone')) shown += 1;
        }
        const c = data.cases[num(tr, 'data-c')];
        const matchesText = text === '' || (c !== undefined && `${c.id} ${c.title}`.toLowerCase().includes(text));
        const agreed = onlyDisagreeing && (c === undefined || c.disagree.length === 0);
        const visible = fns.has(group.getAttribute('data-f') ?? '') && matchesText && !agreed && shown > 0;
        tr.classList.toggle('gone', !visible);
        if (visible) {
          groupRows += 1;
          cells += shown;
        }
      }
      group.classList.toggle('gone', groupRows === 0);
      rows += groupRows;
    }
    const shown = shownTargets();
    status.textContent = `${rows} of ${data.cases.length} cases, ${cells} cells shown${
      paged ? ` · targets ${page * data.pageSize + 1}–${page * data.pageSize + shown.length} of ${data.targets.length}` : ''
    }`;
    saveState();
  }
  for (const b of boxes) b.addEventListener('change', apply);
  pageSelect?.addEventListener('change', () => showPage(Number(pageSelect.value)));
  document.getElementById('page-prev')?.addEventListener('click', () => showPage(page - 1));
  document.getElementById('page-next')?.addEventListener('click', () => showPage(page + 1));
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-goto]'))) {
    b.addEventListener('click', () => {
      showPage(Math.floor(num(b, 'data-goto') / data.pageSize));
      matrix.scrollIntoView();
    });
  }
  search.addEventListener('input', apply);
  disagree?.addEventListener('change', apply);
  document.getElementById('reset')?.addEventListener('click', () => {
    for (const b of boxes) b.checked = true;
    search.value = '';
    if (disagree) disagree.checked = false;
    apply();
  });
  for (const only of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-only]'))) {
    // "only" next to a filter group: keep those values of that group (space-separated), e.g. divergences and errors.
    const keep = only.value.split(' ');
    only.addEventListener('click', () => {
      for (const b of boxes) if (b.dataset.filter === only.dataset.only) b.checked = keep.includes(b.value);
      apply();
    });
  }

  // ---- state in the URL hash ---------------------------------------------------------------------------------------
  // `hide-<group>=<name>` per box that is off (by id or name, not by index, so that a link survives a regenerated
  // report), `q` the search, `disagree=1`, and `case`/`profile`/`target` for the opened cell. Only what differs from
  // the page as loaded is written, so a fresh page has no hash. A paged matrix adds `page`: the id of the first target
  // of the page shown (an id again: the page that holds it, in a regenerated report).
  const nameOf = (kind: string, value: string): string =>
    kind === 'profile' ? (data.profiles[Number(value)]?.id ?? value) : kind === 'target' ? (data.targets[Number(value)]?.id ?? value) : value;

  function stateHash(): string {
    const p = new URLSearchParams();
    for (const b of boxes) if (!b.checked && b.dataset.filter) p.append(`hide-${b.dataset.filter}`, nameOf(b.dataset.filter, b.value));
    if (search.value.trim() !== '') p.set('q', search.value);
    if (disagree?.checked === true) p.set('disagree', '1');
    if (page > 0) p.set('page', data.targets[page * data.pageSize]?.id ?? '');
    const c = opened && data.cases[opened.ci];
    if (opened && c) {
      p.set('case', c.id);
      p.set('profile', data.profiles[opened.pi]?.id ?? '');
      p.set('target', data.targets[opened.ti]?.id ?? '');
    }
    return p.toString();
  }

  function saveState(): void {
    if (restoring) return;
    const hash = stateHash();
    if (hash === location.hash.slice(1)) return;
    // replaceState: a filter click is not a page to go back to, and it fires no hashchange.
    history.replaceState(null, '', hash === '' ? location.href.split('#')[0] : `#${hash}`);
  }

  function restoreState(): void {
    const p = new URLSearchParams(location.hash.slice(1));
    restoring = true;
    try {
      for (const b of boxes) {
        const kind = b.dataset.filter ?? '';
        b.checked = !p.getAll(`hide-${kind}`).includes(nameOf(kind, b.value));
      }
      search.value = p.get('q') ?? '';
      if (disagree) disagree.checked = p.get('disagree') === '1';
      const ci = data.cases.findIndex((c) => c.id === p.get('case'));
      const pi = data.profiles.findIndex((x) => x.id === p.get('profile'));
      const ti = data.targets.length === 1 && !p.has('target') ? 0 : data.targets.findIndex((x) => x.id === p.get('target'));
      // The page named, else the opened cell's, else the first.
      const first = data.targets.findIndex((x) => x.id === p.get('page'));
      const at = first >= 0 ? first : ti >= 0 ? ti : 0;
      showPage(Math.floor(at / data.pageSize));
      if (ci >= 0 && pi >= 0 && ti >= 0) open(ci, pi, ti);
      else if (dialog.open) dialog.close();
    } finally {
      restoring = false;
    }
  }

  // ---- details -------------------------------------------------------------------------------------------------
  const LABELS: Record<string, string> = {
    conforms: 'conforms',
    diverges: 'diverges',
    inconclusive: 'inconclusive',
    unspecified: 'unspecified',
    unsupported: 'unsupported',
    skipped: 'skipped',
    error: 'error',
  };
  const badge = (verdict: string): HTMLElement => el('span', `badge v-${LABELS[verdict] ?? 'unknown'}`, verdict);
  const row = (dl: HTMLElement, term: string, value: string, cls?: string): void => {
    if (value === '') return;
    dl.append(el('dt', undefined, term), el('dd', cls, value));
  };

  function verdictBlock(v: HtmlVerdict, cellData: HtmlCell): HTMLElement {
    const box = el('section', 'compare');
    const exp = el('div', 'side expected');
    exp.append(el('h4', undefined, 'expected'));
    // "one of: A | B" reads better as one alternative per line.
    const alternatives = v.expected.startsWith('one of: ') ? v.expected.slice('one of: '.length).split(' | ') : [v.expected];
    if (alternatives.length > 1) exp.append(el('p', 'small muted', 'any one of:'));
    for (const a of alternatives) exp.append(el('p', `mono${alternatives.length > 1 ? ' alt' : ''}`, a));
    const obs = el('div', `side observed v-${LABELS[v.verdict] ?? 'unknown'}`);
    obs.append(el('h4', undefined, 'observed'), el('p', 'mono', v.observed || cellData.outcome || '—'));
    box.append(exp, obs);
    return box;
  }

  function open(ci: number, pi: number, ti: number): void {
    const c = data.cases[ci];
    const cellData = cellsOf(ti)[ci];
    const v = verdictOf(cellData, pi);
    const profile = data.profiles[pi];
    const target = data.targets[ti];
    if (!c || !cellData || !v || !profile || !target) return;
    opened = { ci, pi, ti };
    body.replaceChildren();
    const head = el('header', 'details-head');
    const title = el('h2');
    title.append(el('code', undefined, c.id), document.createTextNode(' '), badge(v.verdict));
    head.append(title, el('p', 'case-title', c.title));
    const where = el('p', 'where');
    where.append(
      document.createTextNode('profile '),
      el('strong', undefined, `${profile.name} (${profile.id})`),
      document.createTextNode(profile.required ? ' · required' : ''),
      document.createTextNode(' · target '),
      el('strong', undefined, target.id),
    );
    head.append(where);
    body.append(head, verdictBlock(v, cellData));

    const why = el('dl', 'facts');
    row(why, 'why', v.reason);
    row(why, 'basis', v.basis);
    if (cellData.reason !== v.reason) row(why, 'case', cellData.reason);
    if (why.childElementCount > 0) body.append(why);

    const clauses = v.clauses.flatMap((i) => data.clauses[i] ?? []);
    if (clauses.length > 0) {
      body.append(el('h3', undefined, clauses.length === 1 ? 'Clause' : 'Clauses'));
      for (const cl of clauses) {
        const q = el('blockquote');
        q.append(el('p', undefined, cl.quote));
        const cite = el('footer');
        cite.append(el('cite', undefined, `${cl.document}, ${cl.section}`), document.createTextNode(' · '), el('code', undefined, cl.id));
        q.append(cite);
        body.append(q);
      }
    } else if (v.verdict === 'unspecified') {
      body.append(el('p', 'muted', `${profile.name}'s documents say nothing about this case; the observation is recorded all the same.`));
    }

    body.append(el('h3', undefined, 'Context'));
    const ctx = el('dl', 'facts');
    row(ctx, 'call', cellData.call, 'mono');
    row(ctx, 'before', cellData.before.join('\n'), 'mono pre');
    row(ctx, 'outcome', cellData.outcome, 'mono');
    row(ctx, 'after', cellData.after.join('\n'), 'mono pre');
    row(ctx, 'after each step', cellData.steps.join('\n'), 'mono pre');
    row(ctx, 'context', cellData.context);
    row(ctx, 'credentials', cellData.credentials);
    row(ctx, 'status', cellData.status);
    row(ctx, 'duration', `${cellData.durationMs} ms`);
    row(ctx, 'process locked', cellData.lockedBytes === '?' ? '' : `${cellData.lockedBytes} bytes, the whole worker (environment: not judged, not compared)`);
    row(ctx, 'warnings', cellData.warnings.join('\n'), 'pre');
    row(ctx, 'flaky', cellData.flaky);
    if (many) {
      // What the targets disagree on, value by value; the same rule as semconf diff. The targets of the page shown:
      // a line of 1,000 values reads as nothing.
      const listed = shownTargets();
      const rest = data.targets.length - listed.length;
      const lines = c.disagree.map(
        (d) =>
          `${d.what}: ${listed.map((i) => `${data.targets[i]?.id ?? i} ${d.values[i] || '(not run)'}`).join(' · ')}${rest > 0 ? ` · and ${rest} targets on other pages` : ''}`,
      );
      row(ctx, 'targets disagree', lines.join('\n'), 'mono pre');
    }
    body.append(ctx);

    if (cellData.mappings.length > 0) {
      const table = el('table', 'pages');
      const thead = el('tr');
      for (const h of ['mapping', 'pages', 'locked', 'resident']) thead.append(el('th', undefined, h));
      table.append(thead);
      for (const m of cellData.mappings) {
        const tr = el('tr');
        tr.append(el('td', 'mono', m.name), el('td', undefined, String(m.pages)), el('td', 'mono', m.locked), el('td', 'mono', m.resident));
        table.append(tr);
      }
      body.append(table, el('p', 'muted small', 'L locked · U unlocked · R resident · N not resident · - unmapped · ? not observable here'));
    }

    // The same case under the other profiles, and on the other targets: one click away.
    const others = el('div', 'others');
    others.append(el('span', 'muted', 'other profiles: '));
    data.profiles.forEach((p, i) => {
      const ov = verdictOf(cellData, i);
      if (i === pi || !ov) return;
      const b = el('button', `chip v-${LABELS[ov.verdict] ?? 'unknown'}`, `${p.id}: ${ov.verdict}`);
      b.type = 'button';
      b.addEventListener('click', () => open(ci, i, ti));
      others.append(b);
    });
    if (many) {
      // The targets of the page shown: their cells are parsed already, and 999 chips would be no help.
      others.append(el('span', 'muted', paged ? ' other targets of this page: ' : ' other targets: '));
      shownTargets().forEach((i) => {
        const t = data.targets[i];
        const ov = verdictOf(cellsOf(i)[ci], pi);
        if (i === ti || !ov || !t) return;
        const b = el('button', `chip v-${LABELS[ov.verdict] ?? 'unknown'}`, `${t.id}: ${ov.verdict}`);
        b.type = 'button';
        b.addEventListener('click', () => open(ci, pi, i));
        others.append(b);
      });
    }
    body.append(others);

    if (cellData.raw !== '') {
      const raw = el('details', 'raw');
      raw.append(el('summary', undefined, 'raw observation (JSON)'), el('pre', 'mono', cellData.raw));
      body.append(raw);
    } else if (paged && cellData.call !== '') {
      body.append(el('p', 'muted small', `The raw observation is not embedded in a report of more than ${data.pageSize} targets; it is in ${target.source}.`));
    }
    if (!dialog.open) dialog.showModal();
    saveState();
  }

  document.getElementById('matrix')?.addEventListener('click', (event) => {
    const button = (event.target as Element).closest('button[data-c]');
    if (button === null) return;
    open(num(button, 'data-c'), num(button, 'data-p'), num(button, 'data-t'));
  });
  document.getElementById('details-close')?.addEventListener('click', () => dialog.close());
  // However the dialog closes (the button, the backdrop, Escape), the hash forgets the cell.
  dialog.addEventListener('close', () => {
    opened = null;
    saveState();
  });
  // A hash typed or pasted into the address bar of an open page is a link followed.
  window.addEventListener('hashchange', restoreState);
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  restoreState();
}

/** The script text embedded in the page. */
export const htmlClientScript = `(${semconfReport.toString()})();`;
