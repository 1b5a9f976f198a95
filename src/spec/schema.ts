// The spec language: every case and profile file is validated against these schemas, and the committed
// JSON Schemas in schema/ are generated from them (npm run schema). Types used across the suite are inferred
// from here so the YAML, the editor completion and the TypeScript never disagree.
import * as z from 'zod';
import { ERRNO_NAMES } from './errno-names.js';
import { FUNCTIONS_UNDER_TEST } from './functions.js';
import { MAX_MEMLOCK_BYTES, MAX_MEMLOCK_PAGES } from './memory.js';
import { describeInput } from './messages.js';

/** Longest name-like text (ids, titles, sections, facts) a spec or a results file may hold, and longest prose (quotes,
 * reasons, observations). Real ones are far shorter (the longest observation committed is 6,219 characters): the
 * bound is there so a 10 MB string in a pull request or a hand-edited results file is refused with the field
 * named, not carried into every report. */
export const MAX_SHORT_TEXT = 4096;
export const MAX_LONG_TEXT = 262_144;
export const ShortText = z.string().max(MAX_SHORT_TEXT, `expected at most ${MAX_SHORT_TEXT} characters`);
export const LongText = z.string().max(MAX_LONG_TEXT, `expected at most ${MAX_LONG_TEXT} characters`);

/** Case ids look like `mlock.zero-length`: the function, then dotted kebab-case words. */
export const CaseId = ShortText
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9-]*)+$/, 'a dotted id such as "mlock.zero-length"');

/** Clause ids are local to a profile: `mlock.errors.einval-len-zero`. */
export const ClauseId = ShortText
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9-]*)+$/, 'a dotted clause id such as "mlock.errors.enomem"');

export const ProfileId = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case profile id such as "hpux"');

export const MappingName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case mapping name such as "buf"');

export const ErrnoName = z.enum(ERRNO_NAMES);
export type ErrnoName = z.infer<typeof ErrnoName>;

/** `fails:` takes an errno name, a list of allowed names, or `any` where a document promises failure but its list
 * of errors is cut off or silent (FreeBSD 5.4 mlock(2)). */
export const Failure = z.union([ErrnoName, z.array(ErrnoName).min(1), z.literal('any')]);

/** One page of a mapping: its protection, or `hole` for a page left unmapped inside the fenced region. */
export const PageKind = z.enum(['rw', 'r', 'none', 'hole']);
export type PageKind = z.infer<typeof PageKind>;

/** Upper bound on pages per mapping: the per-case lock budget (64 MiB) at 4 KiB pages; lint holds the sum of a
 * case's pages to the budget too (src/spec/memory.ts). */
export const MAX_PAGES_PER_MAPPING = 16384;
/** A layout is written page by page: a list that long is a typo, not a test; a big mapping uses pages/prot. */
export const MAX_LAYOUT_PAGES = 1024;

/** What backs a mapping: private or shared anonymous memory, or a private or shared mapping of a temporary file
 * the worker creates for the case (src/worker/case-files.ts). */
export const Backing = z.enum(['anon-private', 'anon-shared', 'file-private', 'file-shared']);
export type Backing = z.infer<typeof Backing>;

export const Mapping = z
  .strictObject({
    pages: z.int().min(1).max(MAX_PAGES_PER_MAPPING).optional().describe('number of pages, all with `prot`'),
    prot: PageKind.exclude(['hole']).optional().describe('protection of every page when `pages` is given (default rw)'),
    layout: z
      .array(PageKind)
      .min(1)
      .max(MAX_LAYOUT_PAGES)
      .optional()
      .describe('page-by-page protection, e.g. [rw, hole]; instead of pages/prot'),
    backing: Backing.optional().describe('anon-private (default), anon-shared, file-private or file-shared (a temporary file of `file_pages`)'),
    file_pages: z
      .int()
      .min(0)
      .max(MAX_PAGES_PER_MAPPING)
      .optional()
      .describe('size of the temporary file in pages (file backings only; default: the mapping\'s pages); fewer than the mapping has leaves its last pages past the end of the file, where a touch is SIGBUS'),
    map_locked: z.boolean().optional().describe('map with MAP_LOCKED (Linux): locked at map time; unsupported where the target has no MAP_LOCKED'),
    follows: MappingName.optional().describe('place this mapping directly after the last page of the named mapping of this case, with no guard page between them'),
    touch: z.boolean().optional().describe('fault every accessible page in before the case (default false)'),
    after_call: z
      .boolean()
      .optional()
      .describe('create this mapping after the call under test (to see what MCL_FUTURE does to later mappings)'),
    deferred: z
      .boolean()
      .optional()
      .describe('not placed at the start: a step `mmap(name)` places it, and its outcome is observed like a call'),
  })
  .superRefine((m, ctx) => {
    if ((m.pages === undefined) === (m.layout === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of `pages` or `layout`' });
    }
    if (m.layout !== undefined && m.prot !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['prot'], message: '`prot` goes with `pages`, not with `layout`' });
    }
    const file = m.backing === 'file-private' || m.backing === 'file-shared';
    if (m.file_pages !== undefined && !file) {
      ctx.addIssue({ code: 'custom', path: ['file_pages'], message: '`file_pages` goes with `backing: file-private` or `file-shared`' });
    }
    const pages = m.layout?.length ?? m.pages ?? 0;
    if (m.touch === true && file && m.file_pages !== undefined && m.file_pages < pages) {
      ctx.addIssue({
        code: 'custom',
        path: ['touch'],
        message: `\`touch: true\` would write past the end of the file (${m.file_pages} of ${pages} pages are in the file), which is SIGBUS; expected no touch on a mapping that extends past the end of its file`,
      });
    }
    if (m.deferred === true && m.after_call === true) {
      ctx.addIssue({ code: 'custom', path: ['deferred'], message: 'a mapping is `deferred` (placed by an mmap step) or `after_call`, not both' });
    }
  });
export type Mapping = z.infer<typeof Mapping>;

/** A call expression such as "mlock(buf + 1, 2p)"; parsed and checked by src/spec/call.ts and the lint rules. */
export const CallText = z.string().min(3).max(200);

/** A setup step whose outcome is declared: `fails` (errno names or `any`) or `returns`. A step that does not end as
 * declared makes the case `error`, not a divergence: the sequence the case is about did not happen. */
export const DeclaredStep = z
  .strictObject({
    call: CallText.describe('the setup call'),
    fails: Failure.optional().describe('the step must fail: an errno name, a list of allowed ones, or `any`'),
    returns: z.int().optional().describe('the step must return this value'),
    outcome: z
      .literal('any')
      .optional()
      .describe('the step may end either way: its outcome is recorded, not checked (what `semconf explore` writes; a reviewer replaces it with `returns` or `fails`)'),
  })
  .superRefine((s, ctx) => {
    if ([s.fails, s.returns, s.outcome].filter((v) => v !== undefined).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'a declared step has exactly one of `returns`, `fails` or `outcome: any`' });
    }
  });
export type DeclaredStep = z.infer<typeof DeclaredStep>;

/** One setup step: a call that must succeed, or a call with its declared outcome. */
export const Step = z.union([CallText, DeclaredStep]);
export type Step = z.infer<typeof Step>;

/** The call text of a step (in step.ts, which the worker loads without zod). */
export { stepCall } from './step.js';

// Stated in the message so that an author sees the range, not just "too big": 2^64 + 4096 bytes used to pass lint
// and reach setrlimit as 4096.
const MEMLOCK_RANGE = `expected bytes from 0 to ${MAX_MEMLOCK_BYTES} (2^53 - 1), "Np" with N from 0 to ${MAX_MEMLOCK_PAGES} pages, "unlimited" or "default"`;

/** The memlock message with what was written: every bound and the pattern say the same, so the author sees the
 * range whichever check failed. */
const memlockRange = {
  error: (iss: { input?: unknown }) => (iss.input === undefined ? MEMLOCK_RANGE : `got ${describeInput(iss.input)}; ${MEMLOCK_RANGE}`),
};

export const Context = z.union([
  z.literal('privileged').describe('root with CAP_IPC_LOCK'),
  z.strictObject({
    user: z.literal('unprivileged'),
    memlock: z
      .union(
        [
          z.int().min(0, memlockRange).max(Number(MAX_MEMLOCK_BYTES), memlockRange),
          z
            .string()
            .regex(/^(\d+p|unlimited|default)$/, memlockRange)
            .refine((s) => !s.endsWith('p') || BigInt(s.slice(0, -1)) <= MAX_MEMLOCK_PAGES, memlockRange),
        ],
        memlockRange,
      )
      .describe('RLIMIT_MEMLOCK set before the drop: bytes, pages as "Np", "unlimited", or "default" (left as inherited)'),
  }),
]);
export type Context = z.infer<typeof Context>;

/** How an asynchronous request ended (aio_error / aio_return after it left EINPROGRESS). */
export const Completion = z
  .strictObject({
    returns: z.int().optional(),
    fails: Failure.optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.returns === undefined) === (o.fails === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a completion has exactly one of `returns` or `fails`' });
    }
  });
export type Completion = z.infer<typeof Completion>;

/** Page selector of an effect: every mapped page, none of them, or these page indices. */
export const PageSet = z.union([z.enum(['all', 'none']), z.array(z.int().min(0)).min(1)]);
export type PageSet = z.infer<typeof PageSet>;

/** Locked memory of a whole process: none at all, or some. */
export const LockedTotal = z.enum(['none', 'some']);
export type LockedTotal = z.infer<typeof LockedTotal>;

/** A count of pages, as in the call language: "3p". */
export const PageCount = z.string().regex(/^\d{1,7}p$/, 'a number of pages such as "3p"');

/** Locked totals: of the case's own memory (its mappings' locked pages, counted), and of the process (what the
 * kernel charges it, VmLck on Linux, grown since the case started): none or some, as for a child or an exec'd
 * program, since its exact figure is the environment's (after mlockall it is the whole worker). */
export const LockedTotals = z
  .strictObject({
    case: PageCount.optional().describe("pages of the case's mappings that are locked, e.g. \"3p\""),
    process: LockedTotal.optional().describe("what the process has locked more than when the case started: none or some"),
  })
  .refine((t) => t.case !== undefined || t.process !== undefined, 'expected `case`, `process` or both');
export type LockedTotals = z.infer<typeof LockedTotals>;

/** Mapping names are declared per case (under `memory:`): a JSON Schema cannot check a key against another part
 * of the same case, so editors do not flag an unknown one; lint does (effectsNameMappings). */
const MAPPING_KEYS_NOTE = 'keys are mapping names declared under `memory:` of this case (checked by semconf lint, not by this schema)';

const effectFields = {
  completes: Completion.optional().describe('for asynchronous calls (aio_mlock): how the request ends'),
  child: z
    .strictObject({
      locked: z.record(MappingName, PageSet).optional().describe(`lock state of the mappings in the child; ${MAPPING_KEYS_NOTE}`),
      locked_total: LockedTotal.optional().describe("the child's locked memory right after fork"),
    })
    .optional()
    .describe('in a child forked from the worker after the call (fork inheritance)'),
  exec: z
    .strictObject({ locked_total: LockedTotal.describe("the new program's locked memory") })
    .optional()
    .describe('in the program the worker execs into after the call: the same process, so what survives an exec'),
  locked: z
    .record(MappingName, PageSet)
    .optional()
    .describe(`which pages of each mapping are locked after the call; ${MAPPING_KEYS_NOTE}`),
  resident: z
    .record(MappingName, PageSet)
    .optional()
    .describe(`which pages of each mapping are memory-resident after the call (other pages may be too); ${MAPPING_KEYS_NOTE}`),
  not_resident: z
    .record(MappingName, PageSet)
    .optional()
    .describe(`which pages of each mapping are not resident after the call (other pages may be either); ${MAPPING_KEYS_NOTE}`),
  locked_total: LockedTotals.optional().describe('locked totals after the call: of the case\'s own memory, of the process'),
};

/** An outcome of the call under test: exactly one of returns / fails, plus optional effects. */
export const Outcome = z
  .strictObject({
    returns: z.int().optional(),
    fails: Failure.optional(),
    ...effectFields,
  })
  .superRefine((o, ctx) => {
    if ((o.returns === undefined) === (o.fails === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'an outcome has exactly one of `returns` or `fails`' });
    }
  });
export type Outcome = z.infer<typeof Outcome>;

/** What one profile's documents say the call does, and on which document that rests. */
export const Expectation = z
  .strictObject({
    returns: z.int().optional(),
    fails: Failure.optional().describe('errno name, a list of allowed ones, or `any`'),
    one_of: z.array(Outcome).min(2).optional().describe('"may fail" clauses: any of these outcomes conforms'),
    ...effectFields,
    clause: z.union([ClauseId, z.array(ClauseId).min(1)]).optional().describe('clause id(s) in this profile'),
    basis: z.literal('inferred').optional().describe('no clause says it; `reason` explains the inference'),
    reason: LongText.min(10).optional(),
    note: LongText.optional(),
  })
  .superRefine((e, ctx) => {
    const forms = [e.returns, e.fails, e.one_of].filter((v) => v !== undefined).length;
    if (forms !== 1) {
      ctx.addIssue({ code: 'custom', message: 'an expectation has exactly one of `returns`, `fails` or `one_of`' });
    }
    if (e.clause === undefined && e.basis === undefined) {
      ctx.addIssue({ code: 'custom', message: 'an expectation rests on a `clause`, or on `basis: inferred` with a `reason`' });
    }
    if (e.basis === 'inferred' && e.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['basis'], message: '`basis: inferred` needs a `reason`' });
    }
  });
export type Expectation = z.infer<typeof Expectation>;

/** The document is silent: `unspecified`, or `{ unspecified: "why" }` to say what it leaves open. */
export const Unspecified = z.union([
  z.literal('unspecified'),
  z.strictObject({ unspecified: LongText.min(3), clause: z.union([ClauseId, z.array(ClauseId)]).optional() }),
]);

export const ProfileExpectation = z.union([Unspecified, Expectation]);
export type ProfileExpectation = z.infer<typeof ProfileExpectation>;

export const Case = z.strictObject({
  id: CaseId,
  aliases: z.array(CaseId).optional().describe('old ids of this case, kept when it is renamed'),
  title: ShortText.min(3),
  memory: z.record(MappingName, Mapping).optional().describe('fresh mappings, each fenced by guard pages'),
  before: z
    .array(Step)
    .optional()
    .describe('setup steps, in order: a call text must succeed; `{ call, fails }` or `{ call, returns }` must end as declared; else the case is an error'),
  call: CallText.describe('the call under test'),
  after: z
    .array(Step)
    .optional()
    .describe('steps after the call under test, before its effects are observed: the same forms as `before`'),
  snapshots: z
    .boolean()
    .optional()
    .describe("record every mapping's lock and residency state after each step and the call (shown in reports and diffs; not judged)"),
  as: Context.optional().describe('execution context (default privileged)'),
  timeout_ms: z.int().min(100).max(60_000).optional(),
  expect: z.record(ProfileId, ProfileExpectation),
});
export type Case = z.infer<typeof Case>;

export const SpecFile = z
  .strictObject({
    function: z.enum(FUNCTIONS_UNDER_TEST).describe('the function every case of this file calls under test (mmap is a step only)'),
    cases: z.array(Case).min(1),
  })
  .meta({ title: 'semconf spec file', description: 'Cases for one function; see CONTRIBUTING.md.' });
export type SpecFile = z.infer<typeof SpecFile>;

export const Clause = z.strictObject({
  id: ClauseId,
  document: z.string().min(1).describe('id of a document of this profile'),
  section: ShortText.min(1),
  quote: LongText.min(3).describe('verbatim from the document (white space may be folded)'),
  untestable: LongText.min(10).optional().describe('why no case can check this clause'),
});
export type Clause = z.infer<typeof Clause>;

export const Document = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  title: z.string(),
  section: z.string().optional(),
  date: z.string().optional(),
  source: z.string().optional().describe('file name of a copy under the sources directory, e.g. a seed'),
  man: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*\.[1-9][a-z]*$/, 'a man page as name.section, e.g. "mlock.2"')
    .optional()
    .describe('the page as installed with the man pages (name.section): `semconf lint --man-pages DIR` checks quotes against it when its release is the one cited'),
  url: z.string().optional(),
  gaps: z.array(z.string()).optional().describe('where the copy is cut off or damaged; never fill these in'),
  release: z
    .string()
    .regex(/^\d+(\.\d+)*$/, 'a release number like 5.4 or 10.0')
    .optional()
    .describe('the release of the platform this document describes, e.g. 5.4'),
  functions: z
    .array(z.string().regex(/^[a-z_][a-z0-9_]*$/))
    .min(1)
    .optional()
    .describe('the functions this document documents; with `release`, the first release a function is known in'),
});

export const Profile = z
  .strictObject({
    id: ProfileId,
    name: z.string(),
    version: z.string(),
    kind: z.enum(['live', 'document-only']),
    documents: z.array(Document).min(1),
    clauses: z.array(Clause),
  })
  .meta({ title: 'semconf platform profile' });
export type Profile = z.infer<typeof Profile>;
