// `semconf merge` through its worker threads (src/merge-files.ts) writes the matrix the in-memory merge (src/merge.ts
// merge(), the reference: every input parsed and validated at once) makes of the same inputs: results files of both
// versions (semconf-results/2 as written, /1 compact), matrices of both versions merged again, and a clash --prefer
// settles (the matrix written again). And the worker's side of it: the bytes of the results it read, in a buffer it
// moves to the main thread.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { WorkerAnswer, WorkerMessage } from '../src/merge-files.js';
import { readMatrix } from '../src/matrix.js';
import { merge, type MergeInput } from '../src/merge.js';
import { encodeResults, resultsFileText } from '../src/results-codec.js';
import { readResults, writeResults } from '../src/results.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

const workerScript = new URL('../dist/src/merge-worker.js', import.meta.url);

describe('semconf merge: the matrix is the in-memory merge of the same inputs', () => {
  it('results files of both versions and matrices of both versions merged again; validate and report accept it', () => {
    const dir = scratch();
    const pretty = join(dir, 'pretty.json');
    const compact = join(dir, 'compact.json');
    const earlier = join(dir, 'earlier.json');
    writeResults(pretty, load('native.json'));
    writeFileSync(compact, JSON.stringify(load('constructed-gvisor-relabelled.json')));
    expect(readFileSync(compact, 'utf8')).not.toContain('\n');
    expect(semconf('merge', fixture('constructed-partial-relabelled.json'), '--out', earlier).status).toBe(0);
    // a matrix of version 1 (as merge wrote them before semconf-matrix/2: the in-memory form), merged again too
    const old = join(dir, 'old-matrix.json');
    const oldTarget = load('mlock-only.json');
    writeFileSync(old, JSON.stringify(merge([{ source: 'x.json', path: '/x.json', results: { ...oldTarget, target: { ...oldTarget.target, id: 'from-v1-matrix' } } }], { createdAt: '2026-01-01T00:00:00.000Z', toolVersion: '0.0.0' }), null, 2));
    expect(readFileSync(old, 'utf8')).toContain('"schema": "semconf-matrix/1"');
    const out = join(dir, 'm.json');
    const r = semconf('merge', pretty, earlier, compact, old, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const written = readMatrix(out);
    const inputs: MergeInput[] = [
      { source: pretty, path: pretty, results: readResults(pretty) },
      ...readMatrix(earlier).targets.map((t) => ({ source: `${earlier}#${t.id}`, path: earlier, results: t.results })),
      { source: compact, path: compact, results: readResults(compact) },
      ...readMatrix(old).targets.map((t) => ({ source: `${old}#${t.id}`, path: old, results: t.results })),
    ];
    expect(written).toEqual(merge(inputs, { createdAt: written.createdAt, toolVersion: written.tool.version }));
    expect(written.targets).toHaveLength(4);
    expect(semconf('validate', old).stdout).toContain('valid semconf-matrix/1');
    expect(semconf('validate', out).stdout).toContain('valid semconf-matrix/2');
    expect(semconf('validate', out).status).toBe(0);
    expect(semconf('report', '--format', 'md', out).status).toBe(0);
  });

  it('strings with quotes, backslashes, whitespace and non-ASCII; \\u escapes; a file only zod accepts', () => {
    const dir = scratch();
    const native = load('native.json');
    const tricky = 'said "hi" \\ back\\slash\\"  two  spaces,\ttab\nline { "x": [1, 2] } é 日本 👍 \u2028';
    // pretty-printed, as semconf writes: its bytes are copied (src/compact-json.ts)
    const hostile = join(dir, 'hostile.json');
    writeResults(hostile, {
      ...native,
      target: { ...native.target, id: 'hostile', kernel: tricky },
      cases: native.cases.map((c, i) => ({ ...c, title: `${c.title} ${tricky.slice(0, i + 1)}\\` })),
    });
    // \u escapes, which JSON.stringify writes shorter: stringified instead
    const escaped = join(dir, 'escaped.json');
    writeFileSync(escaped, JSON.stringify({ ...native, target: { ...native.target, id: 'escaped', kernel: tricky } }, null, 1).replace(/é/g, '\\u00e9'));
    expect(readFileSync(escaped, 'utf8')).toContain('\\u00e9');
    // the target's keys out of order: the fast path refuses (zod would reorder them), zod accepts
    const reordered = join(dir, 'reordered.json');
    const { id, ...rest } = native.target;
    writeFileSync(reordered, JSON.stringify({ ...native, target: { ...rest, id: `${id}-reordered` } }, null, 2));
    const out = join(dir, 'm.json');
    const r = semconf('merge', hostile, escaped, reordered, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const written = readMatrix(out);
    const inputs: MergeInput[] = [hostile, escaped, reordered].map((f) => ({ source: f, path: f, results: readResults(f) }));
    expect(written).toEqual(merge(inputs, { createdAt: written.createdAt, toolVersion: written.tool.version }));
    expect(written.targets.find((t) => t.id === 'hostile')?.results.target.kernel).toBe(tricky);
    expect(semconf('validate', out).status).toBe(0);
  });

  it('a clash --prefer settles: the matrix is written again with the winners alone, in the order read', () => {
    const dir = scratch();
    // gvisor.json holds results for native.json's target: one of them loses, between two that do not clash
    const files = [fixture('constructed-gvisor-relabelled.json'), fixture('native.json'), fixture('constructed-partial-relabelled.json'), fixture('gvisor.json')];
    for (const prefer of [fixture('native.json'), fixture('gvisor.json')]) {
      const out = join(dir, 'm.json');
      const r = semconf('merge', ...files, '--prefer', prefer, '--out', out);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const written = readMatrix(out);
      const inputs: MergeInput[] = files.map((f) => ({ source: f, path: f, results: readResults(f) }));
      expect(written).toEqual(merge(inputs, { createdAt: written.createdAt, toolVersion: written.tool.version, prefer: [prefer] }));
      expect(written.targets).toHaveLength(3);
      // the file holds the winners' results alone, each once
      const raw = JSON.parse(readFileSync(out, 'utf8')) as { results: unknown[]; targets: { results: number }[] };
      expect(raw.results).toHaveLength(3);
      expect(raw.targets.map((t) => t.results).sort()).toEqual([0, 1, 2]);
      expect(readdirSync(dir)).toEqual(['m.json']);
    }
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
    // the bad file is version 1 (results as in memory, stringified)
    expect(r.stderr).toContain(`${bad}: not a valid semconf-results/1 file: at complete:`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(outDir)).toEqual([]);
  });
});

/** A merge worker; `ask` sends it a file and waits for its answer. */
function startWorker(): { ask: (index: number, file: string) => Promise<WorkerAnswer>; giveBack: (b: Uint8Array) => void; stop: () => Promise<void> } {
  const worker = new Worker(workerScript);
  const ask = (index: number, file: string): Promise<WorkerAnswer> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({ index, file } satisfies WorkerMessage);
    });
  // as merge does once it has written them: the worker fills the buffer again
  const giveBack = (b: Uint8Array): void => worker.postMessage({ returned: b.buffer as ArrayBuffer } satisfies WorkerMessage, [b.buffer as ArrayBuffer]);
  return { ask, giveBack, stop: async () => void (await worker.terminate()) };
}

/** The results JSON a worker answered with for the one target of `answer`. */
function resultsText(answer: WorkerAnswer | undefined): string {
  if (answer === undefined || !('entries' in answer)) throw new Error('no entries');
  const results = answer.entries[0]?.results;
  if (results === undefined) throw new Error('no results');
  return Buffer.from(results).toString('utf8');
}

describe('merge worker (src/merge-worker.ts)', () => {
  it('answers with the results it read as compact JSON, in a buffer of its own moved to this thread', async () => {
    const { ask, giveBack, stop } = startWorker();
    try {
      const answers: WorkerAnswer[] = [];
      // the first answer's buffer given back before the second file (a larger one) is read: refilled, or replaced
      for (const [i, name] of ['mlock-only.json', 'native.json', 'constructed-gvisor-relabelled.json'].entries()) {
        const a = await ask(i, fixture(name));
        answers.push(a);
        if (i === 0 && 'entries' in a) giveBack(a.entries[0]?.results ?? new Uint8Array());
      }
      expect(answers[0] !== undefined && 'entries' in answers[0] && answers[0].entries[0]?.results.byteLength).toBe(0); // given back: detached here
      answers.shift();
      for (const [i, name] of ['native.json', 'constructed-gvisor-relabelled.json'].entries()) {
        const a = answers[i];
        if (a === undefined || !('entries' in a)) throw new Error(`no entries for ${name}`);
        expect(a.index).toBe(i + 1);
        const [entry] = a.entries;
        expect(a.entries).toHaveLength(1);
        expect(Object.keys(entry ?? {}).sort()).toEqual(['facts', 'results', 'source']);
        const results = entry?.results;
        expect(results).toBeInstanceOf(Uint8Array);
        // moved, not copied into a shared pool: the buffer is the answer's alone, to be given back
        expect(results?.buffer).toBeInstanceOf(ArrayBuffer);
        // the exact bytes the matrix gets: the compact JSON of the validated results, as a file holds them (the
        // fixtures are files of version 1: encoded)
        expect(resultsText(a)).toBe(JSON.stringify(encodeResults(load(name))));
      }
    } finally {
      await stop();
    }
  });

  it("copies a file the fast path accepted as it is written, less whitespace; stringifies zod's output", async () => {
    const dir = scratch();
    const native = load('native.json');
    // a number as JSON.stringify would not write it: the copy keeps it, so these are the file's bytes
    const duration = String(native.cases[0]?.durationMs);
    expect(duration).toMatch(/^\d+(\.\d+)?$/);
    const asWritten = join(dir, 'as-written.json');
    const file = encodeResults(native);
    writeFileSync(asWritten, resultsFileText(file).replace(`"durationMs":${duration},`, `"durationMs":${duration}e0,`));
    // keys out of order: zod's output has them in the schema's order, and that is what is answered
    const reordered = join(dir, 'reordered.json');
    const { id, ...rest } = file.target;
    const reorderedValue = { ...file, target: { ...rest, id } };
    writeFileSync(reordered, JSON.stringify(reorderedValue, null, 2));
    const { ask, stop } = startWorker();
    try {
      const copied = resultsText(await ask(0, asWritten));
      expect(copied).toBe(JSON.stringify(file).replace(`"durationMs":${duration},`, `"durationMs":${duration}e0,`));
      const stringified = resultsText(await ask(1, reordered));
      expect(stringified).toBe(JSON.stringify(file));
      expect(stringified).not.toBe(JSON.stringify(reorderedValue));
    } finally {
      await stop();
    }
  });
});
