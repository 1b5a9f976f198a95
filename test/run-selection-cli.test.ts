// semconf run and list as a user runs them: which cases a run selects, where it writes, what it prints, and how it
// exits when nothing could run. Real processes, real syscalls; the unprivileged runs drop to user nobody (uid
// 65534) or drop CAP_IPC_LOCK with setpriv, so they need root (as the suite's other live tests do).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nothingRanHeadline } from '../src/nothing-ran.js';
import { defaultResultsDir } from '../src/results-home.js';
import { load } from './report-fixtures.js';
import { readResults, Results } from '../src/results.js';
import { RESULTS_BEGIN, extractResults } from '../src/targets/protocol.js';
import { allCases, readCatalog } from '../src/spec/catalog.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');
const INNER = join(ROOT, 'dist/src/targets/inner.js');
const SPECS = join(ROOT, 'specs');
/** the shipped catalog's size, counted here so the tests follow the specs as cases are added */
const CATALOG = allCases(readCatalog(SPECS)).length;
const isRoot = process.platform === 'linux' && process.geteuid?.() === 0;

/** A directory anyone can write: user nobody's state directory. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-runsel-'));
  chmodSync(dir, 0o777);
  return dir;
}

function semconf(args: string[], opts: { state?: string; as?: string[] } = {}): SpawnSyncReturns<string> {
  const { XDG_STATE_HOME: _x, FORCE_COLOR: _f, ...env } = process.env;
  const state = opts.state ?? scratch();
  return spawnSync(opts.as?.[0] ?? process.execPath, [...(opts.as?.slice(1) ?? []), ...(opts.as ? [process.execPath] : []), CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...env, XDG_STATE_HOME: state, HOME: state, NO_COLOR: '1' },
  });
}

const NOBODY = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'];
const NO_IPC_LOCK = ['setpriv', '--bounding-set', '-ipc_lock'];
const gitStatus = (): string => spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ROOT, encoding: 'utf8' }).stdout;

describe('where a run writes', () => {
  it('defaults to $XDG_STATE_HOME/semconf/results, else ~/.local/state/semconf/results', () => {
    expect(defaultResultsDir({ XDG_STATE_HOME: '/s', HOME: '/h' })).toBe('/s/semconf/results');
    expect(defaultResultsDir({ HOME: '/h' })).toBe('/h/.local/state/semconf/results');
    // A relative XDG_STATE_HOME is invalid (XDG Base Directory specification) and ignored.
    expect(defaultResultsDir({ XDG_STATE_HOME: 'rel', HOME: '/h' })).toBe('/h/.local/state/semconf/results');
  });

  it.runIf(isRoot)('a run without --out leaves the checkout as it was and says where the results went', () => {
    const state = scratch();
    const before = gitStatus();
    const r = semconf(['run', '--filter', 'mlock.zero-length'], { state });
    expect(r.status, r.stderr).toBe(0);
    expect(gitStatus()).toBe(before);
    const file = join(state, 'semconf', 'results', 'linux-x86_64-glibc.json');
    expect(r.stdout).toContain(`\nresults: ${file}\n`);
    expect(readResults(file).cases.map((c) => c.id)).toEqual(['mlock.zero-length']);
  });
});

describe('which skips make a run not green (nothingRanHeadline on CONSTRUCTED case lists, FAKE: from full-suite.json)', () => {
  const cases = load('full-suite.json').cases;
  const unestablished = (c: (typeof cases)[number]): (typeof cases)[number] => ({ ...c, status: 'skipped', reason: 'no RLIMIT_MEMLOCK here', context: { ...c.context, established: false } });
  it('unprivileged contexts the platform cannot make (illumos: no RLIMIT_MEMLOCK) are expected skips', () => {
    expect(nothingRanHeadline(cases.map((c) => (c.context.spec === 'privileged' ? c : unestablished(c))))).toBeNull();
  });
  it('a missing privileged context is named, with how many cases it cost', () => {
    const privileged = cases.filter((c) => c.context.spec === 'privileged').length;
    const ran = cases.filter((c) => c.context.spec !== 'privileged' && c.status === 'ran').length;
    expect(nothingRanHeadline(cases.map((c) => (c.context.spec === 'privileged' ? unestablished(c) : c)))).toBe(
      `A REQUIRED CONTEXT IS MISSING: privileged (no RLIMIT_MEMLOCK here): ${privileged} case(s) skipped; ${ran} of ${cases.length} case(s) ran`,
    );
  });
});

describe.runIf(isRoot)('a run in which no case could run is not green', () => {
  it('as user nobody every case is skipped: a headline, exit 3, and the results still written', () => {
    const state = scratch();
    const r = semconf(['run', '--filter', 'mlock.zero-length,mlock.unprivileged-within-limit'], { state, as: NOBODY });
    expect(r.stderr).toMatch(/^semconf: NO CASE RAN: all 2 case\(s\) did not run \(2 skipped\); context not established: privileged \(.*CAP_IPC_LOCK.*\): 1 case\(s\) skipped;/m);
    expect(r.status, r.stderr).toBe(3);
    const saved = readResults(join(state, 'semconf', 'results', 'linux-x86_64-glibc.json'));
    expect(saved.cases.map((c) => c.status)).toEqual(['skipped', 'skipped']);
  });

  it('--allow-skipped accepts it: exit 0, the headline still printed', () => {
    const r = semconf(['run', '--filter', 'mlock.zero-length', '--allow-skipped'], { as: NOBODY });
    expect(r.stderr).toContain('semconf: NO CASE RAN: all 1 case(s) did not run (1 skipped)');
    expect(r.stderr).toContain('(--allow-skipped: not a failure)');
    expect(r.status, r.stderr).toBe(0);
  });

  it('root without CAP_IPC_LOCK: unprivileged cases run but the privileged context is missing, exit 3', () => {
    const r = semconf(['run', '--filter', 'mlock.zero-length,mlock.unprivileged-within-limit'], { as: NO_IPC_LOCK });
    expect(r.stderr).toMatch(/semconf: A REQUIRED CONTEXT IS MISSING: privileged \(.*\): 1 case\(s\) skipped; 1 of 2 case\(s\) ran/);
    expect(r.status, r.stderr).toBe(3);
  });

  it('memlock unlimited is not required: its skip (no CAP_SYS_RESOURCE to raise the hard limit) alone exits 0', () => {
    const r = semconf(['run', '--filter', 'mlock.unprivileged-within-limit,mlock.unprivileged-unlimited', '--progress'], { as: NO_IPC_LOCK });
    expect(r.stderr).toMatch(/mlock\.unprivileged-unlimited@unprivileged\(memlock=unlimited\): skipped/);
    expect(r.stderr).not.toContain('CASE RAN');
    expect(r.stderr).not.toContain('MISSING');
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('what a run selects', () => {
  it('a selection that keeps nothing is a usage error with a sentence: exit 2, no stack, nothing written', () => {
    const state = scratch();
    const r = semconf(['run', '--filter', 'mlock.nope'], { state });
    expect(r.stderr).toBe(`semconf: --filter "mlock.nope" selects no case (${CATALOG} in the catalog); try semconf list\n`);
    expect(semconf(['list', '--filter', 'mlock.zero-lenght']).stderr).toBe(
      `semconf: --filter "mlock.zero-lenght" selects no case (${CATALOG} in the catalog; did you mean mlock.zero-length?)\n`,
    );
    expect(r.status).toBe(2);
    expect(readdirSync(state)).toEqual([]);
    expect(semconf(['run', '--filter', 'mlock.*', '--exclude', 'mlock.*']).stderr).toBe(
      `semconf: --filter "mlock.*" --exclude "mlock.*" selects no case (${CATALOG} in the catalog); try semconf list\n`,
    );
  });

  it('bad --shard and a bad /regex/ are usage errors', () => {
    const shard = semconf(['run', '--shard', '3/2']);
    expect(shard.stderr).toBe('semconf: --shard takes K/N, shard K of N with 1 <= K <= N <= 1000 (e.g. 2/4), not "3/2"\n');
    expect(shard.status).toBe(2);
    const list = semconf(['list', '--filter', '/(/']);
    expect(list.stderr).toMatch(/^semconf: --filter \/\(\/: not a regular expression \(.*\)\n$/);
    expect(list.status).toBe(2);
  });

  it('list prints every selected case with its function, context and title; --json the same as data', () => {
    const all = JSON.parse(semconf(['list', '--json']).stdout) as { id: string; function: string; context: string; title: string }[];
    expect(all).toHaveLength(CATALOG);
    expect(all.find((c) => c.id === 'mlock.unprivileged-within-limit')).toMatchObject({ function: 'mlock', context: 'unprivileged(memlock=4p)' });
    const some = JSON.parse(semconf(['list', '--json', '--filter', 'mlock.*', '--exclude', '*unprivileged*']).stdout) as { id: string }[];
    expect(some.map((c) => c.id)).toEqual(all.map((c) => c.id).filter((id) => id.startsWith('mlock.') && !id.includes('unprivileged')));
    const shards = [1, 2, 3].map((k) => (JSON.parse(semconf(['list', '--json', '--shard', `${k}/3`]).stdout) as { id: string }[]).map((c) => c.id));
    expect(shards.flat().sort()).toEqual(all.map((c) => c.id).sort());
    const table = semconf(['list', '--filter', 'mlock.zero-length']);
    expect(table.stdout).toMatch(/^id +function +context +title\nmlock\.zero-length +mlock +privileged +zero length at a mapped, page-aligned address\n$/);
  });

  it.runIf(isRoot)('a filtered, sharded run records its selection, shows it in the header, and --progress shows verdicts and time', () => {
    const state = scratch();
    const filter = 'mlock.zero-length,munlock.zero-length,mlockall.zero-flags,munlock.unmapped-range';
    const shard = (JSON.parse(semconf(['list', '--json', '--filter', filter, '--shard', '1/2']).stdout) as { id: string }[]).map((c) => c.id);
    const out = join(state, 'r.json');
    const r = semconf(['run', '--filter', filter, '--shard', '1/2', '--profile', 'linux', '--out', out, '--progress'], { state });
    expect(r.status, r.stderr).toBe(0);
    const saved = readResults(out);
    expect(saved.cases.map((c) => c.id)).toEqual(shard);
    expect(saved.selection).toEqual({ filter: filter.split(','), shard: { index: 1, count: 2 }, profiles: ['linux'], catalogCases: CATALOG });
    expect(r.stdout).toContain(`PARTIAL RUN: ${filter.split(',').map((f) => `--filter ${f}`).join(' ')} --shard 1/2 --profile linux selected ${shard.length} of the catalog's ${CATALOG} case(s)`);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  ['));
    expect(lines).toHaveLength(shard.length);
    for (const l of lines) expect(l).toMatch(/^ {2}\[\d\/\d\] [a-z_]+\.[a-z0-9-]+@privileged: (conforms|diverges|inconclusive|unspecified|unsupported) 1 \(\d+\.\d{3}s\)$/);
  });

  it.runIf(isRoot)('the selection reaches a run inside a target: inner.js selects and records the same cases', () => {
    const request = { specs: SPECS, jobs: 1, filter: ['mlock.*'], exclude: ['*unprivileged*'], shard: { index: 1, count: 4 }, where: 'in a test', stateDir: tmpdir() };
    const r = spawnSync(process.execPath, [INNER, JSON.stringify(request)], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toContain(RESULTS_BEGIN);
    const results = Results.parse(JSON.parse(extractResults(r.stdout) ?? 'null'));
    const expected = (JSON.parse(semconf(['list', '--json', '--filter', 'mlock.*', '--exclude', '*unprivileged*', '--shard', '1/4']).stdout) as { id: string }[]).map((c) => c.id);
    expect(results.cases.map((c) => c.id)).toEqual(expected);
    expect(results.selection).toEqual({ filter: ['mlock.*'], exclude: ['*unprivileged*'], shard: { index: 1, count: 4 }, catalogCases: CATALOG });
    expect(existsSync(INNER)).toBe(true);
  });
});
