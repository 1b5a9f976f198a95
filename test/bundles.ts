// What scripts/bundle.ts wrote to dist/bundles.json: each bundle's inputs and run-time imports (paths relative to the
// package root), for the tests that check what a bundle holds and which modules a loaded bundle file stands for.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BundleRecord {
  inputs: string[];
  imports: string[];
  /** a split bundle: the files its entry holds, what loading its entry loads, and each chunk with the files it holds */
  entryInputs?: string[];
  startInputs?: string[];
  chunks?: Record<string, string[]>;
}

let bundles: Record<string, BundleRecord> | undefined;

/** The record of the bundle written at `out` (relative to dist/, e.g. "src/cli.js"). */
export function bundle(out: string): BundleRecord {
  bundles ??= JSON.parse(readFileSync(fileURLToPath(new URL('../dist/bundles.json', import.meta.url)), 'utf8')) as Record<string, BundleRecord>;
  const b = bundles[out];
  if (b === undefined) throw new Error(`dist/bundles.json has no ${out}`);
  return b;
}
