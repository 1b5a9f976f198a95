// A merge worker thread: reads and validates the files it is sent, one at a time (src/merge-read.ts), appends each
// target's results JSON to its own spool (src/spool.ts: the descriptor comes from the main thread, which opened it and
// reads it back), and answers with the facts and where the results went, or the error that names the bad file. Reading
// is most of a merge's time (JSON.parse, validation through src/fast-validate.ts or zod, compacting the file's bytes)
// and files are independent, so merge spreads them over a few of these (src/merge-files.ts); the results bytes stay
// in the worker's thread and its spool, never copied to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { SpooledEntry, WorkerAnswer, WorkerJob, WorkerStart } from './merge-files.js';
import { readEntries } from './merge-read.js';
import { ResultsFileError } from './results.js';
import { SpoolAppender } from './spool.js';

const port = parentPort;
if (port === null) throw new Error('merge-worker.js runs as a worker thread of semconf merge');
const start = workerData as WorkerStart;
const spool = start.spool === null ? null : new SpoolAppender(start.spool);
/** Once an append failed, nothing more is spooled: the files are still validated, so that a bad input is the error. */
let spoolFailed = false;

function spooled(json: string | Uint8Array): SpooledEntry['results'] {
  if (spool === null || spoolFailed) return null;
  return spool.append(json);
}

port.on('message', (job: WorkerJob) => {
  let answer: WorkerAnswer;
  try {
    const entries = readEntries(job.file);
    let spoolFailure: string | undefined;
    const out = entries.map(({ source, facts, json }): SpooledEntry => {
      try {
        return { source, facts, results: spooled(json) };
      } catch (e) {
        spoolFailed = true;
        spoolFailure = e instanceof Error ? e.message : String(e);
        return { source, facts, results: null };
      }
    });
    answer = { index: job.index, entries: out, ...(spoolFailure !== undefined ? { spoolFailure } : {}) };
  } catch (e) {
    // A bad input is the user's to fix (exit 2, its one-line message); anything else is a bug, shown with its stack.
    const error = e instanceof Error ? e : new Error(String(e));
    answer = { index: job.index, error: { input: error instanceof ResultsFileError, message: error.message, stack: error.stack ?? '' } };
  }
  port.postMessage(answer);
});
