// The files side of `semconf merge`, in bounded memory: each input is read and validated on its own (in a few worker
// threads, src/merge-worker.ts), what the merge decides on (its facts) is kept, its results go to the worker's spool as
// JSON, and the parsed file is gone before more are read. Each target's results are copied from the spool into the
// matrix as soon as their file is read, in the order of the files (the matrix holds them so: src/matrix.ts
// MatrixFile), while the workers read the rest: the main thread is otherwise idle, and the disk writes while they
// read. The envelope and the targets, which need every input, come last.
// Memory thus grows with the targets' facts, not with their results (a results file of 100 cases is ~0.24 MB of JSON,
// a few MB parsed), and the results bytes never pass between threads (cloning ~0.5 MB a file to this thread, then a
// Buffer of it to spool, cost a worker ~10% of its time per file, and a 1,000-file merge 15-25 MiB of peak memory).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InOrder } from './in-order.js';
import type { MatrixWriter } from './matrix.js';
import type { ReadEntry } from './merge-read.js';
import type { FactsInput, MergeOptions, PlannedMatrix } from './merge.js';
import type { FileRange } from './copy-range.js';
import { OutputError, ResultsFileError } from './file-errors.js';
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
/** A target's results: where they were spooled (null: not spooled, the spool failed) and their index in the matrix
 * being written (null: not written, the output failed). */
export interface MergedResults {
  spooled: SpooledResults | null;
  index: number | null;
}

/** Workers: one per core, at most this many. Each holds one parsed file at a time but adds its own heap to the
 * process's peak (merge of 1,000 files, 2 / 3 / 4 workers: ~215 / 262 / 322 MiB): three keep it under 300 MiB. */
const MAX_WORKERS = 3;
/** A small young generation: a file's objects live until it is spooled, so a larger one only delays their
 * promotion, and the worker's resident memory grows with it at no gain in speed (measured: 8 vs 32 MiB). */
const YOUNG_MIB = 8;
/** How many files, per worker, may be out ahead of the next one to take (src/in-order.ts). */
const AHEAD = 2;

type Take = (file: MergeFile, entries: SpooledEntry[], spool: number) => void;

/** Each file's entries, handed to `take` in the order of `files` whatever order the workers finish in. The first bad
 * file in that order is the error, as if they had been read one by one. `prepare` runs once the workers are started
 * and sent their first files, while they start (a worker takes ~150 ms to load what it needs), and gives `take`;
 * entries that arrive before it has are handed to it then. */
async function readInOrder<P extends { take: Take }>(files: readonly MergeFile[], spools: readonly Spool[], prepare: () => Promise<P>): Promise<P> {
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
    let take: Take | null = null;
    const early: Parameters<Take>[] = [];
    const read = new Promise<void>((resolve, reject) => {
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
          const entry: Parameters<Take> = [files[index] as MergeFile, a.entries, spool];
          if (take === null) early.push(entry);
          else take(...entry);
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
    const preparing = prepare().then((p) => {
      take = p.take;
      for (const entry of early.splice(0)) p.take(...entry);
      return p;
    });
    try {
      await read;
    } catch (e) {
      // A bad input is the error, whatever `prepare` does; but only once it is done, so that what it opened (the
      // output) is there for the caller to remove.
      await preparing.catch(() => undefined);
      throw e;
    }
    return await preparing;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Merge `files` into the matrix `out`; returns the matrix as planned. A bad input is a ResultsFileError naming it,
 * and nothing is written. */
export async function mergeFiles(files: readonly MergeFile[], out: string, options: MergeOptions): Promise<PlannedMatrix<MergedResults>> {
  const count = Math.max(1, Math.min(MAX_WORKERS, availableParallelism(), files.length));
  // one spool per worker, each filled by its worker alone; closed only once every worker is gone (readInOrder ends them)
  const spools = Array.from({ length: count }, (_, i) => Spool.beside(out, String(i)));
  const rangeOf = (at: SpooledResults | null): FileRange => {
    const spool = at === null ? undefined : spools[at.spool];
    if (at === null || spool === undefined) throw new OutputError(`could not write ${out} (results not spooled); nothing was written`);
    return spool.fileRange(at);
  };
  // An output that cannot be opened or written is the error only once every input is validated (a bad input is the
  // error that matters): until then the inputs are still read, and no more is written.
  const output: { writer: MatrixWriter | null; failure: unknown } = { writer: null, failure: null };
  const written = (spooled: SpooledResults, id: string): number | null => {
    const w = output.writer;
    if (w === null || output.failure !== null) return null;
    try {
      return w.results(id, rangeOf(spooled));
    } catch (e) {
      output.writer = null; // a failed write aborted the file
      output.failure = e;
      return null;
    }
  };
  try {
    const inputs: FactsInput<MergedResults>[] = [];
    const { open, decide } = await readInOrder(files, spools, async () => {
      // Loaded while the workers start: the matrix's module (zod and the schemas, ~150 ms) and the merge's.
      const [{ MatrixWriter }, { mergeFacts }] = await Promise.all([import('./matrix.js'), import('./merge.js')]);
      try {
        output.writer = MatrixWriter.open(out);
      } catch (e) {
        output.failure = e;
      }
      const take: Take = ({ path }, entries, spool) => {
        for (const { source, facts, results } of entries) {
          const spooled = results === null ? null : { spool, ...results };
          inputs.push({ source, path, facts, results: { spooled, index: spooled === null ? null : written(spooled, facts.target.id) } });
        }
      };
      return { take, open: (file: string) => MatrixWriter.open(file), decide: mergeFacts<MergedResults> };
    });
    const matrix = decide(inputs, options);
    // Every input validated and the matrix decided: only now is an output problem the error (exit 1).
    for (const s of spools) if (s.failure !== null) throw s.failure;
    if (output.failure !== null) throw output.failure;
    let targets = matrix.targets;
    if (targets.length < inputs.length) {
      // A target that lost to another file of its id (--prefer) was written as it was read: the results are written
      // again, the winners' alone, in the same order.
      output.writer?.abort();
      const again = open(out);
      output.writer = again;
      const won = new Set(targets.map((t) => t.results));
      const index = new Map(inputs.filter((i) => won.has(i.results)).map((i) => [i.results, again.results(i.facts.target.id, rangeOf(i.results.spooled))]));
      targets = targets.map((t) => ({ ...t, results: { ...t.results, index: index.get(t.results) ?? null } }));
    }
    const done = output.writer;
    if (done === null) throw new OutputError(`could not write ${out}; nothing was written`);
    const { targets: _planned, schema: _schema, ...envelope } = matrix;
    done.finish(
      envelope,
      targets.map((t) => {
        if (t.results.index === null) throw new OutputError(`could not write ${out} (target ${t.id} has no results written); nothing was written`);
        return { ...t, results: t.results.index };
      }),
    );
    output.writer = null;
    return { ...matrix, targets };
  } finally {
    output.writer?.abort();
    for (const s of spools) s.close();
  }
}
