// The files side of `semconf merge`, in bounded memory: each input is read and validated on its own (in a few worker
// threads, src/merge-worker.ts), what the merge decides on (its facts) is kept, its results go to a spool as JSON, and
// the parsed file is gone before more are read. The matrix is then written in target order from the spool. Memory thus
// grows with the targets' facts, not with their results (a results file of 100 cases is ~0.6 MB of JSON, several MB
// parsed).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InOrder } from './in-order.js';
import { writeMatrixChunks } from './matrix.js';
import type { ReadEntry } from './merge-read.js';
import { type FactsInput, mergeFacts, type MergeOptions, type PlannedMatrix } from './merge.js';
import { OutputError, ResultsFileError } from './results.js';
import { Spool, type SpoolRange } from './spool.js';

export interface MergeFile {
  /** the path as given: names the input in messages and in the matrix */
  file: string;
  /** its absolute path, the identity --prefer and --expect name */
  path: string;
}

export interface WorkerJob {
  index: number;
  file: string;
}
export type WorkerAnswer =
  | { index: number; entries: ReadEntry[] }
  | { index: number; error: { input: boolean; message: string; stack: string } };

/** Workers: one per core, at most this many. Each holds one parsed file at a time but adds its own heap to the
 * process's peak (merge of 1,000 files, 2 / 3 / 4 workers: ~215 / 262 / 322 MiB): three keep it under 300 MiB. */
const MAX_WORKERS = 3;
/** A small young generation: a file's objects live until it is spooled, so a larger one only delays their
 * promotion, and the worker's resident memory grows with it at no gain in speed (measured: 8 vs 32 MiB). */
const YOUNG_MIB = 8;
/** How many files, per worker, may be out ahead of the next one to take (src/in-order.ts). */
const AHEAD = 2;

/** Each file's entries, handed to `take` in the order of `files` whatever order the workers finish in. The first bad
 * file in that order is the error, as if they had been read one by one. */
async function readInOrder(files: readonly MergeFile[], take: (file: MergeFile, entries: ReadEntry[]) => void): Promise<void> {
  const count = Math.max(1, Math.min(MAX_WORKERS, availableParallelism(), files.length));
  // execArgv: none of this process's node options: a worker is a plain module, whatever started semconf (node -e with
  // --input-type, as the benchmark does, would be refused in a worker).
  const workers = Array.from({ length: count }, () => new Worker(new URL('./merge-worker.js', import.meta.url), { execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MIB } }));
  try {
    await new Promise<void>((resolve, reject) => {
      const order = new InOrder<Worker, WorkerAnswer>(
        files.length,
        AHEAD * count,
        workers,
        (w, index) => w.postMessage({ index, file: (files[index] as MergeFile).file } satisfies WorkerJob),
        (index, a) => {
          if ('error' in a) {
            if (a.error.input) throw new ResultsFileError(a.error.message);
            throw Object.assign(new Error(a.error.message), { stack: a.error.stack });
          }
          take(files[index] as MergeFile, a.entries);
        },
      );
      for (const w of workers) {
        w.on('message', (a: WorkerAnswer) => {
          try {
            if (order.answer(w, a.index, a)) resolve();
          } catch (e) {
            reject(e);
          }
        });
        w.on('error', reject);
        // a worker that ends by itself has died (it never exits while it has work): after a settled promise, a no-op
        w.on('exit', (code) => reject(new Error(`a merge worker stopped (exit code ${code})`)));
      }
      order.pump();
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Merge `files` into the matrix `out`; returns the matrix as planned (targets' results: where they were spooled). A
 * bad input is a ResultsFileError naming it, and nothing is written. */
export async function mergeFiles(files: readonly MergeFile[], out: string, options: MergeOptions): Promise<PlannedMatrix<SpoolRange | null>> {
  const spool = Spool.beside(out);
  try {
    const inputs: FactsInput<SpoolRange | null>[] = [];
    await readInOrder(files, ({ path }, entries) => {
      for (const { source, facts, json } of entries) inputs.push({ source, path, facts, results: spool.append(json) });
    });
    const matrix = mergeFacts(inputs, options);
    // Every input validated and the matrix decided: only now is an output problem the error (exit 1).
    if (spool.failure !== null) throw spool.failure;
    const { targets, ...envelope } = matrix;
    writeMatrixChunks(out, envelope, targets, (i) => {
      const range = targets[i]?.results;
      if (range === undefined || range === null) throw new OutputError(`could not write ${out} (target ${i} has no spooled results); nothing was written`);
      return spool.read(range);
    });
    return matrix;
  } finally {
    spool.close();
  }
}
