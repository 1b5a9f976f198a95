// A merge worker thread: reads and validates the files it is sent, one at a time (src/merge-read.ts), and answers
// with their entries or the error that names the bad one. Reading is most of a merge's time (JSON.parse, validation
// through src/fast-validate.ts or zod, JSON.stringify), and files are independent, so merge spreads them over a few of
// these (src/merge-files.ts).
import { parentPort } from 'node:worker_threads';
import { readEntries } from './merge-read.js';
import { ResultsFileError } from './results.js';
import type { WorkerAnswer, WorkerJob } from './merge-files.js';

const port = parentPort;
if (port === null) throw new Error('merge-worker.js runs as a worker thread of semconf merge');
port.on('message', (job: WorkerJob) => {
  let answer: WorkerAnswer;
  try {
    answer = { index: job.index, entries: readEntries(job.file) };
  } catch (e) {
    // A bad input is the user's to fix (exit 2, its one-line message); anything else is a bug, shown with its stack.
    const error = e instanceof Error ? e : new Error(String(e));
    answer = { index: job.index, error: { input: error instanceof ResultsFileError, message: error.message, stack: error.stack ?? '' } };
  }
  port.postMessage(answer);
});
