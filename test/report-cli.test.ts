// `semconf report` as a user runs it: real processes, real exit codes, real files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../src/report/terminal.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

describe('semconf report', () => {
  it('prints the terminal report by default, exactly as before', () => {
    const r = semconf('report', fixture('native.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(renderTerminal(load('native.json')));
    expect(semconf('report', '--format', 'terminal', fixture('native.json')).stdout).toBe(r.stdout);
  });

  it('--format md without --require: exit 0, every divergence is information', () => {
    const r = semconf('report', '--format', 'md', fixture('native.json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('No profile is required');
  });

  it('--require a profile with divergences: exit 1, and says so on stderr', () => {
    const r = semconf('report', '--format', 'md', '--require', 'linux', fixture('native.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('## ❌ Linux (linux), required: 8 diverge, 29 conform');
    expect(r.stderr).toBe('semconf report: 8 divergence(s) or error(s) in required profiles (linux 8)\n');
  });

  it('--require a profile without divergences: exit 0 (illumos is silent on every case)', () => {
    const r = semconf('report', '--format', 'md', '--require', 'illumos', fixture('native.json'));
    expect(r.status).toBe(0);
  });

  it('--require counts errors as failures: a broken case cannot show conformance', () => {
    const r = semconf('report', '--format', 'md', '--require', 'illumos', fixture('constructed-regression.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('## ❗ Errors (the case itself broke): 1');
    expect(r.stdout).toContain('- **munlock.whole-mapping** (fails required illumos): constructed: the worker died');
  });

  it('--require takes comma-separated and repeated profiles; the exit code is the same for every format', () => {
    for (const format of ['terminal', 'md', 'html', 'junit']) {
      const r = semconf('report', '--format', format, '--require', 'illumos,qnx', '--require', 'posix', fixture('native.json'));
      expect(r.status, format).toBe(1);
      expect(r.stderr).toBe('semconf report: 14 divergence(s) or error(s) in required profiles (qnx 3, posix 11)\n');
    }
  });

  it('accepts a merged matrix', () => {
    const dir = scratch();
    const matrix = join(dir, 'm.json');
    expect(semconf('merge', fixture('native.json'), fixture('constructed-gvisor-relabelled.json'), '--out', matrix).status).toBe(0);
    const md = semconf('report', '--format', 'md', matrix);
    expect(md.status).toBe(0);
    expect(md.stdout).toContain('# semconf report: 2 targets');
    const terminal = semconf('report', matrix);
    expect(terminal.stdout).toContain('semconf 0.1.0: linux-x86_64-glibc-gvisor');
  });

  it('--out writes the whole file atomically and prints nothing', () => {
    const dir = scratch();
    const out = join(dir, 'report.html');
    const r = semconf('report', '--format', 'html', '--out', out, fixture('native.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
    expect(readdirSync(dir)).toEqual(['report.html']);
  });

  it.each([
    [['report', '--format', 'pdf', fixture('native.json')], '--format pdf: expected one of terminal, md, html, junit'],
    [['report', '--require', 'macos', fixture('native.json')], '--require macos: no verdicts for profile "macos" in'],
    [['report', fixture('constructed-truncated.json')], `${fixture('constructed-truncated.json')}: not a readable JSON results file`],
    [['report', fixture('constructed-wrong-schema.json')], `${fixture('constructed-wrong-schema.json')}: not a semconf file: "semconf-results/0"`],
    [['report', join(scratch(), 'missing.json')], 'missing.json: not a readable JSON results file (ENOENT'],
    [['report'], 'report takes exactly one results or matrix file'],
  ])('bad input %j: one line naming the problem, exit 2, nothing written', (args, message) => {
    const r = semconf(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a results file that fails validation names the file and the field', () => {
    const dir = scratch();
    const bad = join(dir, 'bad.json');
    const r0 = load('native.json');
    const broken = { ...r0, cases: [{ ...r0.cases[0], status: 'exploded' }] };
    writeFileSync(bad, JSON.stringify(broken));
    const r = semconf('report', '--format', 'md', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^semconf: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a valid semconf-results/1 file: at cases\\.0\\.status: `));
  });
});
