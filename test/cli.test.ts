// The command line as a user runs it: real processes, real exit codes, real files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readResults } from '../src/results.js';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/cli/${name}`, import.meta.url));
const semconf = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('semconf CLI', () => {
  it('lint of a broken spec exits 2 and names file:line:col and what was expected', () => {
    const r = semconf('lint', '--specs', fixture('broken'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(fixture('broken'), 'mlock.yaml')}:9:23: cases[0].expect.alpha.fails: got "EINVALID"; did you mean "EINVAL"?`);
    expect(r.stderr).toContain('nothing was run or written');
  });

  it('lint of a good spec directory exits 0', () => {
    const r = semconf('lint', '--specs', fixture('good'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 cases, 1 profiles: ok');
  });

  it('run of a broken spec exits 2 and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-cli-')), 'r.json');
    const r = semconf('run', '--specs', fixture('broken'), '--out', out);
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it.runIf(process.platform === 'linux' && process.geteuid?.() === 0)(
    'run writes a valid results file and reports the divergence with its clause (real system calls)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'semconf-cli-'));
      const out = join(dir, 'r.json');
      const r = semconf('run', '--specs', fixture('good'), '--out', out);
      expect(r.stderr).toBe('semconf: running 2 case(s) with 2 worker lane(s)\n');
      expect(r.status).toBe(0);
      const results = readResults(out);
      expect(results.complete).toBe(true);
      expect(results.cases.map((c) => [c.id, c.verdicts.alpha?.verdict])).toEqual([
        ['mlock.fixture-zero', 'diverges'],
        ['mlock.fixture-two-pages', 'conforms'],
      ]);
      expect(r.stdout).toMatch(/mlock\.fixture-zero[^\n]*\n\s+expected: fails EINVAL\n\s+observed: returns 0/);
      expect(r.stdout).toContain('clause mlock.errors.einval-len-zero (ERRORS): "len zero is EINVAL"');
      expect(readdirSync(dir)).toEqual(['r.json']);
    },
  );

  it('--filter narrows the run; --json prints the results', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-cli-')), 'r.json');
    const r = semconf('run', '--specs', fixture('good'), '--out', out, '--filter', '*two-pages', '--json');
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout) as { cases: { id: string }[] };
    expect(printed.cases.map((c) => c.id)).toEqual(['mlock.fixture-two-pages']);
  });

  it('usage errors exit 2; --help exits 0 on every command', () => {
    expect(semconf('frobnicate').status).toBe(2);
    expect(semconf('run', '--no-such-flag').status).toBe(2);
    expect(semconf('run', '--profile', 'nosuch', '--specs', fixture('good')).stderr).toContain('unknown profile "nosuch"');
    for (const cmd of ['run', 'list', 'lint', 'report', 'schema', 'validate', 'coverage']) {
      const r = semconf(cmd, '--help');
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toContain('usage: semconf');
    }
    expect(semconf('--help').status).toBe(0);
  });

  it('validate and report refuse a file that is not results, with exit 2', () => {
    const r = semconf('validate', join(fixture('good'), 'mlock.yaml'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('not a readable JSON results file');
  });
});
