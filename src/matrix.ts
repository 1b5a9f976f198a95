// The cross-target matrix, `semconf-matrix/1`: results files from many machines in one file, each kept whole (so
// every report can read a target exactly as it reads a results file), with what the merge found about it: whether
// it was run against another spec than the rest (stale) and whether it holds every case (complete).
import * as z from 'zod';
import type { FileRange } from './copy-range.js';
import { fastValidator } from './fast-validate.js';
import { LongText, ShortText } from './spec/schema.js';
import { parseJsonBytes, readJsonBytes, readJsonFile, Results, RESULTS_SCHEMA, ResultsFileError, validateFile, writeFileAtomicChunks } from './results.js';

export const MATRIX_SCHEMA = 'semconf-matrix/1';

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

/** The matrix around its targets; `target` says how much of each target's results to check. */
function matrixOf<T extends z.ZodType<{ id: string; results: { target: { id: string } } }>>(target: T) {
  return z
    .strictObject({
      schema: z.literal(MATRIX_SCHEMA),
      tool: z.strictObject({ name: z.literal('semconf'), version: ShortText }),
      createdAt: z.iso.datetime(),
      /** the spec every target is compared with: the catalog given to merge (`specs`), else the digest most targets
       * ran (`majority`), else, on a tie, the one of the newest run (`newest`) */
      specDigest: z.strictObject({ value: ShortText, basis: DigestBasis, detail: LongText }),
      /** every target complete and none stale, and every expected target present */
      complete: z.boolean(),
      /** what merge --expect named; absent when nothing was expected */
      expected: z.array(ExpectedTarget).optional(),
      targets: z.array(target).min(1),
    })
    .superRefine((m, ctx) => {
      const ids = new Set(m.targets.map((t) => t.id));
      m.expected?.forEach((e, i) => {
        for (const id of e.targets) {
          if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['expected', i, 'targets'], message: `expected "${e.name}" names target "${id}", which the matrix lacks` });
        }
      });
      const seen = new Set<string>();
      m.targets.forEach((t, i) => {
        if (t.id !== t.results.target.id) {
          ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `"${t.id}" is not the id of its results ("${t.results.target.id}")` });
        }
        if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `target "${t.id}" appears twice` });
        seen.add(t.id);
      });
    });
}

export const Matrix = matrixOf(MatrixTarget);

/** A matrix whose targets' results were each validated when they were read (readReportInput): writing it checks the
 * envelope, not every case a second time. */
const MatrixEnvelope = matrixOf(
  z.strictObject({ ...targetFields, results: z.looseObject({ target: z.looseObject({ id: z.string() }) }) }),
);
export type Matrix = z.infer<typeof Matrix>;

/** What a report reads: one results file, or a matrix of many. */
export type ReportInput = { kind: 'results'; results: Results } | { kind: 'matrix'; matrix: Matrix };

/** `data` validated by `schema`: through the fast path when it accepts (src/fast-validate.ts: the parsed value is then
 * the input itself, as zod's would be), else by zod, which judges and words the message for every input the fast path
 * refuses. Reading 1,000 results files is mostly this (zod alone: ~8 ms a file of 100 cases; the fast path ~1.5 ms).
 * `asIs`: the fast path accepted, so the value is the input as parsed. */
function judged<S extends z.ZodType>(file: string, name: string, schema: S, data: unknown): { value: z.infer<S>; asIs: boolean } {
  const fast = fastValidator(schema);
  return fast !== undefined && fast(data) ? { value: data, asIs: true } : { value: validateFile(file, name, schema, data), asIs: false };
}

/** A results file or a matrix, told apart by their `schema` field; anything else names the file and why. */
function judgedInput(file: string, data: unknown): { input: ReportInput; asIs: boolean } {
  const schema = typeof data === 'object' && data !== null && 'schema' in data ? data.schema : undefined;
  if (schema === MATRIX_SCHEMA) {
    const { value, asIs } = judged(file, MATRIX_SCHEMA, Matrix, data);
    return { input: { kind: 'matrix', matrix: value }, asIs };
  }
  if (schema !== RESULTS_SCHEMA) {
    const got = typeof schema === 'string' ? `"${schema}"` : 'no schema field';
    throw new ResultsFileError(`${file}: not a semconf file: ${got}; expected "${RESULTS_SCHEMA}" or "${MATRIX_SCHEMA}"`);
  }
  const { value, asIs } = judged(file, RESULTS_SCHEMA, Results, data);
  return { input: { kind: 'results', results: value }, asIs };
}

/** Read a results file or a matrix, told apart by their `schema` field; anything else names the file and why. */
export function readReportInput(file: string): ReportInput {
  return judgedInput(file, readJsonFile(file)).input;
}

/** A report input with the bytes it was parsed from. `asIs`: the validated value is the one parsed from `bytes` (the
 * fast path accepted it), so that `bytes` are its JSON; else zod's output is the value, and only it may be written. */
export interface InputWithBytes {
  input: ReportInput;
  bytes: Uint8Array;
  asIs: boolean;
}

/** readReportInput, keeping the bytes read, in `room(size)` (readJsonBytes): merge copies them into the matrix
 * (src/merge-read.ts). */
export function readReportInputWithBytes(file: string, room?: (size: number) => Uint8Array): InputWithBytes {
  const bytes = readJsonBytes(file, room);
  return { ...judgedInput(file, parseJsonBytes(file, bytes)), bytes };
}

/** Read a matrix and nothing else. */
export function readMatrix(file: string): Matrix {
  const input = readReportInput(file);
  if (input.kind !== 'matrix') throw new ResultsFileError(`${file}: a results file, not a ${MATRIX_SCHEMA} file`);
  return input.matrix;
}

/** A matrix entry without its results: what is known of a target before its results are copied in. */
export type MatrixEntry = Omit<MatrixTarget, 'results'>;

/** Validate the envelope, then write atomically, one target at a time, so that the file is never built as one
 * string. `resultsJson(i)` is the JSON of target i's results, each validated when it was read (readReportInput);
 * merge never changes them: bytes (a chunk may be reused once written), or a range of a spool's file (copied by
 * the kernel where it can: src/copy-range.ts). */
export function writeMatrixChunks(
  file: string,
  envelope: Omit<Matrix, 'targets'>,
  entries: readonly MatrixEntry[],
  resultsJson: (i: number) => string | Uint8Array | FileRange,
): void {
  // Only the entry's own fields are written, whatever else the caller's objects carry.
  const fields = entries.map((t): MatrixEntry => ({ id: t.id, source: t.source, stale: t.stale, complete: t.complete, notes: t.notes }));
  // The envelope's checks (ids unique, expected ids present) need only each target's id: it stands in for its results.
  MatrixEnvelope.parse({ ...envelope, targets: fields.map((t) => ({ ...t, results: { target: { id: t.id } } })) });
  const head = JSON.stringify(envelope, null, 2);
  function* chunks(): Generator<string | Uint8Array | FileRange> {
    yield `${head.slice(0, -2)},\n  "targets": [\n`;
    for (const [i, t] of fields.entries()) {
      // The line a whole entry's JSON.stringify would give: its fields, then its results last.
      yield `    ${JSON.stringify(t).slice(0, -1)},"results":`;
      yield resultsJson(i);
      yield `}${i < fields.length - 1 ? ',' : ''}\n`;
    }
    yield '  ]\n}\n';
  }
  writeFileAtomicChunks(file, chunks());
}
