// A confirmed difference as a ready-to-review case: a spec tree in --out that is the shipped one plus one
// explore-<function>.yaml per function under test, so `semconf lint --specs OUT` checks it with the suite's own
// profiles and `semconf run --specs OUT --filter '*.explore-*' --target …` shows the difference again. Each case
// carries, as YAML comments, what differed and what every target did; every profile's expectation is unspecified
// until someone writes it from the documents.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, isMap, isSeq } from 'yaml';
import { behaviourOf } from '../behaviour.js';
import type { CaseResult } from '../results.js';
import type { Finding } from './explore.js';
import { caseOf } from './sequence.js';

const NOTE = 'found by semconf explore; the expectation is still to be written from the documents';

/** One line per target: what it did, in the diff's terms. */
export function observedLine(target: string, c: CaseResult | undefined): string {
  if (c === undefined) return `${target}: no result`;
  const facts = behaviourOf(c).filter((f) => f.value !== '' && f.value !== '-').map((f) => `${f.what} ${f.value}`);
  // A case that did not run has its status only; the reason (environment to a diff) is what a reviewer needs.
  const why = c.status !== 'ran' && c.reason !== undefined ? [`reason ${c.reason.split('\n')[0]?.slice(0, 300) ?? ''}`] : [];
  return `${target}: ${[...facts, ...why].join('; ')}`;
}

export function commentOf(f: Finding, targets: readonly string[]): string {
  const differs = f.differences.flatMap((d) => d.changes.map((c) => `differs ${d.pair}: ${c.what}: ${c.old} -> ${c.new}`));
  return [...differs, ...targets.map((t) => observedLine(t, f.results.get(t)))].map((l) => ` ${l}`).join('\n');
}

/** The YAML of one function's explored cases, comments included. */
export function exploredSpecText(fn: string, findings: readonly Finding[], targets: readonly string[], profiles: readonly string[]): string {
  const doc = new Document({ function: fn, cases: findings.map((f) => caseOf(f.sequence, f.id, profiles, NOTE)) });
  doc.commentBefore = ' Cases found by semconf explore: each shows a difference between targets. Review each, write its\n expectations from the documents (or leave them unspecified), then move it into specs/.';
  const cases = doc.get('cases', true);
  if (isSeq(cases)) {
    cases.items.forEach((item, i) => {
      const f = findings[i];
      if (!isMap(item) || f === undefined) return;
      item.commentBefore = commentOf(f, targets);
      // A page layout reads best on one line: [rw, hole, none].
      const layout = item.getIn(['memory', 'buf', 'layout'], true);
      if (isSeq(layout)) layout.flow = true;
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/** Write the spec tree: everything of `specs`, plus the explored files; replaced whole, never half-written. */
export function writeExploredTree(out: string, specs: string, findings: readonly Finding[], targets: readonly string[], profiles: readonly string[]): string[] {
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  cpSync(specs, tmp, { recursive: true });
  const byFn = new Map<string, Finding[]>();
  for (const f of findings) byFn.set(f.sequence.call.fn, [...(byFn.get(f.sequence.call.fn) ?? []), f]);
  const written: string[] = [];
  for (const [fn, fs] of byFn) {
    const name = `explore-${fn}.yaml`;
    writeFileSync(join(tmp, name), exploredSpecText(fn, fs, targets, profiles));
    written.push(join(out, name));
  }
  if (existsSync(out)) {
    // Only a directory this command wrote before may be replaced: it holds the shipped tree's files.
    if (!readdirSync(out).includes('profiles')) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`${out} exists and is not an explore output (no profiles/ in it); choose another --out`);
    }
    rmSync(out, { recursive: true, force: true });
  }
  renameSync(tmp, out);
  return written;
}
