// semconf diff --format html: one static, self-contained page with the Markdown diff's sections, safe with hostile
// results (constructed-hostile.json carries </script>, <img onerror>, <iframe> in its texts). Checked as a string and
// opened in headless Chromium (no alert may fire, nothing may be fetched, the hostile markup must read as text).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { diffResults } from '../src/diff.js';
import { renderDiffHtml } from '../src/report/diff-html.js';
import { fixture, launchChromium, load, scratch, semconf } from './report-fixtures.js';

const hostileDiff = (): string => renderDiffHtml(diffResults(load('native.json'), load('constructed-hostile.json'), { required: ['linux'], oldFile: 'a.json', newFile: 'b.json' }));

describe('diff HTML as a string', () => {
  it('has no script, no element from the results, no external reference', () => {
    const html = hostileDiff();
    expect(html).not.toMatch(/<script|<img|<iframe|<b /i);
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';`);
    expect(/https?:\/\//.test(html)).toBe(false);
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
  });

  it('carries the Markdown form’s verdict and sections', () => {
    const html = renderDiffHtml(diffResults(load('native.json'), load('spec-changed.json'), { required: ['linux'] }));
    expect(html).toContain('<span class="verdict fail">❌ 1 regression(s) in required profiles</span> (required: linux)');
    expect(html).toContain('<h2>Regressions</h2>\n<ul><li><strong>mlock.zero-length</strong> linux: conforms → diverges</li></ul>');
    expect(html).toContain('<li>call: <code>mlock(buf, 0)</code> → <code>mlock(buf, 1)</code> (the case changed)</li>');
  });
});

describe('semconf diff --format html (CLI)', () => {
  it('--out writes the page; the exit code is the diff’s', () => {
    const out = join(scratch(), 'diff.html');
    const r = semconf('diff', '--format', 'html', '--out', out, '--require', 'linux', fixture('native.json'), fixture('spec-changed.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<h2>Changed cases<\/h2>[\s\S]*<\/html>\n$/);
  });
});

describe('diff HTML in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('hostile results: no alert, nothing fetched, the markup reads as text', async () => {
    const file = join(scratch(), 'hostile-diff.html');
    writeFileSync(file, hostileDiff());
    const page = await browser.newPage();
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    expect(await page.locator('h1').textContent()).toBe('semconf diff: a.json → b.json');
    expect(await page.locator('body').textContent()).toContain('<img src=x onerror=alert(2)>');
    expect(await page.locator('img, iframe, script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await page.close();
  });
});
