// The ci/ scripts are POSIX sh: the macOS runner runs them with Bash 3.2 (where "${a[@]}" of an empty array under
// set -u is an error) and the VMs before bash is installed. Bash 3.2 is not packaged by Debian or npm, so they are
// run here under dash and posh (a shell that implements POSIX and little else; arrays, [[ ]], shopt, pipefail do
// not parse or fail there), with a stub `node` first on PATH that records every argv, and checked by
// checkbashisms. What runs is the scripts' real argument and filter handling; only node is replaced.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHELLS = ['dash', 'posh'] as const;
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'semconf-ci-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The stub writes a results file naming its target id (stub-<target>) for `run … --out FILE`, prints the id in the
// file it is given for `node -e SCRIPT FILE` (conform.sh names the file by the id inside), fails `validate` of a file
// named in STUB_FAIL_VALIDATE, and records each argv as one line of unit-separator-terminated words, so an empty or
// space-holding argument is seen exactly as passed.
const bin = join(dir, 'bin');
mkdirSync(bin);
writeFileSync(
  join(bin, 'node'),
  [
    '#!/bin/sh',
    'for a in "$@"; do printf "%s\\037" "$a"; done >> "$STUB_LOG"',
    'printf "\\n" >> "$STUB_LOG"',
    'if [ "$1" = -e ]; then sed -n \'s/.*"id":"\\([^"]*\\)".*/\\1/p\' "$3"; fi',
    'if [ "$2" = run ]; then t=""; o=""; p=""; for a in "$@"; do [ "$p" = --target ] && t=$a; [ "$p" = --out ] && o=$a; p=$a; done; printf \'{"target":{"id":"stub-%s"}}\' "$t" > "$o"; fi',
    'if [ "$2" = validate ] && [ "$3" = "${STUB_FAIL_VALIDATE:-}" ]; then exit 1; fi',
    'exit 0',
    '',
  ].join('\n'),
);
chmodSync(join(bin, 'node'), 0o755);

let runs = 0;
function run(shell: string, script: string, args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string; argv: string[][] } {
  const log = join(dir, `log-${++runs}`);
  writeFileSync(log, '');
  const { GITHUB_STEP_SUMMARY: _summary, SEMCONF_FILTER: _filter, ...base } = process.env;
  const r = spawnSync(shell, [join(ROOT, 'ci', script), ...args], {
    cwd: dir,
    env: { ...base, PATH: `${bin}:${process.env.PATH ?? ''}`, STUB_LOG: log, ...env },
    encoding: 'utf8',
  });
  const argv = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\u001f').slice(0, -1));
  return { status: r.status, stderr: r.stderr, argv };
}

describe.each(SHELLS)('ci/conform.sh under %s', (shell) => {
  it.runIf(has(shell))('without a filter: run has no --filter and no empty argument, then validates the same file', () => {
    const out = join(dir, `out-${shell}`);
    const r = run(shell, 'conform.sh', [out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.argv[0]?.slice(0, 5)).toEqual(['dist/src/cli.js', 'run', '--target', 'native', '--out']);
    expect(r.argv[0]).toHaveLength(6);
    expect(r.argv[0]?.[5]).toMatch(new RegExp(`^${out}/\\.conform-native-\\d+\\.json$`));
    expect(r.argv[1]?.[0]).toBe('-e');
    // named by the id inside, the partial file renamed
    expect(r.argv[2]).toEqual(['dist/src/cli.js', 'validate', `${out}/stub-native.json`]);
    expect(readdirSync(out)).toEqual(['stub-native.json']);
  });

  it.runIf(has(shell))('SEMCONF_FILTER reaches run as one argument, spaces and all; --target names the file', () => {
    const out = join(dir, `out-${shell}-g`);
    const r = run(shell, 'conform.sh', [out, '--target', 'gvisor'], { SEMCONF_FILTER: 'mlock.* zero' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.argv[0]?.slice(0, 7)).toEqual(['dist/src/cli.js', 'run', '--target', 'gvisor', '--filter', 'mlock.* zero', '--out']);
    expect(readdirSync(out)).toEqual(['stub-gvisor.json']);
  });

  it.runIf(has(shell))('--target without a value and a failing validate both fail the script', () => {
    const noValue = run(shell, 'conform.sh', [join(dir, 'x'), '--target']);
    expect(noValue.status).not.toBe(0);
    expect(noValue.stderr).toMatch(/--target needs a value/);
    expect(noValue.argv).toEqual([]);
    const out = join(dir, `out-${shell}-v`);
    const bad = run(shell, 'conform.sh', [out], { STUB_FAIL_VALIDATE: `${out}/stub-native.json` });
    expect(bad.status).not.toBe(0);
  });
});

describe.each(SHELLS)('ci/report.sh under %s', (shell) => {
  const layout = (name: string, files: Record<string, string[]>): string => {
    const root = join(dir, name);
    for (const [sub, names] of Object.entries(files)) {
      mkdirSync(join(root, sub), { recursive: true });
      for (const n of names) writeFileSync(join(root, sub, n), '{}');
    }
    return root;
  };

  it.runIf(has(shell))('every file validated, merged once; each expected job labels its files, one without any is --expect NAME', () => {
    const input = layout(`in-${shell}`, { 'results-linux-x64': ['linux-x86_64-glibc.json'], 'results-macos': ['darwin-arm64-libsystem.json'] });
    const out = join(dir, `rep-${shell}`);
    const r = run(shell, 'report.sh', [input, out, 'linux-x64,freebsd,macos']);
    expect(r.status, r.stderr).toBe(0);
    const linux = `${input}/results-linux-x64/linux-x86_64-glibc.json`;
    const mac = `${input}/results-macos/darwin-arm64-libsystem.json`;
    expect(r.argv.filter((a) => a[1] === 'validate').map((a) => a[2])).toEqual([linux, mac]);
    expect(r.argv.filter((a) => a[1] === 'merge')).toEqual([
      ['dist/src/cli.js', 'merge', linux, mac, '--expect', `linux-x64=${linux}`, '--expect', 'freebsd', '--expect', `macos=${mac}`, '--out', `${out}/matrix.json`],
    ]);
    expect(r.argv.filter((a) => a[1] === 'report').map((a) => a.slice(2, 4))).toEqual([['--format', 'md'], ['--format', 'html']]);
  });

  it.runIf(has(shell))('without an expected list: files directly in IN_DIR, no --expect', () => {
    const input = layout(`flat-${shell}`, { '.': ['a.json', 'b.json'] });
    const r = run(shell, 'report.sh', [input, join(dir, `flat-out-${shell}`)]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.argv.find((a) => a[1] === 'merge')).toEqual(['dist/src/cli.js', 'merge', `${input}/a.json`, `${input}/b.json`, '--out', `${dir}/flat-out-${shell}/matrix.json`]);
  });

  it.runIf(has(shell))('nothing to report: one sentence, exit 1, node never called', () => {
    const r = run(shell, 'report.sh', [join(dir, 'nothing-here'), join(dir, 'unused'), 'macos']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`report.sh: no results files in ${join(dir, 'nothing-here')}\n`);
    expect(r.argv).toEqual([]);
  });
});

describe('the shells and the checker are there (a missing one would skip the tests above)', () => {
  it.each([...SHELLS, 'checkbashisms'])('%s is installed (npm test installs posh and devscripts first: ci/test-deps.sh)', (cmd) => {
    expect(has(cmd), `${cmd} not found`).toBe(true);
  });

  it('checkbashisms finds nothing in any ci/ script, and does flag the Bash array the macOS job tripped on', () => {
    const scripts = readdirSync(join(ROOT, 'ci')).filter((f) => f.endsWith('.sh') && readFileSync(join(ROOT, 'ci', f), 'utf8').startsWith('#!/bin/sh'));
    expect(scripts).toEqual(expect.arrayContaining(['conform.sh', 'report.sh', 'vm-conform.sh', 'vm-prepare.sh']));
    const r = spawnSync('checkbashisms', scripts.map((f) => join(ROOT, 'ci', f)), { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bashy = join(dir, 'bashy.sh');
    writeFileSync(bashy, '#!/bin/sh\nset -eu\nfilter=()\nnode run "${filter[@]}"\n');
    expect(spawnSync('checkbashisms', [bashy], { encoding: 'utf8' }).status).not.toBe(0);
  });
});
