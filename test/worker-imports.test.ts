// Worker processes must start lean: they never load zod or yaml (the parent validates everything before a case
// reaches a worker). A value import of schema.ts from worker code once loaded zod in every worker; this walks the
// compiled import graph from the worker's entry point and fails on any path to either package.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable from `entry` by static or literal dynamic imports, with the path that reached it. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      const key = spec.startsWith('.') ? resolve(dirname(file), spec) : spec;
      if (seen.has(key)) continue;
      seen.set(key, [...(seen.get(file) ?? []), key]);
      if (spec.startsWith('.')) queue.push(key);
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
