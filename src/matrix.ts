// The cross-target matrix: results files from many machines in one file, each kept whole (so every report can read a
// target exactly as it reads a results file), with what the merge found about it: whether it was run against another
// spec than the rest (stale) and whether it holds every case (complete). Written as `semconf-matrix/2`, whose targets'
// results are results files as written (`semconf-results/2`, src/results-codec.ts); in memory, and in matrices of
// version 1, they are the results as in memory (`semconf-matrix/1`). Both versions are read.
import * as z from 'zod';
import type { FileRange } from './copy-range.js';
import { LongText, ShortText } from './spec/schema.js';
import { decodeResults, encodeResults } from './results-codec.js';
import { AtomicFile } from './atomic-file.js';
import type { CaseLines } from './results-lines.js';
import { judged, judgedResults, parseJsonBytes, readJsonBytes, readJsonFile, Results, RESULTS_FILE_SCHEMA, RESULTS_SCHEMA, ResultsFile, ResultsFileError, schemaField } from './results.js';

/** The matrix as held in memory, and as matrices of version 1 were written. */
export const MATRIX_SCHEMA = 'semconf-matrix/1';
/** The matrix as written now: its targets' results as results files are written (ResultsFile). */
export const MATRIX_FILE_SCHEMA = 'semconf-matrix/2';

const targetFields = {
  /** the target id of `results`, repeated as the key of this entry */
  id: ShortText,
  /** the file the results were read from, as named to merge */
  source: ShortText,
  /** run against another spec than the matrix's reference digest: verdicts may rest on other expectations */
  stale: z.boolean(),
  /** false when the run did not complete or lacks cases the reference targets have */
  complete: z.boolean(),
  /** why stale or incomplete, and which files this one was preferred over */
  notes: z.array(LongText),
};

export const MatrixTarget = z.strictObject({ ...targetFields, results: Results });
export type MatrixTarget = z.infer<typeof MatrixTarget>;

/** A target the matrix was expected to hold (a CI job, or a target id): which targets satisfy it; none is
 * "missing: no results", shown as such rather than silently absent. */
export const ExpectedTarget = z.strictObject({
  /** the job or target id as given to merge --expect */
  name: z.string().min(1),
  /** ids of the targets holding its results; empty when none arrived */
  targets: z.array(z.string()),
});
export type ExpectedTarget = z.infer<typeof ExpectedTarget>;

export const DigestBasis = z.enum(['specs', 'majority', 'newest']);
export type DigestBasis = z.infer<typeof DigestBasis>;

/** What the merge says of the whole matrix: every version's envelope. */
const envelopeFields = {
  tool: z.strictObject({ name: z.literal('semconf'), version: ShortText }),
  createdAt: z.iso.datetime(),
  /** the spec every target is compared with: the catalog given to merge (`specs`), else the digest most targets
   * ran (`majority`), else, on a tie, the one of the newest run (`newest`) */
  specDigest: z.strictObject({ value: ShortText, basis: DigestBasis, detail: LongText }),
  /** every target complete and none stale, and every expected target present */
  complete: z.boolean(),
  /** what merge --expect named; absent when nothing was expected */
  expected: z.array(ExpectedTarget).optional(),
};

/** The checks across targets, of either version: each expected id is a target, each target's id is its results' and
 * appears once. `resultsId(i)`: the target id of target i's results (undefined: it has none, said already). */
function checkTargets(m: { expected?: ExpectedTarget[] | undefined; targets: readonly { id: string }[] }, resultsId: (i: number) => string | undefined, ctx: z.RefinementCtx): void {
  const ids = new Set(m.targets.map((t) => t.id));
  m.expected?.forEach((e, i) => {
    for (const id of e.targets) {
      if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['expected', i, 'targets'], message: `expected "${e.name}" names target "${id}", which the matrix lacks` });
    }
  });
  const seen = new Set<string>();
  m.targets.forEach((t, i) => {
    const of = resultsId(i);
    if (of !== undefined && t.id !== of) ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `"${t.id}" is not the id of its results ("${of}")` });
    if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `target "${t.id}" appears twice` });
    seen.add(t.id);
  });
}

/** The matrix in memory, and as version 1 wrote it: each target holds its results. */
export const Matrix = z
  .strictObject({ schema: z.literal(MATRIX_SCHEMA), ...envelopeFields, targets: z.array(MatrixTarget).min(1) })
  .superRefine((m, ctx) => checkTargets(m, (i) => m.targets[i]?.results.target.id, ctx));
export type Matrix = z.infer<typeof Matrix>;

/** The matrix as written (version 2), around `results`, the schema of a target's results. The results come first, in
 * the order merge read them, so that merge writes each as soon as it is read, while it reads the rest; the envelope
 * and the targets, in target order, come after them, once every input is known. A target names its results by their
 * index; each results entry is a target's, once. */
function matrixFileOf<R extends z.ZodType<{ target: { id: string } }>>(results: R) {
  return z
    .strictObject({
      schema: z.literal(MATRIX_FILE_SCHEMA),
      /** every target's results, as a results file holds them, in the order merge read them */
      results: z.array(results).min(1),
      ...envelopeFields,
      /** in target order; `results`: the index of the target's results in `results` */
      targets: z.array(z.strictObject({ ...targetFields, results: z.int().min(0) })).min(1),
    })
    .superRefine((m, ctx) => {
      const used = new Set<number>();
      m.targets.forEach((t, i) => {
        if (t.results >= m.results.length) ctx.addIssue({ code: 'custom', path: ['targets', i, 'results'], message: `results ${t.results} of ${m.results.length} do not exist` });
        else if (used.has(t.results)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'results'], message: `results ${t.results} are another target's too` });
        used.add(t.results);
      });
      if (used.size < m.results.length) {
        const unused = m.results.findIndex((_, k) => !used.has(k));
        ctx.addIssue({ code: 'custom', path: ['results', unused], message: `results ${unused} belong to no target` });
      }
      checkTargets(m, (i) => m.results[m.targets[i]?.results ?? -1]?.target.id, ctx);
    });
}
export const MatrixFile = matrixFileOf(ResultsFile);
export type MatrixFile = z.infer<typeof MatrixFile>;

/** A matrix whose targets' results were each validated when they were read: writing it checks the envelope and the
 * targets, with only each results' target id, not every case a second time. */
const MatrixEnvelope = matrixFileOf(z.looseObject({ target: z.looseObject({ id: z.string() }) }));

/** What a report reads: one results file, or a matrix of many, as in memory; `schema`: the version of the file read. */
export type ReportInput = { kind: 'results'; schema: string; results: Results } | { kind: 'matrix'; schema: string; matrix: Matrix };

/** A file as written (a results file or a matrix, of the current versions), what merge copies on. `asIs` (results
 * only): the fast path accepted the file as parsed, so the file's own bytes are its JSON. */
export type FileInput = { kind: 'results'; results: ResultsFile; asIs: boolean } | { kind: 'matrix'; targets: { id: string; results: ResultsFile }[] };

const notSemconf = (file: string, schema: unknown): ResultsFileError =>
  new ResultsFileError(
    `${file}: not a semconf file: ${typeof schema === 'string' ? `"${schema}"` : 'no schema field'}; expected "${RESULTS_FILE_SCHEMA}" or "${MATRIX_FILE_SCHEMA}" (or version 1 of either, "${RESULTS_SCHEMA}", "${MATRIX_SCHEMA}")`,
  );

/** The results a target of a validated matrix file names (MatrixFile checks that they exist). */
function resultsAt(m: { results: readonly ResultsFile[] }, index: number): ResultsFile {
  const r = m.results[index];
  if (r === undefined) throw new Error(`results ${index} of ${m.results.length} (MatrixFile checks this)`);
  return r;
}

/** A results file or a matrix of either version, told apart by its `schema` field, as written now: one of version 1 is
 * encoded (src/results-codec.ts). Anything else names the file and why. */
function asFile(file: string, data: unknown): FileInput {
  const schema = schemaField(data);
  if (schema === RESULTS_FILE_SCHEMA) {
    const { value, asIs } = judged(file, RESULTS_FILE_SCHEMA, ResultsFile, data);
    return { kind: 'results', results: value, asIs };
  }
  if (schema === MATRIX_FILE_SCHEMA) {
    const m = judged(file, MATRIX_FILE_SCHEMA, MatrixFile, data).value;
    return { kind: 'matrix', targets: m.targets.map((t) => ({ id: t.id, results: resultsAt(m, t.results) })) };
  }
  if (schema === RESULTS_SCHEMA) return { kind: 'results', results: encodeResults(judged(file, RESULTS_SCHEMA, Results, data).value), asIs: false };
  if (schema === MATRIX_SCHEMA) {
    const m = judged(file, MATRIX_SCHEMA, Matrix, data).value;
    return { kind: 'matrix', targets: m.targets.map((t) => ({ id: t.id, results: encodeResults(t.results) })) };
  }
  throw notSemconf(file, schema);
}

/** A results file or a matrix of either version, as in memory. */
function asInput(file: string, data: unknown): ReportInput {
  const schema = schemaField(data);
  if (schema === RESULTS_SCHEMA || schema === RESULTS_FILE_SCHEMA) return { kind: 'results', schema, results: judgedResults(file, data) };
  if (schema === MATRIX_SCHEMA) return { kind: 'matrix', schema, matrix: judged(file, MATRIX_SCHEMA, Matrix, data).value };
  if (schema === MATRIX_FILE_SCHEMA) {
    const m = judged(file, MATRIX_FILE_SCHEMA, MatrixFile, data).value;
    const { schema: _schema, results: _results, targets: _targets, ...envelope } = m;
    return { kind: 'matrix', schema, matrix: { schema: MATRIX_SCHEMA, ...envelope, targets: m.targets.map((t) => ({ ...t, results: decodeResults(resultsAt(m, t.results)) })) } };
  }
  throw notSemconf(file, schema);
}

/** Read a results file or a matrix, of either version, told apart by their `schema` field; anything else names the
 * file and why. */
export function readReportInput(file: string): ReportInput {
  return asInput(file, readJsonFile(file));
}

/** A file as written (asFile), with the bytes it was parsed from, in `room(size)` (readJsonBytes), and where its case
 * lines are when it was parsed a case at a time (src/results-lines.ts): merge copies them into the matrix
 * (src/merge-read.ts) when the fast path accepted a results file as parsed. */
export function readFileInputWithBytes(file: string, room?: (size: number) => Uint8Array): { input: FileInput; bytes: Uint8Array; lines?: CaseLines } {
  const bytes = readJsonBytes(file, room);
  const { value, lines } = parseJsonBytes(file, bytes);
  return { input: asFile(file, value), bytes, ...(lines !== undefined ? { lines } : {}) };
}

/** Read a matrix and nothing else. */
export function readMatrix(file: string): Matrix {
  const input = readReportInput(file);
  if (input.kind !== 'matrix') throw new ResultsFileError(`${file}: a results file, not a ${MATRIX_SCHEMA} file`);
  return input.matrix;
}

/** A matrix entry without its results: what is known of a target before its results are copied in. */
export type MatrixEntry = Omit<MatrixTarget, 'results'>;

/** A matrix file (`semconf-matrix/2`) written atomically (AtomicFile) in MatrixFile's order, as merge reads its
 * inputs: `results` appends a target's results as soon as they are read, `finish` checks and writes the envelope and
 * the targets once every input is known, and makes the file; `abort` leaves nothing. The file is never built as one
 * string. */
export class MatrixWriter {
  /** the target id of each results written, by index */
  private readonly ids: string[] = [];
  /** where each results written is in the file, by index */
  private readonly at: { offset: number; length: number }[] = [];

  private constructor(private readonly out: AtomicFile) {}

  /** Throws an OutputError when `file` cannot be written. */
  static open(file: string): MatrixWriter {
    // unnamed until made: the matrix is written while every input is read, and a merge killed then leaves nothing
    const out = AtomicFile.open(file, { unnamed: true });
    out.write(`{\n  "schema": ${JSON.stringify(MATRIX_FILE_SCHEMA)},\n  "results": [\n`);
    return new MatrixWriter(out);
  }

  /** Append the results of target `id`: their JSON as a results file holds them (ResultsFile), validated when they
   * were read (readFileInputWithBytes); bytes, or a range of another open file (copied by the kernel where it can:
   * src/copy-range.ts). Their index in the matrix's `results`. Throws an OutputError, the file aborted. */
  results(id: string, json: string | Uint8Array | FileRange): number {
    this.out.write(this.ids.length === 0 ? '    ' : ',\n    ');
    const offset = this.out.size;
    this.out.write(json);
    this.at.push({ offset, length: this.out.size - offset });
    return this.ids.push(id) - 1;
  }

  /** Where the results of `index` are in the file being written, to be copied on while it is open (merge's --prefer
   * writes a matrix again with some of them: src/merge-files.ts). */
  resultsRange(index: number): FileRange {
    const at = this.at[index];
    if (at === undefined) throw new Error(`no results ${index} written`);
    return this.out.range(at.offset, at.length);
  }

  /** The envelope and the targets (each naming the index of its results), checked, written, and the file made. */
  finish(envelope: Omit<Matrix, 'schema' | 'targets'>, targets: readonly (MatrixEntry & { results: number })[]): void {
    // Only the fields of the matrix and of its entries are written, whatever else the caller's objects carry.
    const head = { tool: envelope.tool, createdAt: envelope.createdAt, specDigest: envelope.specDigest, complete: envelope.complete, ...(envelope.expected !== undefined ? { expected: envelope.expected } : {}) };
    const entries = targets.map((t) => ({ id: t.id, source: t.source, stale: t.stale, complete: t.complete, notes: t.notes, results: t.results }));
    try {
      // The checks across targets need only each results' target id: it stands in for the results.
      MatrixEnvelope.parse({ schema: MATRIX_FILE_SCHEMA, results: this.ids.map((id) => ({ target: { id } })), ...head, targets: entries });
    } catch (e) {
      this.out.abort();
      throw e;
    }
    const fields = JSON.stringify(head, null, 2).slice(2, -2);
    this.out.write(`\n  ],\n${fields},\n  "targets": [\n${entries.map((t) => `    ${JSON.stringify(t)}`).join(',\n')}\n  ]\n}\n`);
    this.out.commit();
  }

  abort(): void {
    this.out.abort();
  }
}
