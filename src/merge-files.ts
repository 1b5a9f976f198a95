// The files side of `semconf merge`, in bounded memory: each input is read and validated on its own (in a few worker
// threads, src/merge-worker.ts), what the merge decides on (its facts) is kept, its results go to a spool as JSON, and
// the parsed file is gone before more are read. The matrix is then written in target order from the spool. Memory thus
// grows with the targets' facts, not with their results (a results file of 100 cases is ~0.6 MB of JSON, several MB
// parsed).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
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

/** Each file's entries, handed to `take` in the order of `files` whatever order the workers finish in. The first bad
 * file in that order is the error, as if they had been read one by one. */
async function readInOrder(files: readonly MergeFile[], take: (file: MergeFile, entries: ReadEntry[]) => void): Promise<void> {
  const count = Math.max(1, Math.min(MAX_WORKERS, availableParallelism(), files.length));
  // execArgv: none of this process's node options: a worker is a plain module, whatever started semconf (node -e with
  // --input-type, as the benchmark does, would be refused in a worker).
  const workers = Array.from({ length: count }, () => new Worker(new URL('./merge-worker.js', import.meta.url), { execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MIB } }));
  try {
    await new Promise<void>((resolve, reject) => {
      const done = new Map<number, WorkerAnswer>();
      let sent = 0;
      let next = 0;
      const send = (w: Worker): void => {
        // A worker gets its next file when it answers; answers that arrive ahead of their turn wait in `done`,
        // bounded by the number of workers.
        if (sent < files.length) {
          const job: WorkerJob = { index: sent, file: (files[sent] as MergeFile).file };
          sent += 1;
          w.postMessage(job);
        }
      };
      for (const w of workers) {
        w.on('message', (answer: WorkerAnswer) => {
          done.set(answer.index, answer);
          try {
            for (let a = done.get(next); a !== undefined; a = done.get(next)) {
              done.delete(next);
              if ('error' in a) {
                if (a.error.input) throw new ResultsFileError(a.error.message);
                throw Object.assign(new Error(a.error.message), { stack: a.error.stack });
              }
              take(files[next] as MergeFile, a.entries);
              next += 1;
            }
          } catch (e) {
            reject(e);
            return;
          }
          if (next === files.length) resolve();
          else send(w);
        });
        w.on('error', reject);
        // a worker that ends by itself has died (it never exits while it has work): after a settled promise, a no-op
        w.on('exit', (code) => reject(new Error(`a merge worker stopped (exit code ${code})`)));
        send(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Merge `files` into the matrix `out`; returns the matrix as planned (targets' results: where they were spooled). A
 * bad input is a ResultsFileError naming it, and nothing is written. */
export async function mergeFiles(files: readonly MergeFile[], out: string, options: MergeOptions): Promise<PlannedMatrix<SpoolRange | null>> {
  // A spool that cannot be opened is an output problem: every input is still validated first (a bad input is the
  // error that matters, exit 2), then the output's error is raised, as when the matrix itself cannot be written.
  let spool: Spool | OutputError;
  try {
    spool = Spool.beside(out);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    spool = e;
  }
  try {
    const inputs: FactsInput<SpoolRange | null>[] = [];
    const into = spool;
    await readInOrder(files, ({ path }, entries) => {
      for (const { source, facts, json } of entries) inputs.push({ source, path, facts, results: into instanceof Spool ? into.append(json) : null });
    });
    const matrix = mergeFacts(inputs, options);
    if (spool instanceof OutputError) throw spool;
    const { targets, ...envelope } = matrix;
    const from = spool;
    writeMatrixChunks(out, envelope, targets, (i) => {
      const range = targets[i]?.results;
      if (range === undefined || range === null) throw new OutputError(`could not write ${out} (target ${i} has no spooled results); nothing was written`);
      return from.read(range);
    });
    return matrix;
  } finally {
    if (spool instanceof Spool) spool.close();
  }
}
