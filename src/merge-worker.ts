// A merge worker thread: reads and validates the files it is sent, one at a time (src/merge-read.ts), and answers with
// the facts of each target and its results JSON, or the error that names the bad file. Reading is most of a merge's
// time (JSON.parse, validation through src/fast-validate.ts or zod, compacting the file's bytes) and files are
// independent, so merge spreads them over a few of these (src/merge-files.ts). The results JSON is moved to the main
// thread, not copied (the buffer is transferred), and the main thread gives each buffer back once it has written it
// into the matrix: a worker fills the same few buffers again and again, so that a file's results cost no new memory.
import { parentPort } from 'node:worker_threads';
import type { WorkerAnswer, WorkerMessage } from './merge-files.js';
import { readEntries } from './merge-read.js';
import { ResultsFileError } from './results.js';

const port = parentPort;
if (port === null) throw new Error('merge-worker.js runs as a worker thread of semconf merge');

/** Buffers given back, for the next results. */
const pool: ArrayBuffer[] = [];
/** A new buffer has room for a results file of 100 cases at least (~0.24 MB), so that it is seldom too small. */
const MIN_BUFFER = 512 * 1024;

/** `json` in a buffer of the pool (or a new one, where none is free or large enough). */
function transferable(json: string | Uint8Array): Uint8Array {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  let buffer = pool.pop();
  if (buffer === undefined || buffer.byteLength < bytes.length) buffer = new ArrayBuffer(Math.max(bytes.length, MIN_BUFFER));
  const out = new Uint8Array(buffer, 0, bytes.length);
  out.set(bytes);
  return out;
}

port.on('message', (message: WorkerMessage) => {
  if ('returned' in message) {
    pool.push(message.returned);
    return;
  }
  let answer: WorkerAnswer;
  try {
    const entries = readEntries(message.file).map(({ source, facts, json }) => ({ source, facts, results: transferable(json) }));
    answer = { index: message.index, entries };
  } catch (e) {
    // A bad input is the user's to fix (exit 2, its one-line message); anything else is a bug, shown with its stack.
    const error = e instanceof Error ? e : new Error(String(e));
    answer = { index: message.index, error: { input: error instanceof ResultsFileError, message: error.message, stack: error.stack ?? '' } };
  }
  port.postMessage(answer, 'entries' in answer ? answer.entries.map((e) => e.results.buffer as ArrayBuffer) : []);
});
