// The HTML report at scale (issue 10 part D): a 1,000-target × 100-case matrix renders in pieces to a file of bounded
// size that grows linearly, and Chromium opens it, pages to the last target and opens one of its cells; a 10 MB text
// in a results file makes a report hardly bigger, its cell showing the cut. The matrices are SYNTHETIC (FAKE, see
// bench/synthetic.ts): copies of native.json's cases, for the pure report layer. No timed assertion: the times are
// npm run bench's.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticMatrix } from '../bench/synthetic.js';
import type { Matrix } from '../src/matrix.js';
import { asMatrix } from '../src/merge.js';
import { renderHtml, renderHtmlChunks } from '../src/report/html.js';
import { capText, type HtmlData, PAGE_SIZE, TEXT_CAP } from '../src/report/html-data.js';
import { writeFileAtomicChunks } from '../src/atomic-file.js';
import type { Results } from '../src/results.js';
import { launchChromium, load, scratch } from './report-fixtures.js';

const dir = scratch();
const template = load('native.json');
const CASES = 100;
/** The stated bound for 1,000 targets × 100 cases (measured: 44 MB). */
const MAX_BYTES = 150e6;

/** Render as the report command does: the chunks, written one by one. The largest chunk and their count come along. */
function write(name: string, matrix: Matrix): { url: string; bytes: number; chunks: number; largest: number } {
  const file = join(dir, name);
  let chunks = 0;
  let largest = 0;
  const counted = function* (): Generator<string> {
    for (const chunk of renderHtmlChunks(matrix, { required: ['linux'] })) {
      chunks += 1;
      largest = Math.max(largest, chunk.length);
      yield chunk;
    }
  };
  writeFileAtomicChunks(file, counted());
  return { url: pathToFileURL(file).href, bytes: statSync(file).size, chunks, largest };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Open a report counting every JSON.parse the page makes (injected before its own script, past the CSP). */
async function open(url: string): Promise<{ page: Page; errors: string[]; parses: () => Promise<number> }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.addInitScript(() => {
    const parse = JSON.parse;
    const w = window as unknown as { parses: number };
    w.parses = 0;
    JSON.parse = (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
      w.parses += 1;
      return parse(text, reviver);
    };
  });
  await page.goto(url, { timeout: 240_000 });
  await page.waitForSelector('#showing:not(:empty)', { timeout: 240_000 });
  return { page, errors, parses: () => page.evaluate(() => (window as unknown as { parses: number }).parses) };
}

describe('capText', () => {
  it('keeps text up to the cap, cuts longer text with a marker saying how much was cut', () => {
    expect(capText('x'.repeat(TEXT_CAP))).toBe('x'.repeat(TEXT_CAP));
    const cut = capText('x'.repeat(TEXT_CAP + 1234));
    expect(cut).toBe(`${'x'.repeat(TEXT_CAP)}… [cut: 1,234 more characters]`);
    expect(capText('abcdef', 3)).toBe('abc… [cut: 3 more characters]');
  });

  it('never splits a surrogate pair', () => {
    // '😀' is two UTF-16 units; a cut after the first would leave half a character.
    expect(capText('ab😀cd', 3)).toBe('ab… [cut: 4 more characters]');
  });
});

describe('the caps cut nothing real', () => {
  it('no text of a real full run (every case, 1,024-page mappings) is cut', () => {
    const html = renderHtml(asMatrix({ kind: 'results', results: load('full-suite.json') }, 'full-suite.json'));
    expect(html).not.toContain('more characters]');
  });
});

describe('HTML report of 1,000 synthetic targets × 100 cases (FAKE)', () => {
  const big = syntheticMatrix(template, 1000, CASES);
  const quarter = syntheticMatrix(template, 250, CASES);
  const report = write('synthetic-1000.html', big);
  const small = write('synthetic-250.html', quarter);

  it(`is written in pieces, under ${MAX_BYTES / 1e6} MB, and grows linearly with the targets`, () => {
    expect(report.bytes).toBeLessThan(MAX_BYTES);
    // Four times the targets: four times the file, less the part that does not grow (measured 3.95). Quadratic
    // growth (a cell per target pair, a list of every target per target) would be 16.
    const ratio = report.bytes / small.bytes;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.5);
    // One piece per target plus the shell and the shared data; none anywhere near the whole.
    expect(report.chunks).toBe(1000 + 2);
    expect(report.largest).toBeLessThan(report.bytes / 10);
  });

  it('Chromium opens it: the per-target summary, a page of 20 targets, paging to target 999, one of its cells', { timeout: 600_000 }, async () => {
    const { page, errors, parses } = await open(report.url);
    const ids = big.targets.map((t) => t.id);
    const last = ids[999] ?? '';
    expect(await page.locator('.summary.per-target tbody tr').count()).toBe(1000);
    const profiles = template.profiles.length;
    // The matrix holds one page of targets, not 1,000: cases × profiles × 20 cells.
    expect(await page.locator('#matrix td').count()).toBe(CASES * profiles * PAGE_SIZE);
    expect(await page.locator('#matrix th.target-head').count()).toBe(profiles * PAGE_SIZE);
    expect(await page.textContent('#showing')).toBe(`${CASES} of ${CASES} cases, ${CASES * profiles * PAGE_SIZE} cells shown · targets 1–20 of 1000`);
    // The shared block and the 20 shown targets' blocks: nothing else parsed.
    expect(await parses()).toBe(1 + PAGE_SIZE);

    await page.selectOption('#page', '49');
    await page.waitForSelector(`#matrix th.target-head[data-t="999"]`);
    expect(await page.textContent('#showing')).toContain('targets 981–1000 of 1000');
    expect(await page.locator('#matrix td').count()).toBe(CASES * profiles * PAGE_SIZE);
    expect(await parses()).toBe(1 + 2 * PAGE_SIZE);
    await page.click('#matrix tr[data-c="3"] td[data-p="3"][data-t="999"] button');
    const dialog = page.locator('#details');
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator('.where').textContent()).toBe(`profile Linux (linux) · required · target ${last}`);
    expect(await dialog.locator('.details-head h2').textContent()).toMatch(/^mlock\.synthetic-3 /);
    expect(await dialog.locator('.others').textContent()).toContain('other targets of this page:');
    expect(await dialog.textContent()).toContain(`not embedded in a report of more than ${PAGE_SIZE} targets; it is in synthetic-`);
    // Every case disagrees somewhere (bench/synthetic.ts): listed for this page's targets, the rest counted.
    expect((await dialog.locator('dl.facts').allTextContents()).join('\n')).toContain('and 980 targets on other pages');
    const hash = await page.evaluate(() => location.hash);
    expect(hash).toBe(`#page=${ids[980] ?? ''}&case=mlock.synthetic-3&profile=linux&target=${last}`);

    // The summary's target button goes to that target's page.
    await page.click('#details-close');
    await page.click(`.summary.per-target button[data-goto="25"]`);
    expect(await page.textContent('#showing')).toContain('targets 21–40 of 1000');
    expect(errors).toEqual([]);
    await page.close();

    // A link to a cell of the last page opens on that page.
    const again = await open(`${report.url}${hash}`);
    expect(await again.page.locator('#details .where').textContent()).toBe(`profile Linux (linux) · required · target ${last}`);
    expect(await again.page.locator('#matrix th.target-head[data-t="999"]').count()).toBe(profiles);
    expect(await again.parses()).toBe(1 + PAGE_SIZE);
    expect(again.errors).toEqual([]);
    await again.page.close();
  });
});

describe('a results file with one 10 MB reason', () => {
  const TEN_MB = 10 * 1024 * 1024;
  const caseId = 'mlock.zero-length';
  const huge: Results = structuredClone(template);
  const hit = huge.cases.find((c) => c.id === caseId);
  const linux = hit?.verdicts.linux;
  if (linux === undefined) throw new Error(`native.json lacks ${caseId}'s linux verdict`);
  linux.reason = `R${'x'.repeat(TEN_MB - 2)}!`;
  const single = (r: Results): Matrix => asMatrix({ kind: 'results', results: r }, 'r.json');
  const without = write('without.html', single(template));
  const withIt = write('with-10mb.html', single(huge));

  it('makes the report less than 2 MB bigger, the reason cut with its marker', () => {
    expect(withIt.bytes - without.bytes).toBeLessThan(2e6);
    const marker = `… [cut: ${(TEN_MB - TEXT_CAP).toLocaleString('en-US')} more characters]`;
    const html = renderHtml(single(huge));
    const json = /<script type="application\/json" id="semconf-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const data = JSON.parse(json) as HtmlData;
    expect(data.verdicts.filter((v) => v.reason.endsWith(marker))).toHaveLength(1);
  });

  it('its cell opens in Chromium and shows the cut', { timeout: 120_000 }, async () => {
    const { page, errors } = await open(withIt.url);
    const ci = template.cases.findIndex((c) => c.id === caseId);
    const pi = template.profiles.findIndex((p) => p.id === 'linux');
    await page.click(`#matrix tr[data-c="${ci}"] td[data-p="${pi}"] button`);
    const why = page.locator('#details dl.facts dd').first();
    const text = (await why.textContent()) ?? '';
    expect(text.startsWith('Rxxx')).toBe(true);
    expect(text).toMatch(/… \[cut: [\d,]+ more characters\]$/);
    expect(text.length).toBeLessThan(TEXT_CAP + 50);
    expect(errors).toEqual([]);
    await page.close();
  });
});
