// The lint cache (src/spec/catalog-cache.ts, src/commands/lint.ts) and the catalog cache a run plans from
// (src/spec/cached-catalog.ts): a warm lint says byte for byte what a cold one says, for every spec-error fixture; an entry is used only for exactly the inputs (and the build) it was made from;
// a corrupt or foreign entry is a miss, replaced; --no-cache neither reads nor writes. Runs the command in-process
// (main of src/cli.ts), with XDG_CACHE_HOME pointing at a fresh directory per test.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { main } from '../src/cli.js';
import { loadCatalogCached } from '../src/spec/cached-catalog.js';
import { CacheStore, cacheDir, codeDigest, MAX_ENTRIES_PER_KIND } from '../src/spec/catalog-cache.js';
import { InputError } from '../src/spec/diagnostics.js';
import { loadCatalog } from '../src/spec/lint.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/spec-errors/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASE = join(FIXTURES, 'base');

const temps: string[] = [];
const temp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

let cacheHome: string;
let savedXdg: string | undefined;
beforeEach(() => {
  savedXdg = process.env.XDG_CACHE_HOME;
  cacheHome = temp('semconf-cache-home-');
  process.env.XDG_CACHE_HOME = cacheHome;
});
afterEach(() => {
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
});

/** base, then the fixture's files laid over it (as test/spec-errors.test.ts builds them). */
function fixtureDir(fixture?: string): string {
  const dir = temp('semconf-lint-cache-');
  cpSync(BASE, dir, { recursive: true });
  if (fixture !== undefined) cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

interface Printed {
  code: number;
  stdout: string;
  stderr: string;
}

/** `semconf lint ...args`, in-process: what it printed on each stream and its exit code. */
async function lint(...args: string[]): Promise<Printed> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['lint', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const entries = (): string[] => (existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((f) => f.startsWith('lint-')) : []);

describe('lint with a warm cache says exactly what a cold lint says', () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f !== 'base');

  test.each([undefined, ...fixtures])('fixture %s: cold, cached and warm output are byte for byte the same', async (fixture) => {
    const dir = fixtureDir(fixture);
    const cold = await lint('--specs', dir, '--no-cache');
    expect(entries()).toEqual([]);
    const first = await lint('--specs', dir);
    expect(entries()).toHaveLength(1);
    const warm = await lint('--specs', dir);
    expect(first).toEqual(cold);
    expect(warm).toEqual(cold);
    const github = await lint('--specs', dir, '--format', 'github', '--no-cache');
    expect(await lint('--specs', dir, '--format', 'github')).toEqual(github);
    expect(await lint('--specs', dir, '--format', 'github')).toEqual(github);
  });

  test('a warm lint answers from the entry (it does not merely agree with a fresh lint)', async () => {
    const dir = fixtureDir();
    await lint('--specs', dir);
    const [name] = entries();
    const store = new CacheStore(cacheDir());
    const key = (name as string).slice('lint-'.length, -'.json'.length);
    const outcome = store.get('lint', key) as { stdout: string };
    expect(outcome.stdout).toContain('1 spec files');
    // An intact entry of ours, with a different payload: a warm lint prints that, so it did not lint again.
    store.put('lint', key, { ...outcome, stdout: 'FROM THE CACHE\n' });
    expect((await lint('--specs', dir)).stdout).toBe('FROM THE CACHE\n');
    expect((await lint('--specs', dir, '--no-cache')).stdout).toContain('1 spec files');
  });

  test('a changed, added or removed spec file is linted again', async () => {
    const dir = fixtureDir();
    const ok = await lint('--specs', dir);
    expect(ok.stdout).toContain('ok');
    const spec = join(dir, 'mlock.yaml');
    const text = readFileSync(spec, 'utf8');
    writeFileSync(spec, text.replace('function: mlock', 'function: mlok'));
    const broken = await lint('--specs', dir);
    expect(broken.code).toBe(2);
    expect(broken).toEqual(await lint('--specs', dir, '--no-cache'));
    writeFileSync(spec, text);
    expect(await lint('--specs', dir)).toEqual(ok);
    writeFileSync(join(dir, 'extra.yaml'), 'function: mlock\ncases: []\n');
    const added = await lint('--specs', dir);
    expect(added).toEqual(await lint('--specs', dir, '--no-cache'));
    expect(added).not.toEqual(ok);
    rmSync(join(dir, 'extra.yaml'));
    rmSync(join(dir, 'profiles', 'beta.yaml'));
    const removed = await lint('--specs', dir);
    expect(removed).toEqual(await lint('--specs', dir, '--no-cache'));
    expect(removed).not.toEqual(ok);
  });

  test('a corrupt or foreign entry is ignored and replaced, never an error', async () => {
    const dir = fixtureDir();
    const cold = await lint('--specs', dir, '--no-cache');
    await lint('--specs', dir);
    const [name] = entries();
    const file = join(cacheDir(), name as string);
    const intact = readFileSync(file, 'utf8');
    const parsed = JSON.parse(intact) as { payload: string };
    for (const bad of [
      'not json at all',
      intact.slice(0, intact.length / 2),
      JSON.stringify({ ...parsed, payload: parsed.payload.replace('ok', 'KO') }), // checksum no longer matches
      JSON.stringify({ ...parsed, format: 'someone-else/1' }),
      JSON.stringify({ ...parsed, key: '0'.repeat(64) }),
      JSON.stringify({ format: 'semconf-cache/1', kind: 'lint', key: name?.slice(5, -5), sha256: 'x', payload: '{}' }),
    ]) {
      writeFileSync(file, bad);
      expect(await lint('--specs', dir)).toEqual(cold);
      expect(readFileSync(file, 'utf8')).toBe(intact);
    }
    // An entry of our envelope whose payload is not a lint outcome (checksum right): a miss too.
    const store = new CacheStore(cacheDir());
    const key = (name as string).slice('lint-'.length, -'.json'.length);
    store.put('lint', key, { stdout: 1 });
    expect(await lint('--specs', dir)).toEqual(cold);
    expect(readFileSync(file, 'utf8')).toBe(intact);
    // A directory where the cache should be: lint still works, and says the same.
    rmSync(cacheDir(), { recursive: true });
    writeFileSync(cacheDir(), 'a file, not a directory');
    expect(await lint('--specs', dir)).toEqual(cold);
  });

  test('--no-cache neither reads nor writes the cache', async () => {
    const dir = fixtureDir();
    const cold = await lint('--specs', dir, '--no-cache');
    expect(existsSync(cacheDir())).toBe(false);
    await lint('--specs', dir);
    const [name] = entries();
    const store = new CacheStore(cacheDir());
    const key = (name as string).slice('lint-'.length, -'.json'.length);
    store.put('lint', key, { ...(store.get('lint', key) as object), stdout: 'FROM THE CACHE\n' });
    expect(await lint('--specs', dir, '--no-cache')).toEqual(cold);
  });

  test('a tree reached through a symlink is not answered from the cache (its refusal depends on the layout)', async () => {
    const dir = fixtureDir();
    const elsewhere = temp('semconf-elsewhere-');
    cpSync(join(dir, 'profiles'), elsewhere, { recursive: true });
    rmSync(join(dir, 'profiles'), { recursive: true });
    symlinkSync(elsewhere, join(dir, 'profiles'));
    const refused = await lint('--specs', dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('outside');
    expect(entries()).toEqual([]);
    // Same texts, now inside: a cached refusal would be wrong here.
    rmSync(join(dir, 'profiles'));
    cpSync(elsewhere, join(dir, 'profiles'), { recursive: true });
    const inside = await lint('--specs', dir);
    expect(inside.stderr).not.toContain('outside');
    expect(inside).toEqual(await lint('--specs', dir, '--no-cache'));
  });

  test('lint --sources: an entry is used only while every document copy it read is unchanged', async () => {
    const dir = fixtureDir();
    const sources = temp('semconf-sources-');
    const alpha = join(dir, 'profiles', 'alpha.yaml');
    writeFileSync(alpha, readFileSync(alpha, 'utf8').replace('    section: "2"', '    section: "2"\n    source: alpha.txt'));
    const copy = join(sources, 'alpha.txt');
    writeFileSync(copy, 'The len argument is zero. Part of the range is not mapped. On success the call returns zero and every page in the range is locked.');
    const ok = await lint('--specs', dir, '--sources', sources);
    expect(ok.stdout).toContain('quotes: 3 checked verbatim');
    expect(await lint('--specs', dir, '--sources', sources)).toEqual(ok);
    writeFileSync(copy, 'The len argument is zero.');
    const changed = await lint('--specs', dir, '--sources', sources);
    expect(changed.code).toBe(2);
    expect(changed).toEqual(await lint('--specs', dir, '--sources', sources, '--no-cache'));
    rmSync(copy);
    const gone = await lint('--specs', dir, '--sources', sources);
    expect(gone.stderr).toContain('no copy of the document');
    expect(gone).toEqual(await lint('--specs', dir, '--sources', sources, '--no-cache'));
  });
});

describe('the build digest', () => {
  test('changes when any module of the build changes, so a new schema or rule never reads an old entry', () => {
    const root = temp('semconf-build-');
    mkdirSync(join(root, 'spec'));
    writeFileSync(join(root, 'cli.js'), 'a');
    writeFileSync(join(root, 'spec', 'schema.js'), 'b');
    const before = codeDigest(root);
    expect(codeDigest(root)).toBe(before);
    writeFileSync(join(root, 'spec', 'schema.js'), 'b2');
    expect(codeDigest(root)).not.toBe(before);
    writeFileSync(join(root, 'spec', 'schema.js'), 'b');
    writeFileSync(join(root, 'spec', 'rule.js'), 'c');
    expect(codeDigest(root)).not.toBe(before);
  });

  test('kept in the cache, is given back while every module is as it was, and hashed again when one is written', async () => {
    const root = temp('semconf-build-');
    mkdirSync(join(root, 'spec'));
    writeFileSync(join(root, 'cli.js'), 'a');
    writeFileSync(join(root, 'spec', 'schema.js'), 'b');
    const memoDir = temp('semconf-memo-');
    const memo = new CacheStore(memoDir);
    const hashed = codeDigest(root);
    // files written within the last two seconds could be written again within one tick of the file clock: not kept
    expect(codeDigest(root, memo)).toBe(hashed);
    memo.flush();
    expect(readdirSync(memoDir)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    // settled: a read-only store still keeps nothing
    const readOnly = new CacheStore(temp('semconf-memo-'), true);
    expect(codeDigest(root, readOnly)).toBe(hashed);
    readOnly.flush();
    expect(readdirSync(readOnly.dir)).toEqual([]);
    // this one keeps it, but writes it only once the command keeps what it made (flush, from any store of the
    // directory): a command refused as bad usage writes nothing
    expect(codeDigest(root, memo)).toBe(hashed);
    expect(readdirSync(memoDir)).toEqual([]);
    new CacheStore(memoDir).flush();
    // the kept digest is what comes back (one planted in its entry shows it is read, not the code hashed again)
    const [entry] = readdirSync(memoDir).filter((f) => f.startsWith('code-'));
    if (entry === undefined) throw new Error('no memo entry was written');
    const key = entry.slice('code-'.length, -'.json'.length);
    const kept = memo.get('code', key) as { stamps: string; value: string };
    memo.put('code', key, { ...kept, value: 'planted' });
    expect(codeDigest(root, memo)).toBe('planted');
    // a module written again, with its old size and modification time put back: its change time still moved
    writeFileSync(join(root, 'spec', 'schema.js'), 'c');
    utimesSync(join(root, 'spec', 'schema.js'), 1, 1);
    expect(codeDigest(root, memo)).toBe(codeDigest(root));
    expect(codeDigest(root, memo)).not.toBe(hashed);
    // a module added
    writeFileSync(join(root, 'rule.js'), 'd');
    expect(codeDigest(root, memo)).toBe(codeDigest(root));
    expect(codeDigest(root, memo)).not.toBe(hashed);
  });

  // Each in a process of its own (the compiled build, as a run elsewhere is): the digest is computed once per process.
  const inBuild = (script: string): string => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const c = await import(${JSON.stringify(join(ROOT, 'dist/src/spec/catalog-cache.js'))});\n${script}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };

  test('a run launched from this very build takes its digest, not hashing the code again; one elsewhere hashes its own', () => {
    const own = JSON.parse(inBuild('console.log(JSON.stringify(c.buildIdentity()))')) as { root: string; digest: string };
    expect(own.root).toBe(join(ROOT, 'dist/src'));
    expect(own.digest).toMatch(/^[0-9a-f]{64}$/);
    // told a digest by a launcher whose code is at the same root: that digest is the key (a made-up one shows it is
    // taken, not recomputed)
    expect(inBuild(`console.log(c.adoptBuild({ root: ${JSON.stringify(own.root)}, digest: 'f'.repeat(64) }), c.buildDigest())`)).toBe(`true ${'f'.repeat(64)}`);
    // a launcher whose code is elsewhere (the TypeScript sources under the tests, a VM mounting the checkout at
    // another path), or no launcher: the run's own code is hashed
    expect(inBuild(`console.log(c.adoptBuild({ root: '/elsewhere/dist/src', digest: 'f'.repeat(64) }), c.buildDigest())`)).toBe(`false ${own.digest}`);
    expect(inBuild('console.log(c.adoptBuild(undefined), c.buildDigest())')).toBe(`false ${own.digest}`);
    // and once the digest is known, nothing replaces it
    expect(inBuild(`c.buildDigest(); console.log(c.adoptBuild({ root: ${JSON.stringify(own.root)}, digest: 'f'.repeat(64) }), c.buildDigest())`)).toBe(`false ${own.digest}`);
  });
});

describe('CacheStore', () => {
  test(`keeps the newest ${MAX_ENTRIES_PER_KIND} entries of each kind, removing the oldest`, () => {
    const store = new CacheStore(join(cacheHome, 'prune'));
    store.put('other', 'k', 'kept');
    for (let i = 0; i < MAX_ENTRIES_PER_KIND + 5; i += 1) {
      store.put('lint', `k${i}`, i);
      // mtimes a millisecond apart are not guaranteed: set them, so "oldest" is well defined
      utimesSync(join(store.dir, `lint-k${i}.json`), 1000 + i, 1000 + i);
    }
    store.put('lint', 'last', 'x');
    const left = readdirSync(store.dir).filter((f) => f.startsWith('lint-'));
    expect(left).toHaveLength(MAX_ENTRIES_PER_KIND);
    expect(store.get('lint', 'last')).toBe('x');
    expect(store.get('lint', 'k0')).toBeUndefined();
    expect(store.get('lint', `k${MAX_ENTRIES_PER_KIND + 4}`)).toBe(MAX_ENTRIES_PER_KIND + 4);
    expect(store.get('other', 'k')).toBe('kept');
  });
});

describe('cacheDir', () => {
  test('is $XDG_CACHE_HOME/semconf, or ~/.cache/semconf when it is unset or relative', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/semconf');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/semconf$/);
    expect(cacheDir({})).toMatch(/\/\.cache\/semconf$/);
  });
});

describe('the catalog a run plans from, from the cache', () => {
  const store = (): CacheStore => new CacheStore(cacheDir());
  const catalogEntries = (): string[] => (existsSync(cacheDir()) ? readdirSync(cacheDir()).filter((f) => f.startsWith('catalog-')) : []);

  test('warm: the same values, digest and positions as a cold load, from the entry', async () => {
    const dir = fixtureDir();
    const cold = loadCatalog(dir);
    const loaded = await loadCatalogCached(dir, store());
    expect(catalogEntries()).toEqual([]); // stored only when the caller keeps it
    loaded.keep();
    const first = loaded.catalog;
    expect(catalogEntries()).toHaveLength(1);
    const warm = (await loadCatalogCached(dir, store())).catalog;
    for (const c of [first, warm]) {
      expect(c.digest).toBe(cold.digest);
      expect(c.specs.map((s) => [s.file, s.value])).toEqual(cold.specs.map((s) => [s.file, s.value]));
      expect(c.profiles.map((p) => [p.file, p.value])).toEqual(cold.profiles.map((p) => [p.file, p.value]));
    }
    // positions, recomputed from the texts only when asked: the same file:line:col as the cold load's
    for (const [i, s] of cold.specs.entries()) {
      for (const [path, key] of [[['cases', 0, 'id']], [['cases', 1, 'expect'], 'alpha'], [['function']], [['no', 'such', 'path']]] as const) {
        expect(warm.specs[i]?.source.at(path, 'm', key)).toEqual(s.source.at(path, 'm', key));
      }
    }
    expect(warm.profiles[0]?.source.at(['clauses', 1, 'quote'], 'm')).toEqual(cold.profiles[0]?.source.at(['clauses', 1, 'quote'], 'm'));
    // from the entry, not loaded again: an intact entry with another value is what comes back
    const [name] = catalogEntries();
    const key = (name as string).slice('catalog-'.length, -'.json'.length);
    const entry = store().get('catalog', key) as { specs: { file: string; value: { function: string } }[]; profiles: unknown[] };
    store().put('catalog', key, { ...entry, specs: entry.specs.map((s) => ({ ...s, value: { ...s.value, function: 'FROM THE CACHE' } })) });
    expect((await loadCatalogCached(dir, store())).catalog.specs[0]?.value.function).toBe('FROM THE CACHE');
    expect((await loadCatalogCached(dir, undefined)).catalog.specs[0]?.value.function).toBe('mlock');
  });

  test('a corrupt entry, or one listing other files, is a miss and is replaced', async () => {
    const dir = fixtureDir();
    const cold = loadCatalog(dir);
    (await loadCatalogCached(dir, store())).keep();
    const [name] = catalogEntries();
    const file = join(cacheDir(), name as string);
    const intact = readFileSync(file, 'utf8');
    const key = (name as string).slice('catalog-'.length, -'.json'.length);
    const entry = store().get('catalog', key) as { specs: { file: string }[]; profiles: unknown[] };
    for (const bad of [
      () => writeFileSync(file, intact.slice(0, 100)),
      () => store().put('catalog', key, { ...entry, specs: entry.specs.map((s) => ({ ...s, file: `${s.file}.other` })) }),
      () => store().put('catalog', key, { ...entry, profiles: entry.profiles.slice(1) }),
      () => store().put('catalog', key, { specs: 'no' }),
    ]) {
      bad();
      const { catalog: c, keep } = await loadCatalogCached(dir, store());
      keep();
      expect(c.specs.map((s) => s.value)).toEqual(cold.specs.map((s) => s.value));
      expect(readFileSync(file, 'utf8')).toBe(intact);
    }
  });

  test('a catalog with problems is never cached, and says exactly what a cold load says', async () => {
    const dir = fixtureDir('unknown-function');
    const problems = async (f: () => unknown): Promise<string> => {
      try {
        await f();
      } catch (e) {
        return e instanceof InputError ? e.message : `not an InputError: ${String(e)}`;
      }
      return 'loaded';
    };
    const cold = await problems(() => loadCatalog(dir));
    expect(cold).toContain('mlok');
    expect(await problems(async () => (await loadCatalogCached(dir, store())).keep())).toBe(cold);
    expect(await problems(async () => (await loadCatalogCached(dir, store())).keep())).toBe(cold);
    expect(catalogEntries()).toEqual([]);
  });
});
