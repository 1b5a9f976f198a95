// The two errors of reading and writing semconf's files, apart from their schemas (src/results.ts re-exports them):
// what throws them need not load zod (merge's main thread starts its workers before it does: src/merge-files.ts).

/** A results file or matrix that cannot be read or is not valid: one line naming the file and why, exit 2 (cli.ts). */
export class ResultsFileError extends Error {}

/** An output could not be written; the file that was there is as it was. One sentence, exit 1 (cli.ts). */
export class OutputError extends Error {}
