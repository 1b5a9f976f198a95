// The files side of `semconf merge`, in bounded memory: each input is read and validated on its own (in a few worker
// threads, src/merge-worker.ts), what the merge decides on (its facts) is kept, and its results JSON is written into
// the matrix as soon as its file's turn comes, in the order of the files (the matrix holds them so: src/matrix.ts
// MatrixFile), while the workers read the rest. The envelope and the targets, which need every input, come last.
// Memory thus grows with the targets' facts, not with their results (a results file of 100 cases is ~0.24 MB of JSON,
// a few MB parsed): the JSON comes from the worker in a buffer moved, not copied, and goes back to it once written
// (src/merge-worker.ts), and the files ahead of their turn are at most a few per worker (AHEAD). (Each worker once
// wrote its results to a spool file of its own, and this thread copied them from there into the matrix: the disk
// wrote every byte twice, and a merge of 1,000 files took ~8% longer.)
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InOrder } from './in-order.js';
import type { MatrixWriter } from './matrix.js';
import type { ReadEntry } from './merge-read.js';
import type { FactsInput, MergeOptions, PlannedMatrix } from './merge.js';
import { OutputError, ResultsFileError } from './file-errors.js';
import { compiledScript } from './package-info.js';
import { Spool } from './spool.js';

export interface MergeFile {
  /** the path as given: names the input in messages and in the matrix */
  file: string;
  /** its absolute path, the identity --prefer and --expect name */
  path: string;
}

/** A file for a worker to read. */
export interface WorkerJob {
  index: number;
  file: string;
}
/** A buffer of a worker's answer given back to it, its results written. */
export interface BufferReturn {
  returned: ArrayBuffer;
}
export type WorkerMessage = WorkerJob | BufferReturn;
/** A target read by a worker: its results JSON (compact, as a results file holds them), in a buffer of the worker's
 * moved to this thread. */
export type ReadTarget = Omit<ReadEntry, 'json'> & { results: Uint8Array };
export type WorkerAnswer = { index: number; entries: ReadTarget[] } | { index: number; error: { input: boolean; message: string; stack: string } };
/** A target's results: their index in the matrix being written (null: not written, the output failed). */
export interface MergedResults {
  index: number | null;
}

/** Workers: one per core, at most this many. Each holds one parsed file at a time but adds its own heap to the
 * process's peak (merge of 1,000 files, 2 / 3 / 4 workers: ~215 / 262 / 322 MiB): three keep it under 300 MiB. */
const MAX_WORKERS = 3;
/** A small young generation: a file's objects live until its answer is sent, so a larger one only delays their
 * promotion, and the worker's resident memory grows with it at no clear gain in speed (measured: 8 vs 32 MiB, ~4%
 * in the median of 10 interleaved merges, none in their fastest). */
const YOUNG_MIB = 8;
/** How many files, per worker, may be out ahead of the next one to take (src/in-order.ts). */
const AHEAD = 2;

/** The merge worker's module: beside this one in dist/src (tsc's output), else there (this code is in a chunk of the
 * bundled command line, dist/src/chunks/: scripts/bundle.ts; or the TypeScript sources under the tests). */
const mergeWorkerScript = (): string => compiledScript(import.meta.url, 'merge-worker.js', 'src');

/** The entries of a file, read by `worker` (to which each results buffer goes back once written). */
type Take = (file: MergeFile, entries: ReadTarget[], worker: Worker) => void;

/** Each file's entries, handed to `take` in the order of `files` whatever order the workers finish in, by `count`
 * workers. The first bad file in that order is the error, as if they had been read one by one. `prepare` runs once
 * the workers are started and sent their first files, while they start (three workers, bundled, take ~80-150 ms to
 * load what they need: scripts/bundle.ts), and gives `take`; entries that arrive before it has are handed to it then. */
async function readInOrder<P extends { take: Take }>(files: readonly MergeFile[], count: number, prepare: () => Promise<P>): Promise<P> {
  // execArgv: none of this process's node options: a worker is a plain module, whatever started semconf (node -e with
  // --input-type, as the benchmark does, would be refused in a worker).
  const script = mergeWorkerScript();
  const workers = Array.from(
    { length: count },
    () => new Worker(script, { execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MIB } }),
  );
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
          const entry: Parameters<Take> = [files[index] as MergeFile, a.entries, w];
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

/** The matrix `first`, written with every target read, written again as `again` with the results of `kept` alone, in
 * their order (--prefer dropped the others): through a spool beside `out`, since both files cannot be open at once
 * (they have one temporary name). Each kept target's index in `again`. */
function writeAgain<R extends MergedResults>(first: MatrixWriter, open: () => MatrixWriter, kept: readonly FactsInput<R>[], out: string): { again: MatrixWriter; index: Map<R, number> } {
  const spool = Spool.beside(out, 'prefer');
  try {
    const spooled = kept.map((input) => {
      const range = input.results.index === null ? null : spool.appendRange(first.resultsRange(input.results.index));
      if (range === null) throw spool.failure ?? new OutputError(`could not write ${out} (target ${input.facts.target.id} has no results written); nothing was written`);
      return { input, range };
    });
    first.abort();
    const again = open();
    const index = new Map(spooled.map(({ input, range }) => [input.results, again.results(input.facts.target.id, spool.fileRange(range))]));
    return { again, index };
  } finally {
    first.abort(); // (done already, unless something above failed)
    spool.close();
  }
}

/** Merge `files` into the matrix `out`; returns the matrix as planned. A bad input is a ResultsFileError naming it,
 * and nothing is written. */
export async function mergeFiles(files: readonly MergeFile[], out: string, options: MergeOptions): Promise<PlannedMatrix<MergedResults>> {
  const count = Math.max(1, Math.min(MAX_WORKERS, availableParallelism(), files.length));
  // An output that cannot be opened or written is the error only once every input is validated (a bad input is the
  // error that matters): until then the inputs are still read, and no more is written.
  const output: { writer: MatrixWriter | null; failure: unknown } = { writer: null, failure: null };
  const written = (results: Uint8Array, id: string): number | null => {
    const w = output.writer;
    if (w === null || output.failure !== null) return null;
    try {
      return w.results(id, results);
    } catch (e) {
      output.writer = null; // a failed write aborted the file
      output.failure = e;
      return null;
    }
  };
  try {
    const inputs: FactsInput<MergedResults>[] = [];
    const { open, decide } = await readInOrder(files, count, async () => {
      // Loaded while the workers start: the matrix's module (zod and the schemas, ~150 ms) and the merge's.
      const [{ MatrixWriter }, { mergeFacts }] = await Promise.all([import('./matrix.js'), import('./merge.js')]);
      try {
        output.writer = MatrixWriter.open(out);
      } catch (e) {
        output.failure = e;
      }
      const take: Take = ({ path }, entries, worker) => {
        for (const { source, facts, results } of entries) {
          inputs.push({ source, path, facts, results: { index: written(results, facts.target.id) } });
          // written (or not, the output failed): the buffer goes back to its worker, to be filled again
          worker.postMessage({ returned: results.buffer as ArrayBuffer } satisfies BufferReturn, [results.buffer as ArrayBuffer]);
        }
      };
      return { take, open: (file: string) => MatrixWriter.open(file), decide: mergeFacts<MergedResults> };
    });
    const matrix = decide(inputs, options);
    // Every input validated and the matrix decided: only now is an output problem the error (exit 1).
    if (output.failure !== null) throw output.failure;
    let targets = matrix.targets;
    const first = output.writer;
    if (first !== null && targets.length < inputs.length) {
      // A target that lost to another file of its id (--prefer) was written as it was read: the results are written
      // again, the winners' alone, in the same order.
      const won = new Set(targets.map((t) => t.results));
      output.writer = null;
      const { again, index } = writeAgain(first, () => open(out), inputs.filter((i) => won.has(i.results)), out);
      output.writer = again;
      targets = targets.map((t) => ({ ...t, results: { index: index.get(t.results) ?? null } }));
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
  }
}
