// Worker processes must start lean: they never load zod or yaml (the parent validates everything before a case
// reaches a worker). A value import of schema.ts from worker code once loaded zod in every worker; this walks the
// compiled import graph from the worker's entry point and fails on any path to either package. The same holds for
// the run inside a launched target planned from the cached catalog (under gVisor zod and yaml took ~0.5 s to load).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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

describe('the worker process', () => {
  it('reaches neither zod nor yaml from its entry point', () => {
    const g = graph(join(process.cwd(), 'dist/src/worker/child.js'));
    expect(g.size).toBeGreaterThan(5);
    expect([...g.keys()].some((k) => k.endsWith('/worker/execute.js'))).toBe(true);
    const heavy = [...g.entries()].filter(([k]) => k === 'zod' || k === 'yaml' || k.startsWith('zod/') || k.startsWith('yaml/'));
    expect(heavy.map(([, path]) => path.map((p) => p.replace(`${process.cwd()}/dist/`, '')).join(' -> '))).toEqual([]);
  });
});

const heavyPaths = (g: Map<string, string[]>): string[] =>
  [...g.entries()]
    .filter(([k]) => k === 'zod' || k === 'yaml' || k.startsWith('zod/') || k.startsWith('yaml/'))
    .map(([, path]) => path.map((p) => p.replace(`${process.cwd()}/dist/`, '')).join(' -> '));

describe('the run inside a launched target (src/targets/inner.ts)', () => {
  it('reaches neither zod nor yaml, but through the cold load of the catalog (a cache miss, spec/lint.js)', () => {
    const g = graph(join(process.cwd(), 'dist/src/targets/inner.js'), ['/spec/lint.js']);
    expect([...g.keys()].some((k) => k.endsWith('/src/run.js'))).toBe(true);
    expect([...g.keys()].some((k) => k.endsWith('/worker/pool.js'))).toBe(true);
    expect(heavyPaths(g)).toEqual([]);
    // and the cold load does reach them: the walk sees them
    expect(heavyPaths(graph(join(process.cwd(), 'dist/src/targets/inner.js'))).length).toBeGreaterThan(0);
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
