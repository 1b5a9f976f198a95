// Worker processes must start lean: they never load zod or yaml (the parent validates everything before a case
// reaches a worker). A value import of schema.ts from worker code once loaded zod in every worker. The same holds for
// the run inside a launched target planned from the cached catalog (under gVisor zod and yaml took ~0.5 s to load).
// These entry points, the command line's and the merge worker's, are bundles (scripts/bundle.ts): what each holds is read from
// dist/bundles.json, written by the bundler itself, and what the modules left out of them reach is walked in the
// compiled import graph.
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultChildScript } from '../src/worker/pool.js';
import { type BundleRecord, bundle } from './bundles.js';

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable from `entry` by static or literal dynamic imports, with the path that reached it; the
 * modules whose path ends with one of `cold` are not followed. */
function graph(entry: string, cold: readonly string[] = []): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      const key = spec.startsWith('.') ? resolve(dirname(file), spec) : spec;
      if (seen.has(key)) continue;
      seen.set(key, [...(seen.get(file) ?? []), key]);
      if (spec.startsWith('.') && !cold.some((c) => key.endsWith(c))) queue.push(key);
    }
  }
  return seen;
}

const heavyPaths = (g: Map<string, string[]>): string[] =>
  [...g.entries()]
    .filter(([k]) => k === 'zod' || k === 'yaml' || k.startsWith('zod/') || k.startsWith('yaml/'))
    .map(([, path]) => path.map((p) => p.replace(`${process.cwd()}/dist/`, '')).join(' -> '));

/** the paths that are zod or yaml (a package's files, or the package imported) */
const heavyIn = (paths: readonly string[]): string[] => paths.filter((p) => /(^|\/)node_modules\/(zod|yaml)\//.test(p) || /^(zod|yaml)(\/|$)/.test(p));

/** The bundle holds neither zod nor yaml and imports nothing at run time but Node's built-ins and `allowed`. */
function expectLean(b: BundleRecord, allowed: readonly string[]): void {
  expect(heavyIn([...b.inputs, ...b.imports])).toEqual([]);
  expect(b.imports.filter((i) => !isBuiltin(i) && !allowed.includes(i))).toEqual([]);
}

describe('the worker process (one CommonJS bundle: dist/src/worker/child.cjs)', () => {
  it('holds neither zod nor yaml, and imports only node built-ins and koffi', () => {
    const b = bundle('src/worker/child.cjs');
    expect(b.inputs).toContain('dist/src/worker/execute.js');
    expect(b.inputs).toContain('dist/runners/linux.js');
    expectLean(b, ['koffi']);
  });

  it('does not load node:crypto (a temporary file name once needed it alone: ~80 ms of each start inside gVisor)', () => {
    expect(bundle('src/worker/child.cjs').imports.filter((i) => i === 'crypto' || i === 'node:crypto')).toEqual([]);
  });

  it('is the file the pool starts, and the only worker entry (the module tsc wrote is gone)', () => {
    expect(defaultChildScript()).toBe(join(process.cwd(), 'dist/src/worker/child.cjs'));
    expect(readFileSync(defaultChildScript(), 'utf8')).toContain('// dist/src/worker/execute.js');
    expect(existsSync(join(process.cwd(), 'dist/src/worker/child.js'))).toBe(false);
  });
});

describe('the run inside a launched target (one bundle: dist/src/targets/inner.js)', () => {
  it('holds neither zod nor yaml; the cold load of the catalog (a cache miss, spec/lint.js) stays apart, and reaches them', () => {
    const b = bundle('src/targets/inner.js');
    expect(b.inputs).toContain('dist/src/run.js');
    expect(b.inputs).toContain('dist/src/worker/pool.js');
    expectLean(b, ['../spec/lint.js']);
    expect(b.imports).toContain('../spec/lint.js');
    // the module left apart is a file of its own, and the walk from it reaches both
    expect(heavyPaths(graph(join(process.cwd(), 'dist/src/spec/lint.js'))).length).toBeGreaterThan(0);
  });
});

describe('the command line (a split bundle: dist/src/cli.js, its chunks in dist/src/chunks/)', () => {
  const b = bundle('src/cli.js');

  it('starts with what parses the arguments: no command, neither zod nor yaml', () => {
    const start = b.startInputs ?? [];
    expect(start).toContain('dist/src/cli.js');
    expect(start).toContain('dist/src/cli-args.js');
    expect(start.filter((p) => p.startsWith('dist/src/commands/') && p !== 'dist/src/commands/command.js')).toEqual([]);
    expect(heavyIn(start)).toEqual([]);
  });

  it('holds every command and the cold load of the catalog, in chunks one directory below dist/src, as modules of dist/src/<dir>/ are', () => {
    expect(b.inputs).toEqual(expect.arrayContaining(['dist/src/commands/run.js', 'dist/src/commands/merge.js', 'dist/src/spec/lint.js']));
    const chunks = Object.keys(b.chunks ?? {});
    expect(chunks.length).toBeGreaterThan(0);
    // what a module finds from its own location (catalog-cache.ts buildRoot: the directory above its own) is the same
    expect(chunks.filter((c) => dirname(dirname(c)) !== 'dist/src' || !existsSync(join(process.cwd(), c)))).toEqual([]);
    expect(b.imports.filter((i) => !isBuiltin(i) && i !== 'koffi')).toEqual([]);
  });
});

describe('the merge worker thread (one bundle: dist/src/merge-worker.js)', () => {
  it('holds the reading and validation of a results file, and imports only node built-ins (no koffi: it calls no C)', () => {
    const b = bundle('src/merge-worker.js');
    expect(b.inputs).toEqual(expect.arrayContaining(['dist/src/merge-worker.js', 'dist/src/merge-read.js', 'dist/src/fast-validate.js', 'dist/src/compact-json.js']));
    // zod is in it: a file the fast path refuses is judged by zod, which words the error
    expect(heavyIn(b.inputs).some((p) => p.includes('node_modules/zod/'))).toBe(true);
    expect(b.imports.filter((i) => !isBuiltin(i))).toEqual([]);
  });

  it('is one file, in place of the module tsc wrote, that starts with no module of its own to load', () => {
    const text = readFileSync(join(process.cwd(), 'dist/src/merge-worker.js'), 'utf8');
    expect(text).toContain('// dist/src/merge-read.js');
    expect([...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter((spec) => !isBuiltin(spec))).toEqual([]);
  });
});

describe('semconf run here (src/commands/run.ts)', () => {
  it('reaches yaml only through the cold load of the catalog (zod it needs: the results are validated as they are written)', () => {
    const yamlPaths = (g: Map<string, string[]>): string[] => heavyPaths(g).filter((p) => /(^|-> )yaml(\/|$)/.test(p.split(' -> ').at(-1) ?? ''));
    const g = graph(join(process.cwd(), 'dist/src/commands/run.js'), ['/spec/lint.js']);
    expect([...g.keys()].some((k) => k.endsWith('/spec/cached-catalog.js'))).toBe(true);
    expect(yamlPaths(g)).toEqual([]);
    expect(yamlPaths(graph(join(process.cwd(), 'dist/src/commands/run.js'))).length).toBeGreaterThan(0);
  });
});
