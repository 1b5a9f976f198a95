// One batch of sequences on every target: the sequences become a spec tree of their own (the shipped profiles, one
// file per function under test), which is loaded and linted like any other, then run once per target. A batch is the
// unit of work because starting a target costs seconds (gVisor, a VM) while a case costs milliseconds.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CaseResult, Results } from '../results.js';
import type { Catalog } from '../spec/catalog.js';
import { fnv1a } from '../selection.js';
import { loadCatalog } from '../spec/lint.js';
import type { Case } from '../spec/schema.js';
import { caseOf, type Sequence } from './sequence.js';

/** Where a batch runs: `native`, `gvisor` … through src/target.ts; tests construct their own (labelled as such). */
export type TargetRun = (target: string, catalog: Catalog, specsDir: string) => Promise<Results>;

export interface Explored {
  id: string;
  sequence: Sequence;
  /** each target's result for the case, by target name; absent where the target did not report it */
  results: Map<string, CaseResult>;
}

/** A stable id from the sequence alone: the same sequence is the same case in every batch and every run. */
export function sequenceId(seq: Sequence): string {
  return `${seq.call.fn}.explore-${fnv1a(JSON.stringify(seq)).toString(16).padStart(8, '0')}`;
}

/** The spec files of a batch, by file name: one per function under test, cases in the order given. */
export function specFiles(cases: readonly { fn: string; case: Case }[]): Map<string, string> {
  const byFn = new Map<string, Case[]>();
  for (const c of cases) byFn.set(c.fn, [...(byFn.get(c.fn) ?? []), c.case]);
  return new Map([...byFn].map(([fn, cs]) => [`explore-${fn}.yaml`, stringify({ function: fn, cases: cs }, { lineWidth: 0 })]));
}

export async function runBatch(sequences: readonly Sequence[], targets: readonly string[], shippedSpecs: string, profiles: readonly string[], run: TargetRun): Promise<Explored[]> {
  const unique = new Map<string, Sequence>();
  for (const s of sequences) unique.set(sequenceId(s), s);
  const dir = mkdtempSync(join(tmpdir(), 'semconf-explore-'));
  try {
    cpSync(join(shippedSpecs, 'profiles'), join(dir, 'profiles'), { recursive: true });
    const files = specFiles([...unique].map(([id, s]) => ({ fn: s.call.fn, case: caseOf(s, id, profiles) })));
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const catalog = loadCatalog(dir);
    const explored = new Map([...unique].map(([id, sequence]) => [id, { id, sequence, results: new Map<string, CaseResult>() }]));
    for (const target of targets) {
      const results = await run(target, catalog, dir);
      for (const c of results.cases) explored.get(c.id)?.results.set(target, c);
    }
    return [...explored.values()];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
