// JUnit XML: one testcase per case × required profile, the right element per verdict, well-formed even with hostile
// text (checked by a real XML parser: Chromium's DOMParser), valid against the common JUnit schema (Jenkins xunit
// plugin's junit-10.xsd, checked by xmllint), and times that count each run once.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asMatrix, merge } from '../src/merge.js';
import { renderJunit } from '../src/report/junit.js';
import type { Results } from '../src/results.js';
import { fixture, launchChromium, load } from './report-fixtures.js';

const single = (r: Results) => asMatrix({ kind: 'results', results: r }, 'r.json');

const JUNIT_XSD = fileURLToPath(new URL('./fixtures/junit/junit-10.xsd', import.meta.url));

/** xmllint's verdict on a document against junit-10.xsd: null when valid, else what it said. */
function schemaErrors(xml: string): string | null {
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, '-'], { input: xml, encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint did not run (Debian package libxml2-utils, ci/test-deps.sh): ${r.error.message}`);
  return r.status === 0 ? null : r.stderr;
}

/** Two targets merged: native.json and a relabelled gVisor run, each judged against all six profiles. */
const twoTargets = () =>
  merge(
    [
      { source: 'a', path: fixture('native.json'), results: load('native.json') },
      { source: 'b', path: fixture('constructed-gvisor-relabelled.json'), results: load('constructed-gvisor-relabelled.json') },
    ],
    { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0' },
  );
const casesMs = (r: Results): number => r.cases.reduce((ms, c) => ms + c.durationMs, 0);

interface Parsed {
  error: string | null;
  suites: { name: string; tests: string; failures: string; errors: string; skipped: string; cases: number }[];
  cases: { suite: string; classname: string; name: string; child: string | null; message: string | null; text: string }[];
  totals: Record<string, string | null>;
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Parse with the browser's XML parser: a parsererror means the document is not well-formed. */
async function parse(xml: string): Promise<Parsed> {
  const page = await browser.newPage();
  try {
    return await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const err = doc.querySelector('parsererror');
      const root = doc.documentElement;
      return {
        error: err ? (err.textContent ?? 'parsererror') : null,
        totals: Object.fromEntries(['tests', 'failures', 'errors', 'skipped'].map((a) => [a, root.getAttribute(a)])),
        suites: Array.from(doc.querySelectorAll('testsuite')).map((s) => ({
          name: s.getAttribute('name') ?? '',
          tests: s.getAttribute('tests') ?? '',
          failures: s.getAttribute('failures') ?? '',
          errors: s.getAttribute('errors') ?? '',
          skipped: s.getAttribute('skipped') ?? '',
          cases: s.querySelectorAll('testcase').length,
        })),
        cases: Array.from(doc.querySelectorAll('testcase')).map((c) => {
          const child = c.firstElementChild;
          return {
            suite: c.parentElement?.getAttribute('name') ?? '',
            classname: c.getAttribute('classname') ?? '',
            name: c.getAttribute('name') ?? '',
            child: child?.tagName ?? null,
            message: child?.getAttribute('message') ?? null,
            text: child?.textContent ?? '',
          };
        }),
      };
    }, xml);
  } finally {
    await page.close();
  }
}

describe('JUnit XML', () => {
  it('(the parser used here does reject an ill-formed document)', async () => {
    expect((await parse('<a x="1"><b></a>')).error).not.toBeNull();
    expect((await parse('<a>\u0001</a>')).error).not.toBeNull();
  });

  it('required profile only: one testcase per case, <failure> for each divergence, <skipped> for the rest', async () => {
    const results = load('native.json');
    const parsed = await parse(renderJunit(single(results), { required: ['hpux'] }));
    expect(parsed.error).toBeNull();
    expect(parsed.suites).toEqual([{ name: 'linux-x86_64-glibc: hpux', tests: '37', failures: '9', errors: '0', skipped: '11', cases: 37 }]);
    // junit-10.xsd has no `skipped` on <testsuites>: the suites carry it.
    expect(parsed.totals).toEqual({ tests: '37', failures: '9', errors: '0', skipped: null });
    const zero = parsed.cases.find((c) => c.name === 'mlock.zero-length');
    expect(zero).toMatchObject({ classname: 'semconf.hpux.mlock', child: 'failure', message: 'expected fails EINVAL, observed returns 0' });
    expect(zero?.text).toContain('clause mlock.errors.einval-len-zero (hpux-mlock-2, ERRORS): "[EINVAL] The len parameter was zero."');
    expect(parsed.cases.find((c) => c.name === 'mlock.whole-mapping')?.child).toBeNull();
    const silent = parsed.cases.find((c) => c.name === 'munlock.never-locked');
    expect(silent).toMatchObject({ child: 'skipped' });
    expect(silent?.message).toMatch(/^unspecified: no copy of HP-UX munlock\(2\)/);
  });

  it('no --require: a suite per profile', async () => {
    const parsed = await parse(renderJunit(single(load('native.json'))));
    expect(parsed.suites.map((s) => s.name)).toEqual(['freebsd', 'hpux', 'illumos', 'linux', 'posix', 'qnx'].map((p) => `linux-x86_64-glibc: ${p}`));
    expect(parsed.cases).toHaveLength(37 * 6);
  });

  it('<error> for a broken case, <skipped> for inconclusive', async () => {
    const regression = await parse(renderJunit(single(load('constructed-regression.json')), { required: ['linux'] }));
    expect(regression.cases.find((c) => c.name === 'munlock.whole-mapping')).toMatchObject({
      child: 'error',
      message: 'constructed: the worker died (signal SIGKILL) while running this case',
    });
    expect(regression.suites[0]).toMatchObject({ errors: '1', failures: '9' });
    const gvisor = await parse(renderJunit(single(load('gvisor.json')), { required: ['linux'] }));
    const blind = gvisor.cases.find((c) => c.name === 'mlock.whole-mapping');
    expect(blind).toMatchObject({ child: 'skipped' });
    expect(blind?.message).toMatch(/^inconclusive: cannot observe resident buf/);
  });

  it('a matrix: a suite per target and profile', async () => {
    const parsed = await parse(renderJunit(twoTargets(), { required: ['posix'] }));
    expect(parsed.suites.map((s) => s.name)).toEqual(['linux-x86_64-glibc: posix', 'linux-x86_64-glibc-gvisor: posix']);
  });

  it('times: a testcase its case, a suite the sum of its cases, the total each run once (not once per profile)', async () => {
    const xml = renderJunit(twoTargets());
    const time = (tag: string): number[] => [...xml.matchAll(new RegExp(`<${tag}\\b[^>]*? time="([^"]+)"`, 'g'))].map((m) => Number(m[1]));
    const native = load('native.json');
    const gvisor = load('constructed-gvisor-relabelled.json');
    expect(time('testsuites')).toEqual([Number(((casesMs(native) + casesMs(gvisor)) / 1000).toFixed(3))]);
    const suites = time('testsuite');
    expect(suites).toHaveLength(12);
    expect(suites.slice(0, 6)).toEqual(Array(6).fill(Number((casesMs(native) / 1000).toFixed(3))));
    expect(suites.slice(6)).toEqual(Array(6).fill(Number((casesMs(gvisor) / 1000).toFixed(3))));
    const zero = native.cases.find((c) => c.id === 'mlock.zero-length');
    expect(time('testcase')[native.cases.findIndex((c) => c.id === 'mlock.zero-length')]).toBe(Number(((zero?.durationMs ?? -1) / 1000).toFixed(3)));
  });
});

describe('JUnit XML against junit-10.xsd (Jenkins xunit plugin; xmllint)', () => {
  it('(xmllint does reject a document the schema forbids)', () => {
    expect(schemaErrors('<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><bogus/></testsuite></testsuites>')).toMatch(/bogus/);
  });

  const inputs: [string, () => ReturnType<typeof twoTargets>][] = [
    ['a single run, every profile', () => single(load('native.json'))],
    ['a run with an error and divergences', () => single(load('constructed-regression.json'))],
    ['hostile text', () => single(load('constructed-hostile.json'))],
    ['the full suite (unsupported, skipped)', () => single(load('full-suite.json'))],
    ['a matrix of two targets', twoTargets],
  ];
  for (const [what, matrix] of inputs) {
    it(`is valid: ${what}`, () => {
      expect(schemaErrors(renderJunit(matrix()))).toBeNull();
      expect(schemaErrors(renderJunit(matrix(), { required: ['linux'] }))).toBeNull();
    });
  }

  it('stays well-formed with hostile text, control characters included, and keeps it as text', async () => {
    const xml = renderJunit(single(load('constructed-hostile.json')));
    const parsed = await parse(xml);
    expect(parsed.error).toBeNull();
    expect(parsed.cases.some((c) => c.name === 'mlock.<img src=x onerror=alert(7)>')).toBe(true);
    const zero = parsed.cases.find((c) => c.name === 'mlock.zero-length' && c.child === 'failure');
    expect(zero?.text).toContain('</script><script>alert(3)</script>');
    expect(parsed.cases.some((c) => c.classname === 'semconf.hpux.mlock"><script>alert(8)</script>')).toBe(true);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});

describe('JUnit XML of the full suite (full-suite.json: real unsupported and skipped cases)', () => {
  it('unsupported and skipped cases are <skipped> with the reason', async () => {
    const results = load('full-suite.json');
    const parsed = await parse(renderJunit(single(results), { required: ['linux'] }));
    expect(parsed.error).toBeNull();
    const s = results.summary.linux;
    expect(parsed.suites[0]).toMatchObject({
      tests: String(results.cases.length),
      failures: String(s?.diverges),
      skipped: String((s?.unsupported ?? 0) + (s?.skipped ?? 0) + (s?.unspecified ?? 0) + (s?.inconclusive ?? 0)),
    });
    expect(parsed.cases.find((c) => c.name === 'aio_mlock.whole-mapping')?.message).toBe(
      "unsupported: aio_mlock is not available in this target's C library",
    );
    const skipped = results.cases.filter((c) => c.status === 'skipped').map((c) => c.id);
    expect(skipped.length).toBeGreaterThan(0);
    for (const id of skipped) expect(parsed.cases.find((c) => c.name === id)?.message).toMatch(/^skipped: /);
  });
});
