// The npm package as a user gets it: `npm pack` ships the compiled CLI and what it loads at run time (worker child,
// inner script, runners, specs, profiles, schema) and none of the repository's own tooling; the tarball installs into
// a fresh project, quietly, and its `semconf` runs a real case there (as root: real syscalls) and validates the result.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { readResults } from '../src/results.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'semconf-package-'));
const project = join(work, 'project');

// What `npm pack --json` prints: only the fields read here.
const PackReport = z.array(z.object({ filename: z.string(), entryCount: z.number(), files: z.array(z.object({ path: z.string() })) }));

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  // npm_config_* from an enclosing `npm test` (its cache, its user agent, ...) would make this no fresh install.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 240_000 });
  if (r.error) throw r.error;
  return r;
}

let tarball = '';
let files: string[] = [];
let install: SpawnSyncReturns<string>;

beforeAll(() => {
  // The tests run the built tree (npm test builds it first); --ignore-scripts: no second build of dist/ while other
  // test files run it.
  if (!existsSync(join(root, 'dist/src/cli.js'))) throw new Error('no dist/src/cli.js: run "npm run build" first');
  const pack = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root);
  expect(pack.status, pack.stderr).toBe(0);
  const [report] = PackReport.parse(JSON.parse(pack.stdout));
  if (report === undefined) throw new Error(`npm pack reported no package: ${pack.stdout}`);
  tarball = join(work, report.filename);
  files = report.files.map((f) => f.path);

  // A user's project. koffi's install script needs its approval in the project that installs it (npm 11 warns,
  // npm 12 blocks); a dependency's own allowScripts is not consulted. The second entry is this test's doing: from a
  // tarball (not the registry), npm also counts semconf's `prepare` as an install script; it is denied by the
  // tarball's identity, as `npm install-scripts deny` writes it. A registry install has no such entry to make.
  const manifest = { name: 'consumer', version: '1.0.0', private: true, allowScripts: { koffi: true, [`file:${tarball}`]: false } };
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  install = run('npm', ['install', '--no-audit', '--no-fund', tarball], project);
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the CLI and what it loads at run time', () => {
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/src/cli.js',
      'dist/src/worker/child.cjs',
      'dist/src/targets/inner.js',
      'dist/runners/index.js',
      'specs/mlock.yaml',
      'specs/profiles/linux.yaml',
      'schema/spec.schema.json',
      'docs/targets.md',
    ]) {
      expect(files).toContain(f);
    }
  });

  it("ships none of the repository's own tooling, tests or sources", () => {
    const unwanted = files.filter((f) => /^(test|bench|scripts|src|runners|results|\.ci|\.github|dist\/(test|bench|scripts))\//.test(f) || /\.(ts|map)$/.test(f));
    expect(unwanted).toEqual([]);
    // Everything shipped is the compiled CLI and runners, the specs and their schemas, and the user's documents:
    // nothing else (a stray directory, a results file, a local cache) gets in by a wide `files` pattern. ci/fetch-kernel.sh is the
    // VM target's kernel fetcher, which it runs.
    const outside = files.filter((f) => !/^(dist\/(src|runners)\/.*\.c?js|specs\/.*\.yaml|schema\/.*\.json|docs\/.*\.md|[A-Z]+(\.md)?|package\.json|ci\/fetch-kernel\.sh)$/.test(f));
    expect(outside).toEqual([]);
  });

  it('may be published (no "private")', () => {
    const manifest = z.object({ private: z.boolean().optional() }).parse(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')));
    expect(manifest.private).toBeUndefined();
  });
});

describe('the tarball installed into a fresh project', () => {
  it('installs quietly: no install script left unreviewed (koffi is allowed by the project)', () => {
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/install-scripts|allowScripts/);
  });

  it('`npx semconf lint` checks the shipped specs', () => {
    const lint = run('npx', ['--no-install', 'semconf', 'lint'], project);
    expect(lint.status, lint.stderr).toBe(0);
    expect(lint.stdout).toMatch(/node_modules\/semconf\/specs: \d+ spec files, \d+ cases, \d+ profiles: ok/);
  });

  it('`npx semconf run` runs a real case, and `npx semconf validate` accepts its results', () => {
    const out = join(work, 'results.json');
    const r = run('npx', ['--no-install', 'semconf', 'run', '--filter', 'mlock.zero-length', '--out', out], project);
    expect(r.status, r.stderr).toBe(0);
    const results = readResults(out);
    expect(results.cases.find((c) => c.id === 'mlock.zero-length')).toMatchObject({ status: 'ran' });
    const v = run('npx', ['--no-install', 'semconf', 'validate', out], project);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain('valid semconf-results/2');
  });
});
