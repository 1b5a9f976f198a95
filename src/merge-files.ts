// The files side of `semconf merge`, in bounded memory: each input is read and validated on its own (in a few worker
// threads, src/merge-worker.ts), what the merge decides on (its facts) is kept, its results go to the worker's spool as
// JSON, and the parsed file is gone before more are read. The matrix is then written in target order from the spools.
// Memory thus grows with the targets' facts, not with their results (a results file of 100 cases is ~0.6 MB of JSON,
// several MB parsed), and the results bytes never pass between threads (cloning ~0.5 MB a file to this thread, then a
// Buffer of it to spool, cost a worker ~10% of its time per file, and a 1,000-file merge 15-25 MiB of peak memory).
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

/** What a worker starts with: the descriptor of the spool it fills (null: the spool could not be opened). */
export interface WorkerStart {
  spool: number | null;
}
export interface WorkerJob {
  index: number;
  file: string;
}
/** A target read by a worker: its results are in the worker's spool (null: not spooled, the spool failed). */
export type SpooledEntry = Omit<ReadEntry, 'json'> & { results: SpoolRange | null };
export type WorkerAnswer =
  | { index: number; entries: SpooledEntry[]; spoolFailure?: string }
  | { index: number; error: { input: boolean; message: string; stack: string } };
/** Where a target's results are: which worker's spool, and the range in it. */
export type SpooledResults = SpoolRange & { spool: number };

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
async function readInOrder(
  files: readonly MergeFile[],
  spools: readonly Spool[],
  take: (file: MergeFile, entries: SpooledEntry[], spool: number) => void,
): Promise<void> {
  // execArgv: none of this process's node options: a worker is a plain module, whatever started semconf (node -e with
  // --input-type, as the benchmark does, would be refused in a worker).
  const workers = spools.map(
    (spool) =>
      new Worker(new URL('./merge-worker.js', import.meta.url), {
        execArgv: [],
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MIB },
        workerData: { spool: spool.descriptor } satisfies WorkerStart,
      }),
  );
  const count = workers.length;
  try {
    await new Promise<void>((resolve, reject) => {
      const order = new InOrder<Worker, { worker: Worker; answer: WorkerAnswer }>(
        files.length,
        AHEAD * count,
        workers,
        (w, index) => w.postMessage({ index, file: (files[index] as MergeFile).file } satisfies WorkerJob),
        (index, { worker: w, answer: a }) => {
          if ('error' in a) {
            if (a.error.input) throw new ResultsFileError(a.error.message);
            throw Object.assign(new Error(a.error.message), { stack: a.error.stack });
          }
          const spool = workers.indexOf(w);
          if (a.spoolFailure !== undefined) spools[spool]?.appendFailed(a.spoolFailure);
          take(files[index] as MergeFile, a.entries, spool);
        },
      );
      for (const w of workers) {
        w.on('message', (a: WorkerAnswer) => {
          try {
            if (order.answer(w, a.index, { worker: w, answer: a })) resolve();
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
export async function mergeFiles(files: readonly MergeFile[], out: string, options: MergeOptions): Promise<PlannedMatrix<SpooledResults | null>> {
  const count = Math.max(1, Math.min(MAX_WORKERS, availableParallelism(), files.length));
  // one spool per worker, each filled by its worker alone; closed only once every worker is gone (readInOrder ends them)
  const spools = Array.from({ length: count }, (_, i) => Spool.beside(out, String(i)));
  try {
    const inputs: FactsInput<SpooledResults | null>[] = [];
    await readInOrder(files, spools, ({ path }, entries, spool) => {
      for (const { source, facts, results } of entries) inputs.push({ source, path, facts, results: results === null ? null : { spool, ...results } });
    });
    const matrix = mergeFacts(inputs, options);
    // Every input validated and the matrix decided: only now is an output problem the error (exit 1).
    for (const s of spools) if (s.failure !== null) throw s.failure;
    const { targets, ...envelope } = matrix;
    writeMatrixChunks(out, envelope, targets, (i) => {
      const at = targets[i]?.results;
      const spool = at === undefined || at === null ? undefined : spools[at.spool];
      if (at === undefined || at === null || spool === undefined) throw new OutputError(`could not write ${out} (target ${i} has no spooled results); nothing was written`);
      return spool.fileRange(at);
    });
    return matrix;
  } finally {
    for (const s of spools) s.close();
  }
}
