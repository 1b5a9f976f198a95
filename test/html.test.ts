// The HTML report in a real browser (Debian's Chromium through playwright-core): filters hide rows and cells, a
// click opens a cell's details, nothing from a hostile results file runs, and the page makes no request. Saves
// screenshots to test/.artifacts/ (gitignored) for a human look.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Matrix } from '../src/matrix.js';
import { asMatrix, merge } from '../src/merge.js';
import { renderHtml, shortLabels } from '../src/report/html.js';
import type { HtmlData } from '../src/report/html-data.js';
import type { Results } from '../src/results.js';
import { artifacts, fixture, launchChromium, load, scratch } from './report-fixtures.js';

const single = (r: Results): Matrix => asMatrix({ kind: 'results', results: r }, 'r.json');
const dir = scratch();

function writeReport(name: string, html: string): string {
  const file = join(dir, name);
  writeFileSync(file, html);
  return pathToFileURL(file).href;
}

interface Watched {
  page: Page;
  dialogs: string[];
  errors: string[];
  requests: string[];
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Open a report, recording every JavaScript dialog (alert), page error, console error and request. */
async function open(url: string, width = 1400): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width, height: 1000 } });
  const w: Watched = { page, dialogs: [], errors: [], requests: [] };
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  page.on('request', (r) => w.requests.push(r.url()));
  await page.goto(url);
  await page.waitForSelector('#showing:not(:empty)');
  return w;
}

const visibleRows = (page: Page): Promise<number> => page.locator('#matrix tr.case:visible').count();

describe('HTML report as a string', () => {
  const html = renderHtml(single(load('constructed-hostile.json')), { required: ['linux'] });

  it('is one self-contained file: no external URL, no src or href to anything', () => {
    // Attribute names only: hostile text inside (escaped) attribute values may well say `src=`.
    const markup = html.replace(/="[^"]*"/g, '=""');
    expect(/<[a-z][^>]*\s(src|href|srcset|action)\s*=/i.test(markup)).toBe(false);
    expect(/https?:\/\//.test(html)).toBe(false);
    expect(/@import|url\(/.test(html)).toBe(false);
  });

  it('has exactly three script elements: the shared data and the one target’s cells, both application/json, and the page’s', () => {
    expect(html.match(/<script\b/gi)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('<script type="application/json" id="semconf-data">');
    expect(html).toContain('<script type="application/json" id="semconf-t-0">');
  });

  it('allows only its own script by hash, and nothing over the network', () => {
    const csp = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '').replaceAll('&#39;', "'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
  });

  it('escapes every hostile string, and the embedded data reads back exactly', () => {
    expect(/<(img|svg|iframe|b)\b/i.test(html)).toBe(false);
    expect(html.includes('<script>alert')).toBe(false);
    const json = /<script type="application\/json" id="semconf-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(json).not.toMatch(/[<>&]/);
    const data = JSON.parse(json) as HtmlData;
    expect(data.cases[0]?.title).toBe('<script>alert(1)</script> & **bold** [link](javascript:alert(6)) | pipe `tick`');
    expect(data.functions).toContain('mlock"><script>alert(8)</script>');
  });

  it('short labels drop the prefix all target ids share', () => {
    expect(shortLabels(['linux-x86_64-glibc', 'linux-x86_64-glibc-gvisor', 'linux-arm64-musl'])).toEqual([
      'x86_64-glibc',
      'x86_64-glibc-gvisor',
      'arm64-musl',
    ]);
    expect(shortLabels(['only'])).toEqual(['only']);
  });
});

describe('HTML report in Chromium: a real results file (native.json)', () => {
  const results = load('native.json');
  const url = writeReport('native.html', renderHtml(single(results), { required: ['linux'], source: 'native.json' }));
  const caseIndex = (id: string): number => results.cases.findIndex((c) => c.id === id);
  const profileIndex = (id: string): number => results.profiles.findIndex((p) => p.id === id);

  it('shows every case and makes no request but its own file', async () => {
    const { page, errors, requests } = await open(url);
    expect(await visibleRows(page)).toBe(37);
    expect(await page.textContent('#showing')).toBe('37 of 37 cases, 222 cells shown');
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });

  it('function filter hides that function’s rows', async () => {
    const { page } = await open(url);
    await page.locator('input[data-filter="function"][value="munlock"]').uncheck();
    expect(await visibleRows(page)).toBe(results.cases.filter((c) => c.function === 'mlock').length);
    expect(await page.locator('tbody[data-f="munlock"]').isVisible()).toBe(false);
    await page.close();
  });

  it('verdict filter hides cells, and rows left without a shown cell', async () => {
    const { page } = await open(url);
    await page.click('button[data-only="verdict"]');
    const diverging = results.cases.filter((c) => Object.values(c.verdicts).some((v) => v.verdict === 'diverges'));
    expect(await visibleRows(page)).toBe(diverging.length);
    expect(await page.locator('#matrix td[data-v="conforms"] button:visible').count()).toBe(0);
    expect(await page.locator('#matrix td[data-v="diverges"] button:visible').count()).toBe(35);
    await page.click('#reset');
    expect(await visibleRows(page)).toBe(37);
    await page.close();
  });

  it('profile filter hides that profile’s column', async () => {
    const { page } = await open(url);
    const hpux = profileIndex('hpux');
    expect(await page.locator(`#matrix td[data-p="${hpux}"]:visible`).count()).toBe(37);
    await page.locator(`input[data-filter="profile"][value="${hpux}"]`).uncheck();
    expect(await page.locator(`#matrix td[data-p="${hpux}"]:visible`).count()).toBe(0);
    expect(await page.locator(`#matrix th.profile-head[data-p="${hpux}"]`).isVisible()).toBe(false);
    expect(await page.locator(`#matrix td[data-p="${profileIndex('linux')}"]:visible`).count()).toBe(37);
    await page.close();
  });

  it('search narrows rows by id or title', async () => {
    const { page } = await open(url);
    await page.fill('#search', 'wrap');
    expect(await visibleRows(page)).toBe(results.cases.filter((c) => `${c.id} ${c.title}`.includes('wrap')).length);
    await page.close();
  });

  it('a click on a cell opens expected vs observed, the context and the quoted clause', async () => {
    const { page, errors } = await open(url);
    const dialog = page.locator('#details');
    expect(await dialog.isVisible()).toBe(false);
    await page.click(`tr[data-c="${caseIndex('mlock.zero-length')}"] td[data-p="${profileIndex('hpux')}"] button`);
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator('.details-head h2').textContent()).toBe('mlock.zero-length diverges');
    expect(await dialog.locator('.side.expected').textContent()).toBe('expectedfails EINVAL; locked buf: none');
    expect(await dialog.locator('.side.observed').textContent()).toBe('observedreturns 0; buf locked UU, resident NN');
    expect(await dialog.locator('blockquote').first().textContent()).toBe(
      '[EINVAL] The len parameter was zero.hpux-mlock-2, ERRORS · mlock.errors.einval-len-zero',
    );
    const facts = await dialog.locator('dl.facts').allTextContents();
    expect(facts.join('\n')).toContain('callmlock(buf, 0)');
    expect(facts.join('\n')).toContain('contextprivileged');
    expect(await dialog.locator('.where').textContent()).toBe('profile HP-UX (hpux) · target linux-x86_64-glibc');
    await page.screenshot({ path: join(artifacts, 'report-details.png') });
    // Another profile of the same case, one click away.
    await dialog.locator('.others button', { hasText: 'linux: conforms' }).click();
    expect(await dialog.locator('.where').textContent()).toBe('profile Linux (linux) · required · target linux-x86_64-glibc');
    await page.click('#details-close');
    expect(await dialog.isVisible()).toBe(false);
    await page.keyboard.press('Tab');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('HTML report in Chromium: a merged matrix', () => {
  const matrix = merge(
    [
      { source: 'native.json', path: fixture('native.json'), results: load('native.json') },
      { source: 'gvisor.json', path: fixture('constructed-gvisor-relabelled.json'), results: load('constructed-gvisor-relabelled.json') },
      { source: 'partial.json', path: fixture('constructed-partial-relabelled.json'), results: load('constructed-partial-relabelled.json') },
    ],
    { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0.0.0' },
  );
  const url = writeReport('matrix.html', renderHtml(matrix, { required: ['linux'] }));

  it('has a column per profile × target, and the target filter hides a target’s cells', async () => {
    const { page, errors } = await open(url);
    expect(await page.locator('#matrix thead th.target-head').count()).toBe(6 * 3);
    expect(await page.locator('.target .flag.bad').allTextContents()).toEqual(['incomplete']);
    const linux = page.locator('#matrix th.profile-head', { hasText: 'Linux' });
    expect(await linux.getAttribute('colspan')).toBe('3');
    await page.locator('input[data-filter="target"][value="1"]').uncheck();
    expect(await page.locator('#matrix td[data-t="1"]:visible').count()).toBe(0);
    expect(await page.locator('#matrix td[data-t="0"]:visible').count()).toBe(37 * 6);
    expect(await linux.getAttribute('colspan')).toBe('2');
    // The partial target ran no munlock case: its cells say so and open nothing.
    expect(await page.locator('#matrix td.none[data-t="2"]').count()).toBe(16 * 6);
    await page.click('#matrix tr[data-c="0"] td[data-p="3"][data-t="0"] button');
    expect(await page.locator('#details .others').textContent()).toContain('linux-x86_64-glibc-partial: conforms');
    await page.screenshot({ path: join(artifacts, 'report-matrix.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('HTML report in Chromium: "only divergences and errors", and an 800 px window', () => {
  // constructed-regression.json: divergences and one broken case (an error verdict under every profile).
  const regression = load('constructed-regression.json');
  const errorCells = regression.cases.flatMap((c) => Object.values(c.verdicts).filter((v) => v.verdict === 'error')).length;
  const singleUrl = writeReport('regression.html', renderHtml(single(regression), { required: ['linux'] }));
  const matrixUrl = writeReport(
    'matrix-800.html',
    renderHtml(
      merge(
        [
          { source: 'native.json', path: fixture('native.json'), results: load('native.json') },
          { source: 'gvisor.json', path: fixture('constructed-gvisor-relabelled.json'), results: load('constructed-gvisor-relabelled.json') },
        ],
        { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0.0.0' },
      ),
      { required: ['linux'] },
    ),
  );

  it('keeps error cells with the divergences, and blanks the rest (no tint, no symbol)', async () => {
    expect(errorCells).toBeGreaterThan(0);
    const { page, errors } = await open(singleUrl);
    await page.click('button[data-only="verdict"]');
    expect(await page.locator('#matrix td[data-v="error"] button:visible').count()).toBe(errorCells);
    expect(await page.locator('#matrix tr.case:visible td[data-v="error"]').count()).toBe(errorCells);
    expect(await page.locator('#matrix td[data-v="diverges"] button:visible').count()).toBeGreaterThan(0);
    const look = await page.evaluate(() => {
      const style = (sel: string) => {
        const td = document.querySelector(sel);
        const button = td?.querySelector('button');
        return td && button ? { background: getComputedStyle(td).backgroundColor, symbol: getComputedStyle(button).visibility } : null;
      };
      return { off: style('#matrix tr.case:not(.gone) td.off'), shown: style('#matrix td[data-v="diverges"]:not(.off)') };
    });
    expect(look.off).toEqual({ background: 'rgba(0, 0, 0, 0)', symbol: 'hidden' });
    expect(look.shown?.symbol).toBe('visible');
    expect(look.shown?.background).not.toBe('rgba(0, 0, 0, 0)');
    await page.screenshot({ path: join(artifacts, 'report-only-divergences.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const [what, url] of [
    ['one target', singleUrl],
    ['a matrix of two targets', matrixUrl],
  ] as const) {
    it(`at 800 px (${what}) the page does not scroll sideways: the matrix scrolls in its own box, its case column stays`, async () => {
      const { page, errors } = await open(url, 800);
      const fit = await page.evaluate(() => {
        const box = document.getElementById('matrix')?.parentElement;
        const label = document.querySelector('#matrix tr.case th.case');
        if (!box || !label) return null;
        const before = label.getBoundingClientRect().left;
        box.scrollLeft = box.scrollWidth;
        return {
          page: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          boxScrolls: box.scrollWidth > box.clientWidth && box.scrollLeft > 0,
          labelMoved: label.getBoundingClientRect().left - before,
        };
      });
      expect(fit).not.toBeNull();
      expect(fit?.page).toBeLessThanOrEqual(fit?.viewport ?? 0);
      expect(fit?.boxScrolls).toBe(true);
      // (Sticky in a border-collapsed table: it may settle half a border's width over.)
      expect(Math.abs(fit?.labelMoved ?? Infinity)).toBeLessThan(1);
      await page.screenshot({ path: join(artifacts, `report-800-${what.replaceAll(' ', '-')}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

describe('HTML report in Chromium: targets disagree, and the state in the URL hash', () => {
  // (constructed) a second target made from native.json, FAKE: one case behaves differently (munlock.whole-mapping
  // leaves page 1 locked), every case's environment differs (the worker's locked total, durations), and another case
  // has a residency the probe could not see (visibility). Only the first is a disagreement.
  const native = load('native.json');
  const other = structuredClone(native);
  other.target = { ...other.target, id: 'linux-x86_64-glibc-other' };
  for (const c of other.cases) {
    c.durationMs = c.durationMs * 2 + 1;
    if (c.observed) c.observed.effects.lockedBytes = (c.observed.effects.lockedBytes ?? 0) + 4096;
  }
  const edit = (id: string, f: (m: { locked: string | null; resident: string | null }) => void): void => {
    const buf = other.cases.find((c) => c.id === id)?.observed?.effects.mappings.buf;
    if (buf === undefined) throw new Error(`no buf in ${id}`);
    f(buf);
  };
  edit('munlock.whole-mapping', (m) => void (m.locked = 'UL'));
  edit('mlock.whole-mapping', (m) => void (m.resident = null));
  const matrix = merge(
    [
      { source: 'native.json', path: fixture('native.json'), results: native },
      { source: 'other.json', path: '/constructed/other.json', results: other },
    ],
    { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0.0.0' },
  );
  const url = writeReport('disagree.html', renderHtml(matrix, { required: ['linux'] }));
  const row = native.cases.findIndex((c) => c.id === 'munlock.whole-mapping');
  const linux = native.profiles.findIndex((p) => p.id === 'linux');
  const hashOf = (page: Page): Promise<string> => page.evaluate(() => location.hash);

  it('the filter shows exactly the case whose behaviour differs; filters and the opened cell go into the hash', async () => {
    const { page, errors } = await open(url);
    expect(await hashOf(page)).toBe('');
    expect(await page.locator('label:has(#disagree)').textContent()).toBe('targets disagree 1');
    expect(await visibleRows(page)).toBe(37);
    await page.locator('#disagree').check();
    expect(await visibleRows(page)).toBe(1);
    expect(await page.locator('#matrix tr.case:visible th code').allTextContents()).toEqual(['munlock.whole-mapping']);
    expect(await hashOf(page)).toBe('#disagree=1');
    await page.locator('input[data-filter="verdict"][value="unspecified"]').uncheck();
    expect(await hashOf(page)).toBe('#hide-verdict=unspecified&disagree=1');
    await page.click(`#matrix tr[data-c="${row}"] td[data-p="${linux}"][data-t="1"] button`);
    expect(await page.locator('#details').isVisible()).toBe(true);
    expect(await hashOf(page)).toBe('#hide-verdict=unspecified&disagree=1&case=munlock.whole-mapping&profile=linux&target=linux-x86_64-glibc-other');
    const facts = (await page.locator('#details dl.facts').allTextContents()).join('\n');
    expect(facts).toContain('targets disagreebuf locked: linux-x86_64-glibc UU · linux-x86_64-glibc-other UL');
    await page.screenshot({ path: join(artifacts, 'report-disagree.png') });
    await page.click('#details-close');
    await expect.poll(() => hashOf(page)).toBe('#hide-verdict=unspecified&disagree=1');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a page loaded with that hash restores the filters and opens the cell', async () => {
    const hash = '#hide-verdict=unspecified&disagree=1&case=munlock.whole-mapping&profile=linux&target=linux-x86_64-glibc-other';
    const { page, errors } = await open(`${url}${hash}`);
    expect(await page.locator('#disagree').isChecked()).toBe(true);
    expect(await page.locator('input[data-filter="verdict"][value="unspecified"]').isChecked()).toBe(false);
    expect(await page.locator('input[data-filter="verdict"][value="conforms"]').isChecked()).toBe(true);
    expect(await visibleRows(page)).toBe(1);
    expect(await page.locator('#details').isVisible()).toBe(true);
    expect(await page.locator('#details .details-head h2').textContent()).toBe('munlock.whole-mapping conforms');
    expect(await page.locator('#details .where').textContent()).toBe('profile Linux (linux) · required · target linux-x86_64-glibc-other');
    expect(await hashOf(page)).toBe(hash);
    // Reset clears the filters, and the hash with them (the cell stays open).
    await page.click('#details-close');
    await page.click('#reset');
    expect(await visibleRows(page)).toBe(37);
    expect(await hashOf(page)).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('HTML report in Chromium: the constructed hostile file', () => {
  const results = load('constructed-hostile.json');
  for (const csp of [true, false]) {
    // Without the Content-Security-Policy the escaping alone has to hold.
    it(`runs nothing from the file and shows it as text (${csp ? 'with' : 'without'} the CSP)`, async () => {
      const url = writeReport(`hostile-${csp}.html`, renderHtml(single(results), { required: ['hpux'], csp }));
      const { page, dialogs, errors, requests } = await open(url);
      const counts = await page.evaluate(() => ({
        scripts: document.scripts.length,
        images: document.images.length,
        injected: document.querySelectorAll('svg, iframe, b, [onerror], [onload], [onmouseover]').length,
      }));
      expect(counts).toEqual({ scripts: 3, images: 0, injected: 0 });
      expect(await page.locator('#matrix tr.case').first().locator('th code').textContent()).toBe('mlock.<img src=x onerror=alert(7)>');
      expect(await page.locator('#matrix tr.case').first().locator('th span').textContent()).toBe(results.cases[0]?.title);
      expect(await page.locator('.target').textContent()).toContain('<iframe src="javascript:alert(4)"></iframe>');
      // Every cell of every row opens; the hostile quotes land as text.
      await page.click('#matrix tr[data-c="0"] td[data-p="1"] button');
      expect(await page.locator('#details blockquote p').first().textContent()).toContain('</script><script>alert(3)</script> "><img src=x onerror=alert(2)>');
      await page.click('#details-close');
      const hostileFn = results.cases.find((c) => c.function.includes('alert(8)'));
      const row = results.cases.findIndex((c) => c === hostileFn);
      await page.click(`#matrix tr[data-c="${row}"] td[data-p="3"] button`);
      expect(await page.locator('#details table.pages td').first().textContent()).toBe('<b onmouseover=alert(9)>buf</b>');
      expect(await page.locator('#details dl.facts').last().textContent()).toContain('callmlock(</script><script>alert(3)</script>, 0)');
      await page.locator('#details table.pages td').first().hover();
      await page.click('#details-close');
      await page.locator('input[data-filter="function"]').nth(1).uncheck();
      expect(await visibleRows(page)).toBe(36);
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      if (!csp) await page.screenshot({ path: join(artifacts, 'report-hostile.png') });
      await page.close();
    });
  }
});
