// `semconf report` as a user runs it: real processes, real exit codes, real files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const committed = (name: string): string => fileURLToPath(new URL(`../results/${name}`, import.meta.url));
/** How many of a committed results file's cases diverge from the linux profile, counted from the file itself. */
const linuxDivergences = (file: string): number =>
  (JSON.parse(readFileSync(file, 'utf8')) as { cases: { verdicts: Record<string, { verdict: string }> }[] }).cases.filter((c) => c.verdicts.linux?.verdict === 'diverges').length;

describe('semconf report --profile / --verdict', () => {
  it('terminal: --require linux alone prints every profile; narrowed to linux divergences it is short, and says so', () => {
    const file = committed('linux-x86_64-glibc.json');
    const full = semconf('report', '--require', 'linux', file);
    const narrow = semconf('report', '--require', 'linux', '--profile', 'linux', '--verdict', 'diverges', file);
    expect(narrow.status).toBe(1);
    expect(narrow.stderr).toBe(full.stderr);
    const lines = narrow.stdout.trimEnd().split('\n');
    const diverging = linuxDivergences(file);
    expect(diverging).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(40 + 8 * diverging);
    expect(full.stdout.split('\n').length).toBeGreaterThan(300);
    expect(lines).toContain('showing only profile linux; verdict diverges (--require still counts every required profile)');
    expect(narrow.stdout).toContain(`\nprofile   diverges\nlinux     ${String(diverging).padStart(8)}\n\nDivergences from Linux (linux): ${diverging}\n`);
    expect(narrow.stdout).not.toMatch(/HP-UX|Not run|Errors/);
  });

  it('md: only the chosen rows and columns, the header says what is left out', () => {
    const r = semconf('report', '--format', 'md', '--profile', 'linux,posix', '--verdict', 'diverges', '--verdict', 'conforms', fixture('native.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Showing only profile linux, posix; verdict diverges, conforms; `--require` still counts every required profile.');
    expect(r.stdout).toContain('| profile | result | conforms | diverges |\n|---|---|--:|--:|\n| Linux (linux) | ℹ️ differs | 29 | 8 |\n| POSIX.1-2017 (posix) |');
    expect(r.stdout).not.toContain('HP-UX');
    // conforms is listed too once it is named
    expect(r.stdout).toContain('<summary>29 case(s) conforms</summary>');
  });

  it('--verdict inconclusive lists what gVisor cannot observe, under each profile, and nothing else', () => {
    const r = semconf('report', '--profile', 'linux', '--verdict', 'inconclusive', fixture('gvisor.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\nInconclusive under Linux (linux): 5\n');
    expect(r.stdout).toMatch(/    why:      cannot observe resident buf/);
    expect(r.stdout).not.toContain('Divergences from');
  });

  it('--verdict picks the case-level sections too: error keeps the broken case, skipped drops it', () => {
    const file = fixture('constructed-regression.json');
    const errors = semconf('report', '--verdict', 'error', file);
    expect(errors.stdout).toContain('\nErrors (the case itself broke): 1\n  munlock.whole-mapping  constructed: the worker died');
    expect(errors.stdout).not.toContain('Divergences from');
    expect(semconf('report', '--verdict', 'skipped', file).stdout).not.toContain('Errors');
    const md = semconf('report', '--format', 'md', '--verdict', 'diverges', file).stdout;
    expect(md).not.toContain('## ❗ Errors');
  });

  it('filters never change the exit code: --require linux still fails when only posix is shown', () => {
    const r = semconf('report', '--require', 'linux', '--profile', 'illumos', fixture('native.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('semconf report: 8 divergence(s) or error(s) in required profiles (linux 8)\n');
  });

  it.each([
    [['--profile', 'macos'], '--profile macos: no verdicts for profile "macos" in', 'profiles there: freebsd, hpux, illumos, linux, posix, qnx'],
    [['--profile', 'linux,macos'], '--profile macos: no verdicts for profile "macos" in', 'profiles there:'],
    [['--verdict', 'diverge'], '--verdict diverge: not a verdict (did you mean diverges?); expected one of conforms, diverges, inconclusive, unspecified, unsupported, skipped, error', ''],
    [['--format', 'html', '--profile', 'linux'], '--profile: not with --format html; expected --format terminal or md', ''],
    [['--format', 'junit', '--verdict', 'error', '--compact'], '--verdict, --compact: not with --format junit', ''],
    [['--format', 'md', '--compact'], '--compact: not with --format md; it is a form of the terminal report', ''],
  ])('usage error %j: exit 2, one line, nothing printed', (args, message, also) => {
    const r = semconf('report', ...args, fixture('native.json'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(also);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('semconf report --compact', () => {
  const LINE = /^[a-z0-9._-]+ \[[a-z0-9-]+\] [a-z0-9]+ (conforms|diverges|inconclusive|unspecified|unsupported|skipped|error): \S.*$/;

  it('one line per divergence or error, grep-able; as many as the verdicts say', () => {
    const r = semconf('report', '--compact', fixture('constructed-regression.json'));
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(LINE);
    const results = load('constructed-regression.json');
    const failing = results.cases.flatMap((c) => Object.values(c.verdicts)).filter((v) => v.verdict === 'diverges' || v.verdict === 'error');
    expect(lines).toHaveLength(failing.length);
    expect(lines).toContain('munlock.whole-mapping [privileged] linux error: constructed: the worker died (signal SIGKILL) while running this case');
  });

  it('--profile linux --verdict diverges: exactly the Linux divergences of the results, one line each', () => {
    const file = committed('linux-x86_64-glibc.json');
    const r = semconf('report', '--compact', '--require', 'linux', '--profile', 'linux', '--verdict', 'diverges', file);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(linuxDivergences(file));
    expect(lines).toContain('mlock.zero-length-unaligned [privileged] linux diverges: locked buf: expected none, observed LU');
  });

  it('a matrix: each line names its target', () => {
    const dir = scratch();
    const matrix = join(dir, 'm.json');
    expect(semconf('merge', fixture('native.json'), fixture('constructed-gvisor-relabelled.json'), '--out', matrix).status).toBe(0);
    const lines = semconf('report', '--compact', '--profile', 'qnx', matrix).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('linux-x86_64-glibc: mlock.'))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('linux-x86_64-glibc-gvisor: mlock.'))).toHaveLength(3);
  });
});

describe('--help', () => {
  it('report and diff describe their new options', () => {
    const report = semconf('report', '--help').stdout;
    for (const o of ['--profile P', '--verdict V', '--compact', 'never the exit code']) expect(report).toContain(o);
    const diff = semconf('diff', '--help').stdout;
    expect(diff).toContain('[--format terminal|md|json|html]');
    expect(diff).toContain('Default: terminal when standard output is a terminal and there is\n                no --out; md when piped or with --out');
  });
});
