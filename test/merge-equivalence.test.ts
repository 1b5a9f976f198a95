// `semconf merge` through its worker threads and spools (src/merge-files.ts) writes the matrix the in-memory merge
// (src/merge.ts merge(), the reference: every input parsed and validated, nothing spooled) makes of the same inputs:
// pretty-printed and compact results files and a matrix merged again. And the worker's side of it: the results it
// read go to its own spool, never back to the main thread.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { WorkerAnswer, WorkerStart } from '../src/merge-files.js';
import { readMatrix } from '../src/matrix.js';
import { merge, type MergeInput } from '../src/merge.js';
import { readResults, writeResults } from '../src/results.js';
import { Spool } from '../src/spool.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

const workerScript = new URL('../dist/src/merge-worker.js', import.meta.url);

describe('semconf merge: the matrix is the in-memory merge of the same inputs', () => {
  it('pretty-printed and compact results files and a matrix merged again; validate and report accept it', () => {
    const dir = scratch();
    const pretty = join(dir, 'pretty.json');
    const compact = join(dir, 'compact.json');
    const earlier = join(dir, 'earlier.json');
    writeResults(pretty, load('native.json'));
    writeFileSync(compact, JSON.stringify(load('constructed-gvisor-relabelled.json')));
    expect(readFileSync(compact, 'utf8')).not.toContain('\n');
    expect(semconf('merge', fixture('constructed-partial-relabelled.json'), '--out', earlier).status).toBe(0);
    const out = join(dir, 'm.json');
    const r = semconf('merge', pretty, earlier, compact, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const written = readMatrix(out);
    const inputs: MergeInput[] = [
      { source: pretty, path: pretty, results: readResults(pretty) },
      ...readMatrix(earlier).targets.map((t) => ({ source: `${earlier}#${t.id}`, path: earlier, results: t.results })),
      { source: compact, path: compact, results: readResults(compact) },
    ];
    expect(written).toEqual(merge(inputs, { createdAt: written.createdAt, toolVersion: written.tool.version }));
    expect(written.targets).toHaveLength(3);
    expect(semconf('validate', out).status).toBe(0);
    expect(semconf('report', '--format', 'md', out).status).toBe(0);
  });

  it('a bad file in the middle: exit 2, that file named, nothing written', () => {
    const dir = scratch();
    const native = load('native.json');
    const files = Array.from({ length: 7 }, (_, k) => {
      const file = join(dir, `in-${k}.json`);
      writeResults(file, { ...native, target: { ...native.target, id: `t-${k}` } });
      return file;
    });
    const bad = files[3] ?? '';
    writeFileSync(bad, JSON.stringify({ ...readResults(bad), complete: 'yes' }));
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const r = semconf('merge', ...files, '--out', join(outDir, 'm.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}: not a valid semconf-results/1 file: at complete:`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(outDir)).toEqual([]);
  });
});

describe('merge worker (src/merge-worker.ts)', () => {
  it('spools the results it read to the spool it was given and answers with their range, not their JSON', async () => {
    const dir = scratch();
    const spool = Spool.beside(join(dir, 'm.json'), '0');
    const worker = new Worker(workerScript, { workerData: { spool: spool.descriptor } satisfies WorkerStart });
    try {
      const ask = (index: number, file: string): Promise<WorkerAnswer> =>
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.postMessage({ index, file });
        });
      const answers = [await ask(0, fixture('native.json')), await ask(1, fixture('constructed-gvisor-relabelled.json'))];
      for (const [i, name] of ['native.json', 'constructed-gvisor-relabelled.json'].entries()) {
        const a = answers[i];
        if (a === undefined || !('entries' in a)) throw new Error(`no entries for ${name}`);
        expect(a.index).toBe(i);
        const [entry] = a.entries;
        expect(a.entries).toHaveLength(1);
        expect(Object.keys(entry ?? {}).sort()).toEqual(['facts', 'results', 'source']);
        const range = entry?.results;
        if (range === undefined || range === null) throw new Error(`${name} was not spooled`);
        // the exact bytes the matrix gets: the compact JSON of the validated results
        expect(Buffer.from(spool.read(range)).toString('utf8')).toBe(JSON.stringify(load(name)));
      }
    } finally {
      await worker.terminate();
      spool.close();
    }
  });
});
