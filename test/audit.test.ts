// semconf audit on real results files: porting from HP-UX, POSIX and Linux documents to this machine and to gVisor.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Audit, audit, expectedOutcome } from '../src/audit.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

const advice = (a: Audit, id: string): string | undefined => a.items.find((i) => i.caseId === id)?.advice;

describe('expectedOutcome', () => {
  it.each([
    ['fails EINVAL; locked buf: none', 'fails with EINVAL'],
    ['fails EINVAL or ENOMEM', 'fails with EINVAL or ENOMEM'],
    ['returns 0; locked buf: all', 'returns 0'],
    ['one of: returns 0; locked pn: all; resident pn: all | fails ENOMEM; locked pn: none', 'returns 0 or fails with ENOMEM'],
    ['fails (any errno)', 'fails'],
  ])('%s → %s', (expected, phrase) => {
    expect(expectedOutcome(expected)).toBe(phrase);
  });
});

describe('audit: from HP-UX to native Linux (native.json)', () => {
  const results = load('native.json');
  const a = audit(results, { from: 'hpux' });

  it('counts what HP-UX documents and what breaks; Linux is the target’s own profile by default', () => {
    expect(a.to).toEqual({ id: 'linux', name: 'Linux' });
    expect(a.documented).toBe(results.cases.filter((c) => c.verdicts.hpux?.expected !== 'unspecified').length);
    expect(a.counts.breaks).toBe(results.summary.hpux?.diverges);
    expect(a.holds + a.items.length).toBe(a.documented);
  });

  it('says in one line what porting code must not assume: outcomes', () => {
    expect(advice(a, 'mlock.zero-length')).toBe('do not assume mlock(buf, 0) fails with EINVAL: here it returns 0');
    expect(advice(a, 'mlock.null-zero-length')).toBe('do not assume mlock(NULL, 0) fails with EINVAL or ENOMEM: here it returns 0');
    expect(advice(a, 'mlock.wrap-to-start')).toBe('do not assume mlock(buf + 1p, SIZE_MAX - 1p + 1) fails with ENOMEM: here it fails with EINVAL');
  });

  it('... and effects', () => {
    expect(advice(a, 'mlock.mapped-page-then-hole')).toBe('do not assume that when mlock(m, 2p) fails with ENOMEM, no page of m is locked: here page 0 of m is locked (L-)');
    expect(advice(a, 'mlock.prot-none-after-rw-page')).toBe('do not assume that when mlock(m, 2p) fails with ENOMEM, no page of m is locked: here every page of m is locked (LL)');
  });

  it('keeps the clause quote, expected and observed with each item, grouped by function', () => {
    const item = a.items.find((i) => i.caseId === 'mlock.zero-length');
    expect(item).toMatchObject({ kind: 'breaks', function: 'mlock', expected: 'fails EINVAL; locked buf: none', observed: 'returns 0; buf locked UU, resident NN' });
    expect(item?.clauses.map((c) => c.quote)).toContain('[EINVAL] The len parameter was zero.');
    expect([...new Set(a.items.map((i) => i.function))]).toEqual(['mlock']);
  });
});

describe('audit: other directions', () => {
  it('POSIX to a target whose documents are silent (--to illumos): behaviour that holds but nothing promises', () => {
    const a = audit(load('native.json'), { from: 'posix', to: 'illumos', functions: ['munlock'] });
    expect(a.functions).toEqual(['munlock']);
    expect(a.counts).toMatchObject({ breaks: 4, undocumented: 12, contradicted: 0 });
    expect(advice(a, 'munlock.whole-mapping')).toBe(
      "do not assume munlock(buf, 2p) returns 0 on illumos: here it returns 0, but illumos's documents do not promise it (no copy of illumos mlock(3C), which documents munlock(), among the sources)",
    );
    expect(advice(a, 'munlock.mapped-page-then-hole')).toBe(
      'do not assume that when munlock(m, 2p) fails with ENOMEM, exactly page 0 of m is locked: here no page of m is locked (U-)',
    );
  });

  it('Linux documents to this machine with POSIX as its documents: behaviour that holds here but POSIX says otherwise', () => {
    const a = audit(load('native.json'), { from: 'linux', to: 'posix' });
    const contradicted = a.items.filter((i) => i.kind === 'contradicted').map((i) => i.caseId);
    expect(contradicted).toEqual(['mlock.wrap-to-start', 'mlock.wrap-top-of-address-space', 'munlock.wrap-to-start']);
    expect(advice(a, 'mlock.wrap-to-start')).toBe(
      "do not assume mlock(buf + 1p, SIZE_MAX - 1p + 1) fails with EINVAL or ENOMEM on POSIX.1-2017: here it fails with EINVAL, but POSIX.1-2017's documents say it fails with ENOMEM",
    );
  });

  it('Linux documents to gVisor: what the target cannot confirm', () => {
    const a = audit(load('gvisor.json'), { from: 'linux' });
    expect(a.to).toBeNull(); // the target's own profile is the source: nothing more to compare
    expect(a.counts.unconfirmed).toBe(load('gvisor.json').summary.linux?.inconclusive);
    expect(advice(a, 'mlock.whole-mapping')).toBe(
      'do not assume that after mlock(buf, 2p), every page of buf is resident: this target cannot show it (mincore reports an untouched page as resident, so it cannot tell)',
    );
  });

  it('the full suite: unprivileged contexts are named, and cases that could not run are listed as not checked', () => {
    const a = audit(load('full-suite.json'), { from: 'illumos' });
    expect(advice(a, 'mlockall.unprivileged-over-limit')).toBe(
      'do not assume mlockall(MCL_CURRENT) as unprivileged(memlock=16p) fails with EPERM: here it fails with ENOMEM',
    );
    const notChecked = a.items.filter((i) => i.kind === 'not-checked');
    expect(notChecked.map((i) => i.caseId)).toContain('mlockall.unprivileged-unlimited');
    expect(advice(a, 'mlockall.unprivileged-unlimited')).toMatch(
      /^do not assume mlockall\(\) \(mlockall\.unprivileged-unlimited\) as unprivileged\(memlock=unlimited\) fails with EPERM here: the case did not run \(skipped: /,
    );
  });

  it('(constructed) a case that broke: nothing is known, and the audit says so', () => {
    const a = audit(load('constructed-regression.json'), { from: 'freebsd' });
    expect(advice(a, 'munlock.whole-mapping')).toBe(
      'do not assume munlock() (munlock.whole-mapping) returns 0 here: the case did not run (error: constructed: the worker died (signal SIGKILL) while running this case)',
    );
  });
});

describe('semconf audit (CLI)', () => {
  it('Markdown by default: a verdict paragraph, then per function each item with its clause', () => {
    const r = semconf('audit', '--from', 'hpux', fixture('native.json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# Porting audit: from HP-UX (hpux) to linux-x86\\_64-glibc');
    expect(r.stdout).toContain('HP-UX documents 26 of the audited cases (mlock, munlock): on this target 9 break');
    expect(r.stdout).toContain(
      '- ❌ **mlock.zero-length** (breaks): do not assume mlock(buf, 0) fails with EINVAL: here it returns 0\n  - hpux documents: fails EINVAL; locked buf: none\n  - observed: returns 0; buf locked UU, resident NN\n  - > \\[EINVAL\\] The len parameter was zero.<br>— hpux-mlock-2, ERRORS (`mlock.errors.einval-len-zero`)',
    );
  });

  it('--format json --functions', () => {
    const r = semconf('audit', '--from', 'freebsd', '--functions', 'munlock', '--format', 'json', fixture('native.json'));
    expect(r.status).toBe(0);
    const a = JSON.parse(r.stdout) as Audit;
    expect(a.schema).toBe('semconf-audit/1');
    expect(a.functions).toEqual(['munlock']);
    expect(a.items.every((i) => i.function === 'munlock')).toBe(true);
  });

  it('a matrix: one audit per target', () => {
    const matrix = join(scratch(), 'm.json');
    expect(semconf('merge', fixture('native.json'), fixture('constructed-gvisor-relabelled.json'), '--out', matrix).status).toBe(0);
    const r = semconf('audit', '--from', 'linux', '--format', 'json', matrix);
    expect(r.status).toBe(0);
    const audits = JSON.parse(r.stdout) as Audit[];
    expect(audits.map((x) => [x.target.id, x.counts.unconfirmed])).toEqual([
      ['linux-x86_64-glibc', 0],
      ['linux-x86_64-glibc-gvisor', 5],
    ]);
    const md = semconf('audit', '--from', 'linux', matrix);
    expect(md.stdout.match(/^# Porting audit/gm)).toHaveLength(2);
  });

  it.each([
    [['audit', fixture('native.json')], 'audit needs --from PROFILE'],
    [['audit', '--from', 'aix', fixture('native.json')], '--from aix: no verdicts for profile "aix"'],
    [['audit', '--from', 'hpux', '--to', 'aix', fixture('native.json')], '--to aix: no verdicts for profile "aix"'],
    [['audit', '--from', 'hpux', '--functions', 'mlock,mlockall2', fixture('native.json')], '--functions mlockall2: no case of function "mlockall2"'],
    [['audit', '--from', 'hpux', fixture('constructed-truncated.json')], 'constructed-truncated.json: not a readable JSON results file'],
  ])('exit 2: %j', (args, message) => {
    const r = semconf(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
