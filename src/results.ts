// The results, `semconf-results/1` in memory: the one model every report, diff and merge reads. On disk it is
// `semconf-results/2` (ResultsFile below, src/results-codec.ts): the same results with each clause quoted once and each
// case's observed outcome written once, ~40% of the bytes. Files of either version are read; only version 2
// is written. Validated on write and on read; written whole or not at all (src/atomic-file.ts), so a reader never sees
// half a file.
import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readFileSync, readSync, type Stats, statSync } from 'node:fs';
import * as z from 'zod';
import { OutputError, ResultsFileError } from './file-errors.js';
import { fastValidator } from './fast-validate.js';
import { Selection } from './selection-schema.js';
import { specErrorMap } from './spec/messages.js';
import { Context, LongText, ShortText } from './spec/schema.js';

// The names and the summary a run needs without the schemas (src/results-summary.ts, which loads no zod).
import { RESULTS_FILE_SCHEMA, RESULTS_SCHEMA, summarise, VERDICTS } from './results-summary.js';
import { writeFileAtomic } from './atomic-file.js';
import { decodeResults, encodeResults, resultsFileText } from './results-codec.js';
import { type CaseLines, parseCaseLines } from './results-lines.js';
export { RESULTS_FILE_SCHEMA, RESULTS_SCHEMA, summarise, VERDICTS };
export { OutputError, ResultsFileError };

export const VerdictName = z.enum(VERDICTS);
export type VerdictName = z.infer<typeof VerdictName>;

export const ProbeInfo = z.strictObject({ available: z.boolean(), method: LongText });

export const Credentials = z.strictObject({
  uid: z.int(),
  euid: z.int(),
  gid: z.int(),
  capEff: ShortText.nullable(),
  canLockMemory: z.boolean(),
  memlock: z.strictObject({ soft: ShortText, hard: ShortText }),
});

export const CallRecord = z.strictObject({
  text: LongText,
  ret: z.int(),
  /** symbolic name, only when ret is -1 */
  errno: ShortText.nullable(),
  /** asynchronous calls: how the request ended (aio_return, and aio_error's value when it failed) */
  completion: z.strictObject({ ret: z.int(), errno: ShortText.nullable() }).optional(),
  /** pointer-returning calls (mremap) that succeeded (ret 0): whether the kernel moved the mapping; the address
   * itself is never recorded, it differs from run to run */
  moved: z.boolean().optional(),
});
export type CallRecord = z.infer<typeof CallRecord>;

/** Per page: L locked, U unlocked, R resident, N not resident, - unmapped. null: the probe cannot see it. */
export const MappingEffects = z.strictObject({
  pages: z.int().min(1),
  locked: LongText.regex(/^[LU-]+$/).nullable(),
  resident: LongText.regex(/^[RN-]+$/).nullable(),
});
export type MappingEffects = z.infer<typeof MappingEffects>;

/** The state of every mapping right after one step, for a case with `snapshots: true`. */
export const Snapshot = z.strictObject({
  /** the step's text (a setup step, the call under test, a step after it) */
  after: LongText,
  mappings: z.record(ShortText, MappingEffects),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const Observation = z.strictObject({
  before: z.array(CallRecord),
  call: CallRecord,
  /** the steps after the call under test (`after:`), absent when the case has none */
  after: z.array(CallRecord).optional(),
  /** with `snapshots: true`: each mapping's state after each step, in order (the last one is `effects.mappings`) */
  snapshots: z.array(Snapshot).optional(),
  effects: z.strictObject({
    mappings: z.record(ShortText, MappingEffects),
    /** the worker process's whole locked memory (VmLck) after the call: environment, not behaviour (after mlockall it
     * is the whole Node heap, which varies from run to run; the case's own locked pages are in `mappings`). See
     * src/behaviour.ts */
    lockedBytes: z.int().nullable(),
    /** the same figure when the case started, before its first step: `lockedBytes` minus this is what the case added
     * (the process locked total an expectation judges); absent in results written before it was recorded */
    lockedBytesAtStart: z.int().nullable().optional(),
    /** a child forked after the call: lock state of each mapping there, and its locked total */
    child: z
      .strictObject({ mappings: z.record(ShortText, LongText.regex(/^[LU-]+$/)), lockedBytes: z.int().nullable() })
      .nullable()
      .optional(),
    /** the worker itself exec'd into a small program after the call (src/worker/exec-probe.ts): its locked total */
    exec: z.strictObject({ lockedBytes: z.int().nullable() }).nullable().optional(),
  }),
});
export type Observation = z.infer<typeof Observation>;

export const Probes = z.strictObject({
  lockState: ProbeInfo,
  residency: ProbeInfo,
  lockedTotal: ProbeInfo,
  forkChild: ProbeInfo,
  execChild: ProbeInfo,
});
export type Probes = z.infer<typeof Probes>;

export const ContextRecord = z.strictObject({
  name: ShortText,
  spec: Context,
  established: z.boolean(),
  credentials: Credentials.nullable(),
});
export type ContextRecord = z.infer<typeof ContextRecord>;

export const ClauseRef = z.strictObject({ id: ShortText, document: ShortText, section: ShortText, quote: LongText });
export type ClauseRef = z.infer<typeof ClauseRef>;

export const Verdict = z.strictObject({
  verdict: VerdictName,
  expected: LongText,
  observed: LongText.optional(),
  /** why: what diverged, what could not be observed, why the case did not run */
  reason: LongText.optional(),
  clauses: z.array(ClauseRef).optional(),
  basis: LongText.optional(),
});
export type Verdict = z.infer<typeof Verdict>;

/** A case whose behaviour (src/behaviour.ts) was not the same in every repetition of one run (`run --repeat N`):
 * each fact that differed, with its value in each repetition. The case's observation and verdicts are those of the
 * first repetition. */
export const Flaky = z.strictObject({
  repetitions: z.int().min(2),
  differed: z.array(z.strictObject({ what: ShortText, values: z.array(LongText) })).min(1),
});
export type Flaky = z.infer<typeof Flaky>;

export const CaseStatus = z.enum(['ran', 'error', 'skipped', 'unsupported']);
export type CaseStatus = z.infer<typeof CaseStatus>;

export const CaseResult = z.strictObject({
  id: ShortText,
  function: ShortText,
  title: ShortText,
  context: ContextRecord,
  status: CaseStatus,
  reason: LongText.optional(),
  durationMs: z.number().min(0),
  /** whether the case had a process of its own (`fresh`: a Node process started for it, its context established at
   * start, gone after the case; `forked`: a fork(2) copy of a reused worker at its baseline, likewise establishing its
   * context for good and gone after the case, src/worker/forked.ts) or ran in a worker that runs case after case
   * (`reused`: entering the context and leaving it, or still in it from a case of the same context before, proven
   * back where the case began after every case). Environment, like the duration: never a change in a diff. Absent in
   * files written before the field existed */
  process: z.enum(['fresh', 'forked', 'reused']).optional(),
  observed: Observation.optional(),
  warnings: z.array(LongText).optional(),
  flaky: Flaky.optional(),
  verdicts: z.record(ShortText, Verdict),
});
export type CaseResult = z.infer<typeof CaseResult>;

export const TargetFacts = z.strictObject({
  id: ShortText.regex(/^[a-z0-9][a-z0-9._-]*$/),
  os: ShortText,
  release: ShortText,
  kernel: ShortText,
  arch: ShortText,
  libc: ShortText,
  runtime: ShortText,
  /** how `runtime` was determined (what the runner saw inside, and what started it) */
  runtimeBasis: LongText.optional(),
  pageSize: z.int().min(1),
  node: ShortText,
  koffi: ShortText,
  /** the ABI the calls went through, where it is not the kernel's own (ia32 on an x86_64 kernel) */
  abi: ShortText.optional(),
  /** a run started somewhere else by `semconf run --target T` (src/targets/): which launcher, and what it knows
   * about the system it started (qemu version, accelerator, kernel image, root directory ...) */
  launch: z.strictObject({ target: ShortText, facts: z.record(ShortText, LongText) }).optional(),
});
export type TargetFacts = z.infer<typeof TargetFacts>;

export const Summary = z.record(ShortText, z.record(VerdictName, z.int().min(0)));
export type Summary = z.infer<typeof Summary>;

// Every case is judged against exactly the profiles the file lists, and the summary counts exactly those: a file
// whose verdict keys do not match would show empty cells in every report. (Both versions of the file.)
function judgedAgainstItsProfiles(
  r: { profiles: readonly { id: string }[]; cases: readonly { id: string; verdicts: Record<string, unknown> }[]; summary: Record<string, unknown> },
  ctx: z.RefinementCtx,
): void {
  const ids = r.profiles.map((p) => p.id);
  const listed = new Set(ids);
  const distinct = listed.size === ids.length;
  const want = JSON.stringify([...ids].sort());
  // (each case's keys against the set, not sorted and compared as text: this runs on every case of every file merged)
  const exactly = (o: Record<string, unknown>): boolean => {
    const keys = Object.keys(o);
    return distinct && keys.length === ids.length && keys.every((k) => listed.has(k));
  };
  r.cases.forEach((c, i) => {
    if (exactly(c.verdicts)) return;
    const got = Object.keys(c.verdicts).sort();
    if (JSON.stringify(got) !== want) {
      ctx.addIssue({
        code: 'custom',
        path: ['cases', i, 'verdicts'],
        message: `case ${c.id} is judged against ${got.join(', ') || 'no profile'}, but the file lists the profiles ${ids.join(', ') || '(none)'}`,
      });
    }
  });
  const summarised = Object.keys(r.summary).sort();
  if (JSON.stringify(summarised) !== want) {
    ctx.addIssue({ code: 'custom', path: ['summary'], message: `the summary counts ${summarised.join(', ') || 'no profile'}, but the file lists ${ids.join(', ')}` });
  }
}

export const Results = z.strictObject({
  schema: z.literal(RESULTS_SCHEMA),
  tool: z.strictObject({ name: z.literal('semconf'), version: ShortText }),
  target: TargetFacts,
  probes: Probes,
  specDigest: ShortText,
  profiles: z.array(z.strictObject({ id: ShortText, name: ShortText, version: ShortText, kind: ShortText })),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  complete: z.boolean(),
  /** `run --repeat N`: every case ran N times (absent: once); cases whose behaviour differed carry `flaky` */
  repeat: z.int().min(2).optional(),
  /** a run of part of the catalog (run --filter/--exclude/--shard/--profile): what was selected, and how many cases
   * the whole catalog would have run. Absent: the whole catalog (as in files written before the field existed) */
  selection: Selection.optional(),
  cases: z.array(CaseResult),
  summary: Summary,
})
  .superRefine(judgedAgainstItsProfiles);
export type Results = z.infer<typeof Results>;

// ---- the file, `semconf-results/2`: the results as written (src/results-codec.ts turns one into the other) ----

/** A clause as a file's table holds it: its id is the table's key. */
export const TabledClause = ClauseRef.omit({ id: true });
export type TabledClause = z.infer<typeof TabledClause>;

/** A verdict as written: each clause cited by its id in the file's table of the verdict's profile (or, for one the
 * table cannot hold, an id already there quoting something else, given whole); `observed` absent where the case's
 * `observedText` stands for it. (Spread over Verdict's fields: `clauses` keeps its place, and the written order.) */
export const FileVerdict = z.strictObject({ ...Verdict.shape, clauses: z.array(z.union([ShortText, ClauseRef])).optional() });
export type FileVerdict = z.infer<typeof FileVerdict>;

const { verdicts: _verdicts, ...caseFields } = CaseResult.shape;
/** A case as written: `observedText` is what every one of its verdicts says was observed, written once. */
export const FileCase = z.strictObject({ ...caseFields, observedText: LongText.optional(), verdicts: z.record(ShortText, FileVerdict) });
export type FileCase = z.infer<typeof FileCase>;

const { schema: _schema, cases: _cases, summary: _summary, ...resultsFields } = Results.shape;
export const ResultsFile = z
  .strictObject({
    schema: z.literal(RESULTS_FILE_SCHEMA),
    ...resultsFields,
    /** each profile's clauses, by id: what the verdicts of that profile cite */
    clauses: z.record(ShortText, z.record(ShortText, TabledClause)),
    cases: z.array(FileCase),
    summary: Summary,
  })
  .superRefine(judgedAgainstItsProfiles)
  // A citation names a clause of its own profile's table; a verdict's own `observed` and its case's `observedText`
  // never both stand (which one would the reader show?).
  .superRefine((f, ctx) => {
    f.cases.forEach((c, i) => {
      for (const profile in c.verdicts) {
        const v = c.verdicts[profile];
        if (v === undefined) continue;
        if (c.observedText !== undefined && v.observed !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['cases', i, 'verdicts', profile, 'observed'], message: `case ${c.id} has observedText, so its verdicts do not say what was observed` });
        }
        const cited = v.clauses;
        if (cited === undefined) continue;
        const table = Object.hasOwn(f.clauses, profile) ? f.clauses[profile] : undefined;
        for (let k = 0; k < cited.length; k++) {
          const id = cited[k];
          if (typeof id === 'string' && (table === undefined || !Object.hasOwn(table, id))) {
            ctx.addIssue({ code: 'custom', path: ['cases', i, 'verdicts', profile, 'clauses', k], message: `clause "${id}" is not in the clauses of profile ${profile}` });
          }
        }
      }
    });
  });
export type ResultsFile = z.infer<typeof ResultsFile>;


/** The JSON in a file, or a ResultsFileError naming the file (a truncated or non-JSON file). */
export function readJsonFile(file: string): unknown {
  checkRegularFile(file);
  return parseJson(file, () => readFileSync(file, 'utf8'));
}

/** The bytes of a JSON results file, for a reader that copies them on (merge: src/merge-read.ts), read into
 * `room(size)` (a buffer of at least the file's size: the caller's to reuse); parseJsonBytes parses them. */
export function readJsonBytes(file: string, room: (size: number) => Uint8Array = (size) => Buffer.allocUnsafe(size)): Uint8Array {
  checkRegularFile(file);
  try {
    const fd = openSync(file, 'r');
    try {
      const into = room(fstatSync(fd).size);
      // a file that shrank since is read to its end; one that grew, to the size it had (then JSON.parse tells)
      let n = 0;
      for (let got = 1; n < into.length && got > 0; n += got) got = readSync(fd, into, n, into.length - n, null);
      return into.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw unreadable(file, e);
  }
}

/** `bytes` read from `file` (readJsonBytes), parsed: a case at a time where semconf wrote them so (src/results-lines.ts;
 * `lines` then says where the case lines are), else whole. ASCII is decoded as latin1: the same one-byte string UTF-8
 * would give, without the UTF-8 decoder's checks (640 KB: ~0.45 vs ~0.52 ms, measured). */
export function parseJsonBytes(file: string, bytes: Uint8Array): { value: unknown; lines?: CaseLines } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const ascii = isAscii(buffer);
  return parseCaseLines(buffer, ascii) ?? { value: parseJson(file, () => buffer.toString(ascii ? 'latin1' : 'utf8')) };
}

/** Results files arrive from other machines: only a regular file is read (a FIFO would hang the reader, a device
 * never end). */
function checkRegularFile(file: string): void {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw unreadable(file, e);
  }
  if (!st.isFile()) throw new ResultsFileError(`${file}: not a regular file; expected a JSON results file`);
}

function parseJson(file: string, text: () => string): unknown {
  try {
    return JSON.parse(text());
  } catch (e) {
    throw unreadable(file, e);
  }
}

const unreadable = (file: string, e: unknown): ResultsFileError => new ResultsFileError(`${file}: not a readable JSON results file (${(e as Error).message})`);

/** `data` validated by `schema`, or a ResultsFileError naming the file and the first field that is wrong. */
export function validateFile<S extends z.ZodType>(file: string, name: string, schema: S, data: unknown): z.infer<S> {
  // The spec's error map: a verdict or status word is named with the allowed ones, and the nearest (did you mean).
  const parsed = schema.safeParse(data, { reportInput: true, error: specErrorMap });
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first ? first.path.join('.') || '(top level)' : '';
  throw new ResultsFileError(`${file}: not a valid ${name} file: at ${where}: ${first?.message ?? 'invalid'}`);
}

/** `data` validated by `schema`: through the fast path when it accepts (src/fast-validate.ts: the parsed value is then
 * the input itself, as zod's would be), else by zod, which judges and words the message for every input the fast path
 * refuses. Reading 1,000 results files is mostly this (zod alone: ~8 ms a file of 100 cases; the fast path ~1.5 ms).
 * `asIs`: the fast path accepted, so the value is the input as parsed. */
export function judged<S extends z.ZodType>(file: string, name: string, schema: S, data: unknown): { value: z.infer<S>; asIs: boolean } {
  const fast = fastValidator(schema);
  return fast !== undefined && fast(data) ? { value: data, asIs: true } : { value: validateFile(file, name, schema, data), asIs: false };
}

/** The `schema` field of parsed JSON, if it has one. */
export function schemaField(data: unknown): unknown {
  return typeof data === 'object' && data !== null && 'schema' in data ? data.schema : undefined;
}

/** Read and validate a results file of either version; refuses truncated or hand-edited files with a message naming
 * the problem. The results as in memory (version 1's form). */
export function readResults(file: string): Results {
  return judgedResults(file, readJsonFile(file));
}

/** Parsed JSON of `file` validated as a results file of its version (version 1's message for any other schema); the
 * results as in memory. */
export function judgedResults(file: string, data: unknown): Results {
  if (schemaField(data) === RESULTS_FILE_SCHEMA) return decodeResults(judged(file, RESULTS_FILE_SCHEMA, ResultsFile, data).value);
  return judged(file, RESULTS_SCHEMA, Results, data).value;
}


/** Validate, then write atomically, as a `semconf-results/2` file. Through the fast path when it accepts
 * (src/fast-validate.ts: the results as they are are then what zod would have produced), else through zod: a run's
 * results of 209 cases took zod ~75 ms, most of the serial tail after its last case. */
export function writeResults(file: string, results: Results): void {
  const fast = fastValidator(Results);
  const valid = fast !== undefined && fast(results) ? results : Results.parse(results);
  writeFileAtomic(file, resultsFileText(encodeResults(valid)));
}
