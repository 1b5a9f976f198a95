// The results, `semconf-results/1` in memory: the one model every report, diff and merge reads. On disk it is
// `semconf-results/2` (ResultsFile below, src/results-codec.ts): the same results with each clause quoted once and each
// case's observed outcome written once, ~40% of the bytes. Files of either version are read; only version 2
// is written. Validated on write and on read; written to a temporary file and renamed, so a reader never sees half a
// file.
import { isAscii } from 'node:buffer';
import { closeSync, existsSync, fstatSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, type Stats, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod';
import { copyRange, type FileRange } from './copy-range.js';
import { OutputError, ResultsFileError } from './file-errors.js';
import { fastValidator } from './fast-validate.js';
import { Selection } from './selection-schema.js';
import { specErrorMap } from './spec/messages.js';
import { Context, LongText, ShortText } from './spec/schema.js';
import { nameUnnamed, openUnnamed } from './unnamed-file.js';
import { startWriteback, WRITEBACK_EVERY } from './writeback.js';

// The names and the summary a run needs without the schemas (src/results-summary.ts, which loads no zod).
import { RESULTS_FILE_SCHEMA, RESULTS_SCHEMA, summarise, VERDICTS } from './results-summary.js';
import { decodeResults, encodeResults, resultsFileText } from './results-codec.js';
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
   * (`reused`: entering the context and leaving it, proven back at its baseline after every case). Environment, like
   * the duration: never a change in a diff. Absent in files written before the field existed */
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

/** `bytes` read from `file` (readJsonBytes), parsed. ASCII is decoded as latin1: the same one-byte string UTF-8 would
 * give, without the UTF-8 decoder's checks (640 KB: ~0.45 vs ~0.52 ms, measured). */
export function parseJsonBytes(file: string, bytes: Uint8Array): unknown {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return parseJson(file, () => buffer.toString(isAscii(buffer) ? 'latin1' : 'utf8'));
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
  const data = readJsonFile(file);
  if (schemaField(data) === RESULTS_FILE_SCHEMA) return decodeResults(judged(file, RESULTS_FILE_SCHEMA, ResultsFile, data).value);
  return judged(file, RESULTS_SCHEMA, Results, data).value;
}


/** What an existing path is, when it is not a regular file (a device node, a FIFO, a symlink, a directory). */
function specialKind(file: string): string | null {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch {
    return null; // not there yet: it will be created
  }
  if (st.isFile()) return null;
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device node';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

const tempName = (file: string, pid: number): string => join(dirname(file), `.${basename(file)}.${pid}.semconf.tmp`);

/** Temporary files a killed writer left beside `file` (their pid is gone): removed, so a SIGKILL leaves at most one
 * such file, and only until the next write. */
function removeStaleTemps(file: string): void {
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) && name.endsWith('.semconf.tmp') ? Number(name.slice(prefix.length, -'.semconf.tmp'.length)) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    rmSync(join(dirname(file), name), { force: true });
  }
}

/** A whole file or nothing, written a chunk at a time: a temporary file beside the target, every byte written
 * (writeSync may write fewer than asked on a nearly full disk), flushed to disk on `commit`, then renamed over the
 * target and the directory flushed; `abort` removes it. On any failure the old file stays as it was and an OutputError
 * says why. An existing target that is not a regular file (a device node, a FIFO, a symlink) is refused: renaming over
 * it would replace it. The temporary file is named by the writer's pid, so one a killed writer left is removed by the
 * next write (removeStaleTemps). */
export class AtomicFile {
  /** a large file's disk write is started every WRITEBACK_EVERY bytes, so that fsync has less left to wait for */
  private sinceWriteback = 0;

  private constructor(
    private readonly file: string,
    private readonly tmp: string,
    private fd: number | null,
    /** made by openUnnamed: no directory entry until commit names it `tmp` */
    private readonly unnamed: boolean,
  ) {}

  /** `unnamed`: where the platform can, the temporary file has no name until it is complete (src/unnamed-file.ts),
   * so that a writer killed even by SIGKILL leaves nothing: for a file written over a long time (merge's matrix). */
  static open(file: string, options: { unnamed?: boolean } = {}): AtomicFile {
    const kind = specialKind(file);
    if (kind !== null) throw new OutputError(`${file} is a ${kind}, not a regular file; refusing to replace it`);
    removeStaleTemps(file);
    const tmp = tempName(file, process.pid);
    const fd = options.unnamed === true ? openUnnamed(dirname(file), 0o644) : null;
    if (fd !== null) return new AtomicFile(file, tmp, fd, true);
    try {
      return new AtomicFile(file, tmp, openSync(tmp, 'wx', 0o644), false);
    } catch (e) {
      throw AtomicFile.failed(file, e);
    }
  }

  /** The error of a write of `file` that failed with `e`. */
  static failed(file: string, e: unknown): OutputError {
    return new OutputError(`could not write ${file} (${(e as Error).message}); ${existsSync(file) ? 'the file that was there is unchanged' : 'nothing was written'}`);
  }

  /** Append `chunk` (a range of another file is copied by the kernel where it can: src/copy-range.ts). */
  write(chunk: string | Uint8Array | FileRange): void {
    const fd = this.fd;
    if (fd === null) throw new Error(`${this.file}: written after commit or abort`);
    try {
      if (typeof chunk === 'object' && !(chunk instanceof Uint8Array)) {
        copyRange(chunk, fd);
        this.sinceWriteback += chunk.length;
      } else {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
        this.sinceWriteback += bytes.length;
      }
      if (this.sinceWriteback >= WRITEBACK_EVERY) {
        startWriteback(fd);
        this.sinceWriteback = 0;
      }
    } catch (e) {
      this.abort();
      throw AtomicFile.failed(this.file, e);
    }
  }

  /** Flush, rename into place, flush the directory. */
  commit(): void {
    const fd = this.fd;
    if (fd === null) throw new Error(`${this.file}: committed after commit or abort`);
    this.fd = null;
    try {
      try {
        fsyncSync(fd);
        // (named only now, complete and on disk: the rename below follows at once)
        if (this.unnamed) nameUnnamed(fd, this.tmp);
      } finally {
        closeSync(fd);
      }
      renameSync(this.tmp, this.file);
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw AtomicFile.failed(this.file, e);
    }
    // The rename is durable only once the directory is on disk too; a file system that cannot flush a directory
    // (EINVAL) has nothing to flush.
    try {
      const dfd = openSync(dirname(this.file), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // nothing more to make durable
    }
  }

  /** The temporary file removed; the target as it was. Safe to call more than once. */
  abort(): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    try {
      closeSync(fd);
    } finally {
      // an unnamed file is gone with its descriptor
      if (!this.unnamed) rmSync(this.tmp, { force: true });
    }
  }
}

/** Write a whole file or nothing (AtomicFile), from `chunks`. */
export function writeFileAtomicChunks(file: string, chunks: Iterable<string | Uint8Array | FileRange>): void {
  const out = AtomicFile.open(file);
  const it = chunks[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<string | Uint8Array | FileRange>;
    try {
      next = it.next();
    } catch (e) {
      // the chunks' producer failed (a failed write has said so itself, naming the file)
      out.abort();
      throw AtomicFile.failed(file, e);
    }
    if (next.done === true) break;
    out.write(next.value);
  }
  out.commit();
}

export function writeFileAtomic(file: string, text: string): void {
  writeFileAtomicChunks(file, [text]);
}

/** Validate, then write atomically, as a `semconf-results/2` file. Through the fast path when it accepts
 * (src/fast-validate.ts: the results as they are are then what zod would have produced), else through zod: a run's
 * results of 209 cases took zod ~75 ms, most of the serial tail after its last case. */
export function writeResults(file: string, results: Results): void {
  const fast = fastValidator(Results);
  const valid = fast !== undefined && fast(results) ? results : Results.parse(results);
  writeFileAtomic(file, resultsFileText(encodeResults(valid)));
}
