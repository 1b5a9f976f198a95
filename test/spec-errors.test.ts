// Bad input to the spec loader: every malformed spec or profile is rejected with the exact file, line, column
// and key path of the problem and a message that says what was expected.
//
// Fixtures live in test/fixtures/spec-errors/. `base/` is a tiny valid specs directory (two made-up profiles and
// one spec file). Every other directory there holds only the files that differ from base: each test copies base
// into a fresh temp directory, lays the fixture's files over it (same name replaces, new name adds) and loads the
// result with loadCatalog. Expected positions are 1-based and were counted by hand from the fixture text; each row
// also names the token found at that position, which the test checks against the fixture so a shifted line or
// column in a fixture edit shows up as a fixture problem, not as a loader one.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { type Diagnostic, formatDiagnostic, InputError } from '../src/spec/diagnostics.js';
import { loadSpecFile } from '../src/spec/load.js';
import { loadCatalog } from '../src/spec/lint.js';
import { readCatalog } from '../src/spec/catalog.js';
import { MAX_SPEC_FILE_BYTES } from '../src/spec/read.js';
import { checkQuotes } from '../src/spec/sources.js';
import { MAX_ALIAS_NODES } from '../src/spec/structure.js';
import { resetWork, workDone } from '../src/spec/work.js';
import { memlockBytes } from '../src/worker/context.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/spec-errors/', import.meta.url));
const BASE = join(FIXTURES, 'base');

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh specs directory: base, then each named fixture laid over it. */
function caseDir(...fixtures: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-spec-errors-'));
  tempDirs.push(dir);
  cpSync(BASE, dir, { recursive: true });
  for (const f of fixtures) cpSync(join(FIXTURES, f), dir, { recursive: true });
  return dir;
}

/** The diagnostics loadCatalog throws for `dir`; fails the test if it loads, or throws anything but InputError. */
function diagnosticsOf(dir: string): Diagnostic[] {
  let thrown: unknown;
  try {
    loadCatalog(dir);
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error(`expected loadCatalog(${dir}) to throw InputError, but it loaded`);
  if (!(thrown instanceof InputError)) throw thrown;
  return thrown.diagnostics;
}

/** Check that the fixture text at line:col (1-based) starts with `token`: guards the hand-counted positions. */
function expectToken(file: string, line: number, col: number, token: string): void {
  const text = readFileSync(file, 'utf8').split('\n')[line - 1];
  expect(text, `${file} has no line ${line}`).toBeDefined();
  expect((text as string).slice(col - 1), `fixture text at ${file}:${line}:${col}`).toMatch(new RegExp(`^${escape(token)}`));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type Message = string | RegExp;

/** The expected diagnostic; `message` is a substring (with <dir> standing for the specs directory) or a RegExp. */
function at(dir: string, file: string, line: number, col: number, path: string, message: Message): Diagnostic {
  return {
    file: join(dir, file),
    line,
    col,
    path,
    message:
      typeof message === 'string' ? expect.stringContaining(message.replaceAll('<dir>', dir)) : expect.stringMatching(message),
  };
}

describe('the base fixture', () => {
  test('is a valid specs directory', () => {
    const catalog = loadCatalog(BASE);
    expect(catalog.profiles.map((p) => p.value.id)).toEqual(['alpha', 'beta']);
    expect(catalog.profiles.map((p) => p.value.kind)).toEqual(['live', 'document-only']);
    expect(catalog.specs).toHaveLength(1);
    expect(catalog.specs[0]?.value.function).toBe('mlock');
    expect(catalog.specs[0]?.value.cases.map((c) => c.id)).toEqual(['mlock.zero-length', 'mlock.one-page']);
    expect(catalog.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('stays valid when copied (the copy every other test starts from)', () => {
    expect(() => loadCatalog(caseDir())).not.toThrow();
  });
});

interface Row {
  /** directory under test/fixtures/spec-errors/ */
  fixture: string;
  /** file of the problem, relative to the specs directory */
  file: string;
  line: number;
  col: number;
  /** the text at line:col in the fixture */
  token: string;
  path: string;
  message: Message;
}

// One problem per fixture, so each must produce exactly this one diagnostic.
const ROWS: Row[] = [
  // --- schema: unknown keys and names ---
  { fixture: 'unknown-top-level-key', file: 'mlock.yaml', line: 3, col: 1, token: 'version', path: 'version', message: 'unknown key "version"; expected one of the keys function, cases' },
  { fixture: 'unknown-case-key', file: 'mlock.yaml', line: 8, col: 5, token: 'skip', path: 'cases[0].skip', message: 'unknown key "skip"; expected one of the keys id, aliases, title, memory, before, call, after, snapshots, as, timeout_ms, expect' },
  { fixture: 'unknown-function', file: 'mlock.yaml', line: 2, col: 11, token: 'mlok', path: 'function', message: 'got "mlok"; did you mean "mlock"? expected one of "mlock", "munlock", "mlockall", "munlockall", "munmap", "mprotect"' },
  { fixture: 'unknown-errno', file: 'mlock.yaml', line: 10, col: 23, token: 'ENOSPACE', path: 'cases[0].expect.alpha.fails', message: 'got "ENOSPACE"; did you mean "ENOSPC"? expected an errno name (one of the 81 listed in schema/spec.schema.json), a list of errno names or "any"' },
  { fixture: 'missing-id', file: 'mlock.yaml', line: 4, col: 5, token: 'title', path: 'cases[0]', message: 'missing required key "id" (expected a dotted id such as "mlock.zero-length")' },
  { fixture: 'bad-id-format', file: 'mlock.yaml', line: 4, col: 9, token: 'mlock_one_page', path: 'cases[0].id', message: 'got "mlock_one_page"; expected a dotted id such as "mlock.zero-length"' },
  // A record key that fails its pattern is the key's fault: point at the key and say what a key must look like.
  { fixture: 'bad-mapping-name', file: 'mlock.yaml', line: 7, col: 7, token: 'Buf', path: 'cases[0].memory.Buf', message: 'a lower-case mapping name such as "buf"' },

  // --- schema: expectations ---
  { fixture: 'expectation-without-basis', file: 'mlock.yaml', line: 10, col: 14, token: '{ returns: 0 }', path: 'cases[0].expect.alpha', message: 'an expectation rests on a `clause`, or on `basis: inferred` with a `reason`' },
  { fixture: 'inferred-without-reason', file: 'mlock.yaml', line: 10, col: 35, token: 'inferred', path: 'cases[0].expect.alpha.basis', message: '`basis: inferred` needs a `reason`' },
  { fixture: 'returns-and-fails', file: 'mlock.yaml', line: 10, col: 14, token: '{ returns: 0, fails', path: 'cases[0].expect.alpha', message: 'an expectation has exactly one of `returns`, `fails` or `one_of`' },

  // --- schema: memory ---
  { fixture: 'pages-zero', file: 'mlock.yaml', line: 7, col: 21, token: '0 }', path: 'cases[0].memory.buf.pages', message: 'got 0; expected at least 1' },
  { fixture: 'pages-too-many', file: 'mlock.yaml', line: 7, col: 21, token: '20000', path: 'cases[0].memory.buf.pages', message: 'got 20000; expected at most 16384' },
  { fixture: 'pages-negative', file: 'mlock.yaml', line: 7, col: 21, token: '-1', path: 'cases[0].memory.buf.pages', message: 'got -1; expected at least 1' },
  { fixture: 'pages-and-layout', file: 'mlock.yaml', line: 7, col: 12, token: '{ pages: 1, layout', path: 'cases[0].memory.buf', message: 'exactly one of `pages` or `layout`' },
  { fixture: 'layout-unknown-kind', file: 'mlock.yaml', line: 7, col: 27, token: 'rx', path: 'cases[0].memory.buf.layout[1]', message: 'expected one of "rw", "r", "none", "hole"' },

  // --- memory kinds (src/spec/schema.ts Mapping; src/spec/rules/memory-kinds.ts) ---
  { fixture: 'backing-unknown', file: 'mlock.yaml', line: 7, col: 33, token: 'file }', path: 'cases[0].memory.buf.backing', message: 'got "file"; expected one of "anon-private", "anon-shared", "file-private", "file-shared"' },
  { fixture: 'file-pages-anon', file: 'mlock.yaml', line: 7, col: 36, token: '1 }', path: 'cases[0].memory.buf.file_pages', message: '`file_pages` goes with `backing: file-private` or `file-shared`' },
  { fixture: 'touch-past-eof', file: 'mlock.yaml', line: 7, col: 68, token: 'true }', path: 'cases[0].memory.buf.touch', message: '`touch: true` would write past the end of the file (1 of 2 pages are in the file), which is SIGBUS' },
  { fixture: 'deferred-after-call', file: 'mlock.yaml', line: 8, col: 35, token: 'true, after_call', path: 'cases[0].memory.late.deferred', message: 'a mapping is `deferred` (placed by an mmap step) or `after_call`, not both' },
  { fixture: 'follows-unknown', file: 'mlock.yaml', line: 8, col: 34, token: 'bfu }', path: 'cases[0].memory.next.follows', message: 'unknown mapping "bfu" (did you mean "buf"?); expected one of buf (the mappings of this case, under memory:)' },
  { fixture: 'follows-cycle', file: 'mlock.yaml', line: 7, col: 33, token: 'next }', path: 'cases[0].memory.buf.follows', message: '"buf" follows a mapping that follows it (buf -> next -> buf); expected a chain with a first mapping' },
  { fixture: 'follows-two-followers', file: 'mlock.yaml', line: 9, col: 31, token: 'buf }', path: 'cases[0].memory.b.follows', message: '"buf" is already followed by "a"; expected at most one mapping directly after another' },
  { fixture: 'follows-deferred', file: 'mlock.yaml', line: 8, col: 50, token: 'buf }', path: 'cases[0].memory.late.follows', message: 'adjacent mappings are placed together at the start: expected neither of them `deferred` or `after_call`' },
  { fixture: 'mmap-not-deferred', file: 'mlock.yaml', line: 9, col: 9, token: 'mmap(buf)', path: 'cases[0].before[0]', message: 'mmap\'s argument 1 must be the name of a mapping of this case declared `deferred: true` (this case has none), got "buf"' },
  { fixture: 'mmap-twice', file: 'mlock.yaml', line: 11, col: 9, token: 'mmap(late)', path: 'cases[0].before[1]', message: '"late" is mapped by an earlier step already; expected one mmap step per deferred mapping' },
  { fixture: 'deferred-before-mmap', file: 'mlock.yaml', line: 9, col: 11, token: 'mlock(late, 1p)', path: 'cases[0].call', message: '"late" is deferred and not mapped yet here; expected a step mmap(late) before this call' },
  { fixture: 'ftruncate-anon', file: 'mlock.yaml', line: 9, col: 9, token: 'ftruncate(buf, 1p)', path: 'cases[0].before[0]', message: 'ftruncate\'s argument 1 must be the name of a file-backed mapping of this case (backing: file-private or file-shared) (this case has none), got "buf"' },
  // a descriptor number is not a name: no spec reaches a descriptor the worker did not open for it
  { fixture: 'ftruncate-number', file: 'mlock.yaml', line: 9, col: 9, token: 'ftruncate(3, 1p)', path: 'cases[0].before[0]', message: 'ftruncate\'s argument 1 must be the name of a file-backed mapping of this case (backing: file-private or file-shared) (buf), got "3"' },
  { fixture: 'ftruncate-too-long', file: 'mlock.yaml', line: 9, col: 9, token: 'ftruncate(buf, 16385p)', path: 'cases[0].before[0]', message: 'ftruncate\'s argument 2 is 67112960 bytes, over the case budget of 67108864 bytes (with 4096-byte pages)' },

  // --- schema: execution context ---
  { fixture: 'memlock-bad-value', file: 'mlock.yaml', line: 8, col: 40, token: 'lots', path: 'cases[0].as.memlock', message: 'unlimited' },
  // A missing key is reported where it should have been (the `as` map), as for a missing id.
  { fixture: 'memlock-missing', file: 'mlock.yaml', line: 8, col: 9, token: '{ user: unprivileged }', path: 'cases[0].as', message: 'missing required key "memlock"' },
  // The message must not hide the unprivileged form: `as` is "privileged" or { user: unprivileged, memlock }.
  { fixture: 'as-unknown-context', file: 'mlock.yaml', line: 8, col: 9, token: 'root', path: 'cases[0].as', message: 'got "root"; expected "privileged" or a map with the keys user, memlock' },

  // --- lint: calls ---
  { fixture: 'call-unknown-function', file: 'mlock.yaml', line: 8, col: 11, token: 'mlok(buf, 1p)', path: 'cases[0].call', message: 'unknown function "mlok" (did you mean "mlock"?); expected one of mlock, munlock, mlockall, munlockall, munmap, mprotect, aio_mlock, lio_listio' },
  { fixture: 'before-unknown-function', file: 'mlock.yaml', line: 10, col: 9, token: 'munlok(buf, 1p)', path: 'cases[0].before[1]', message: 'unknown function "munlok" (did you mean "munlock"?); expected one of mlock, munlock' },
  { fixture: 'call-other-function', file: 'mlock.yaml', line: 8, col: 11, token: 'munlock(buf, 1p)', path: 'cases[0].call', message: 'expected a call to mlock (the function of this file), got munlock' },
  { fixture: 'call-wrong-arity', file: 'mlock.yaml', line: 8, col: 11, token: 'mlock(buf)', path: 'cases[0].call', message: 'mlock takes 2 argument(s), got 1' },
  { fixture: 'call-syntax-error', file: 'mlock.yaml', line: 8, col: 11, token: 'mlock(buf,, 1p)', path: 'cases[0].call', message: 'bad call expression "mlock(buf,, 1p)": expected a number, a mapping name or a constant at offset 10' },
  { fixture: 'call-unknown-name', file: 'mlock.yaml', line: 8, col: 11, token: 'mlock(buff, 1p)', path: 'cases[0].call', message: 'unknown name "buff" (did you mean "buf"?); expected a mapping of this case (buf) or a constant (MCL_CURRENT, ' },

  // --- lint: profiles named by expectations ---
  { fixture: 'unknown-profile', file: 'mlock.yaml', line: 12, col: 7, token: 'gamma', path: 'cases[0].expect.gamma', message: 'unknown profile "gamma"; expected one of alpha, beta' },
  { fixture: 'missing-profile', file: 'mlock.yaml', line: 10, col: 7, token: 'alpha', path: 'cases[0].expect', message: 'no expectation for profile "beta"' },
  { fixture: 'unknown-clause', file: 'mlock.yaml', line: 10, col: 36, token: 'mlock.return.ok', path: 'cases[0].expect.alpha.clause', message: 'unknown clause "mlock.return.ok" in profile "alpha"; expected one of mlock.errors.einval-len-zero, mlock.errors.enomem, mlock.return.success' },

  // --- lint: effects and the lock budget ---
  { fixture: 'effect-unknown-mapping', file: 'mlock.yaml', line: 12, col: 19, token: 'bfu', path: 'cases[0].expect.alpha.locked.bfu', message: 'unknown mapping "bfu" (did you mean "buf"?); expected one of buf (the mappings of this case, under memory:)' },
  // Mapping names under child.locked: too (JSON Schema cannot check them; the editor schema says lint does).
  { fixture: 'child-unknown-mapping', file: 'mlock.yaml', line: 24, col: 28, token: 'bfu', path: 'cases[1].expect.alpha.child.locked.bfu', message: 'unknown mapping "bfu" (did you mean "buf"?); expected one of buf (the mappings of this case, under memory:)' },
  // `constructor` names Object.prototype machinery: refused as a key anywhere, before lint could look it up.
  { fixture: 'effect-prototype-name', file: 'mlock.yaml', line: 12, col: 19, token: 'constructor', path: 'cases[0].expect.alpha.locked.constructor', message: 'key "constructor" is not allowed' },
  // The offending value is the index 1 inside [0, 1], not the list.
  { fixture: 'effect-page-out-of-range', file: 'mlock.yaml', line: 12, col: 28, token: '1]', path: 'cases[0].expect.alpha.locked.buf[1]', message: 'page index out of range: "buf" has 1 page(s)' },
  // --- lint: confinement (src/worker/confine.ts), hostile ranges decided statically ---
  { fixture: 'call-escapes-region', file: 'mlock.yaml', line: 9, col: 11, token: 'mlock(buf, 0x10000000)', path: 'cases[0].call', message: 'mlock\'s range starts in "buf" and reaches 64511 page(s) past its fenced region (its pages and one guard page on each side); a spec may touch only its own mappings (with 4096-byte pages)' },
  { fixture: 'before-outside-case', file: 'mlock.yaml', line: 9, col: 14, token: '"munmap(0xdd3000, 1p)"', path: 'cases[0].before[0]', message: 'munmap\'s range 0xdd3000-0xdd4000 is not in the case\'s mappings, the NULL page (below 0x1000) or the kernel\'s part (from 0x8000000000000000); a spec may touch only its own mappings (with 4096-byte pages)' },
  // the calls that interact with locks: madvise's range is confined as mlock's (MADV_DONTNEED would discard the
  // worker's own pages), and an mremap must be one the worker can follow (src/spec/rules/remap-arguments.ts)
  { fixture: 'madvise-escapes-region', file: 'madvise.yaml', line: 9, col: 11, token: 'madvise(buf, 0x10000000, MADV_DONTNEED)', path: 'cases[0].call', message: 'madvise\'s range starts in "buf" and reaches 65533 page(s) past its fenced region (its pages and one guard page on each side); a spec may touch only its own mappings (with 4096-byte pages)' },
  { fixture: 'remap-fixed-flag', file: 'mremap.yaml', line: 9, col: 11, token: 'mremap(buf, 1p, 1p, MREMAP_MAYMOVE | 2)', path: 'cases[0].call', message: 'mremap\'s flags "MREMAP_MAYMOVE | 2" are refused: expected 0 or MREMAP_MAYMOVE (MREMAP_FIXED would replace memory at an address of the spec\'s choosing, MREMAP_DONTUNMAP leaves an untracked copy)' },
  { fixture: 'remap-inside-mapping', file: 'mremap.yaml', line: 10, col: 9, token: 'mremap(buf + 1p, 1p, 2p, 0)', path: 'cases[0].before[1]', message: 'mremap\'s address "buf + 1p" is not a mapping of this case by itself; expected one of buf, the mapping it resizes or moves from its first page' },
  { fixture: 'lock-budget', file: 'mlock.yaml', line: 7, col: 7, token: 'm1:', path: 'cases[0].memory', message: 'the case maps 17408 pages, over the lock budget of 16384 pages' },

  // --- lint: an expectation that accepts every outcome is not a check (src/spec/rules/accepts-everything.ts) ---
  { fixture: 'accepts-everything', file: 'mlock.yaml', line: 10, col: 7, token: 'alpha:', path: 'cases[0].expect.alpha', message: 'this expectation accepts every outcome (success, or failure with any errno, and no effect stated), so it cannot diverge; say what the document promises, or mark it unspecified with the reason' },

  // an expectation rests on a document of a release that has the function (src/spec/rules/document-release.ts)
  { fixture: 'older-release-clause', file: 'mlock.yaml', line: 10, col: 39, token: 'mlock.errors.einval-len-zero', path: 'cases[0].expect.alpha.clause', message: 'clause "mlock.errors.einval-len-zero" comes from alpha-manual (release 1.0), older than mlock() (first in release 2.0): cite it only with `basis: inferred` and a reason saying the older text is assumed to hold, or mark the expectation unspecified' },

  // --- sequences: setup steps with a declared outcome (src/spec/schema.ts DeclaredStep) ---
  { fixture: 'step-both-outcomes', file: 'mlock.yaml', line: 9, col: 9, token: '{ call:', path: 'cases[0].before[0]', message: 'a declared step has exactly one of `returns`, `fails` or `outcome: any`' },
  { fixture: 'step-bad-errno', file: 'mlock.yaml', line: 9, col: 44, token: 'ENOMEN', path: 'cases[0].before[0].fails', message: 'got "ENOMEN"; did you mean "ENOMEM"? expected an errno name (one of the 81 listed in schema/spec.schema.json), a list of errno names or "any"' },
  { fixture: 'step-unknown-function', file: 'mlock.yaml', line: 9, col: 17, token: '"system(buf)"', path: 'cases[0].before[0].call', message: 'unknown function "system"; expected one of mlock, munlock, mlockall, munlockall, munmap, mprotect, aio_mlock' },

  // --- hostile: keys that would vanish or shadow, numbers that would wrap, control characters ---
  // zod's record drops `__proto__` from the data: without this check the mapping (or expectation) silently vanished.
  { fixture: 'proto-key-memory', file: 'mlock.yaml', line: 8, col: 7, token: '__proto__', path: 'cases[0].memory.__proto__', message: 'key "__proto__" is not allowed: it names JavaScript object machinery (expected a name other than __proto__, constructor or prototype)' },
  { fixture: 'proto-key-expect', file: 'mlock.yaml', line: 12, col: 7, token: '__proto__', path: 'cases[0].expect.__proto__', message: 'key "__proto__" is not allowed' },
  { fixture: 'prototype-key', file: 'mlock.yaml', line: 10, col: 58, token: 'prototype', path: 'cases[0].expect.alpha.prototype', message: 'key "prototype" is not allowed' },
  // 2^64 + 4096 bytes used to pass lint and reach setrlimit as 4096.
  { fixture: 'memlock-overflow', file: 'mlock.yaml', line: 9, col: 40, token: '"4503599627370497p"', path: 'cases[0].as.memlock', message: 'got "4503599627370497p"; expected bytes from 0 to 9007199254740991 (2^53 - 1), "Np" with N from 0 to 137438953471 pages, "unlimited" or "default"' },
  { fixture: 'call-number-overflow', file: 'mlock.yaml', line: 8, col: 11, token: 'mlock(buf, 18446744073709551617)', path: 'cases[0].call', message: 'number out of range: expected at most 18446744073709551615 (2^64 - 1, SIZE_MAX) at offset 11' },
  { fixture: 'control-character', file: 'mlock.yaml', line: 5, col: 12, token: '"locking one page', path: 'cases[0].title', message: 'control character U+001B in text; expected printable text' },

  // --- lint: case ids ---
  { fixture: 'duplicate-id-across-files', file: 'mlock2.yaml', line: 4, col: 9, token: 'mlock.zero-length', path: 'cases[0].id', message: 'duplicate case id "mlock.zero-length" (first used at <dir>/mlock.yaml:4:9)' },
  // Both the duplicate and its first use are the alias itself (line 5 col 15), not the list or the case's id.
  { fixture: 'duplicate-alias', file: 'mlock.yaml', line: 15, col: 33, token: 'mlock.len-0]', path: 'cases[1].aliases[1]', message: 'duplicate case id "mlock.len-0" (first used at <dir>/mlock.yaml:5:15)' },

  // --- profiles ---
  { fixture: 'profile-bad-kind', file: 'profiles/beta.yaml', line: 6, col: 7, token: 'paper', path: 'kind', message: 'expected one of "live", "document-only"' },
  { fixture: 'profile-id-mismatch', file: 'profiles/beta.yaml', line: 2, col: 5, token: 'gamma', path: 'id', message: 'expected id "beta" (the file name)' },
  { fixture: 'clause-unknown-document', file: 'profiles/beta.yaml', line: 16, col: 15, token: 'beta-std', path: 'clauses[1].document', message: 'unknown document "beta-std"; expected one of beta-standard' },
  { fixture: 'clause-duplicate-id', file: 'profiles/beta.yaml', line: 15, col: 9, token: 'mlock.return.success', path: 'clauses[1].id', message: 'duplicate clause id "mlock.return.success"' },
  // alpha.yaml and alpha.yml both declare id alpha: both match their file names, but the catalog is ambiguous.
  { fixture: 'duplicate-profile-id', file: 'profiles/alpha.yml', line: 3, col: 5, token: 'alpha', path: 'id', message: /duplicate profile id "alpha"/ },
  // --- steps after the call, the touch builtin, locked totals, not resident (issue 11, sequences) ---
  { fixture: 'touch-prot-none', file: 'mlock.yaml', line: 8, col: 14, token: '"touch(buf, 1p)"', path: 'cases[0].before[0]', message: 'touch\'s range covers page 0 of "buf", which is PROT_NONE at this step; touch writes zeros, so only writable pages of the case may be touched (with 4096-byte pages)' },
  { fixture: 'touch-after-protect-none', file: 'mlock.yaml', line: 9, col: 50, token: '"touch(buf, 2p)"', path: 'cases[0].after[1]', message: 'touch\'s range covers page 1 of "buf", which is PROT_NONE at this step; touch writes zeros, so only writable pages of the case may be touched (with 4096-byte pages)' },
  { fixture: 'touch-as-call', file: 'mlock.yaml', line: 8, col: 11, token: 'touch(buf, 1p)', path: 'cases[0].call', message: 'touch is a step (in before: or after:), not a call under test; expected a call to mlock' },
  { fixture: 'touch-wrong-arity', file: 'mlock.yaml', line: 8, col: 14, token: '"touch(buf)"', path: 'cases[0].before[0]', message: 'touch takes 2 argument(s) (address, length), got 1' },
  { fixture: 'touch-outside-case', file: 'mlock.yaml', line: 9, col: 13, token: '"touch(buf, 1p + 1)"', path: 'cases[0].after[0]', message: 'touch\'s range reaches 0x100000002000, which is not a page of the case\'s mappings; touch writes only to the case\'s own pages (with 4096-byte pages)' },
  { fixture: 'after-unknown-function', file: 'mlock.yaml', line: 9, col: 13, token: '"system(buf)"', path: 'cases[0].after[0]', message: 'unknown function "system"; expected one of mlock, munlock, mlockall, munlockall, munmap, mprotect, aio_mlock' },
  { fixture: 'after-escapes-case', file: 'mlock.yaml', line: 10, col: 17, token: '"munlock(buf, 0x10000000)"', path: 'cases[0].after[0].call', message: 'munlock\'s range starts in "buf" and reaches 65534 page(s) past its fenced region (its pages and one guard page on each side); a spec may touch only its own mappings (with 4096-byte pages)' },
  { fixture: 'locked-total-not-pages', file: 'mlock.yaml', line: 10, col: 50, token: '1 }', path: 'cases[0].expect.alpha.locked_total.case', message: 'got 1; expected a number of pages such as "3p"' },
  { fixture: 'locked-total-empty', file: 'mlock.yaml', line: 10, col: 42, token: '{}', path: 'cases[0].expect.alpha.locked_total', message: 'expected `case`, `process` or both' },
  { fixture: 'not-resident-unknown-mapping', file: 'mlock.yaml', line: 10, col: 44, token: 'bfu', path: 'cases[0].expect.alpha.not_resident.bfu', message: 'unknown mapping "bfu" (did you mean "buf"?); expected one of buf (the mappings of this case, under memory:)' },
  { fixture: 'touch-declared-to-fail', file: 'mlock.yaml', line: 10, col: 9, token: '{ call: "touch(buf, 1p)"', path: 'cases[0].after[0]', message: 'touch always returns 0 (a refused one makes the case an error, not a failure): write it as a plain step, or declare `returns: 0`' },
  { fixture: 'snapshots-not-boolean', file: 'mlock.yaml', line: 9, col: 16, token: 'each_step', path: 'cases[0].snapshots', message: 'got "each_step"; expected true or false' },
];

// Messages in the spec's terms (src/spec/messages.ts, src/spec/did-you-mean.ts): one row per kind of message. These
// fixtures may give a follow-on diagnostic too (a typo of `returns` also leaves the expectation without one); the
// row is the first.
const TERM_ROWS: Row[] = [
  // unknown key with a near name: the allowed keys at that place, and the nearest
  { fixture: 'unknown-key-near', file: 'mlock.yaml', line: 22, col: 9, token: 'retruns', path: 'cases[1].expect.alpha.retruns', message: 'unknown key "retruns" (did you mean "returns"?); expected one of the keys returns, fails, one_of, completes, child, exec, locked, resident, not_resident, locked_total, clause, basis, reason, note' },
  // unknown outcome word: the words and forms the place takes
  { fixture: 'outcome-word-typo', file: 'mlock.yaml', line: 11, col: 13, token: 'unspecifed', path: 'cases[0].expect.beta', message: 'got "unspecifed"; did you mean "unspecified"? expected "unspecified", a map with the keys unspecified, clause or a map with the keys returns, fails,' },
  // unknown profile id under expect: with a near id
  { fixture: 'profile-near-name', file: 'mlock.yaml', line: 10, col: 7, token: 'alhpa', path: 'cases[0].expect.alhpa', message: 'unknown profile "alhpa" (did you mean "alpha"?); expected one of alpha, beta' },
  // a word where a number goes: the range, once
  { fixture: 'pages-not-number', file: 'mlock.yaml', line: 7, col: 21, token: 'one', path: 'cases[0].memory.buf.pages', message: 'got "one"; expected a whole number from 1 to 16384' },
];

describe('adjacent mappings at lint (follows)', () => {
  test('a range across two adjacent mappings (and the guard page after the pair) is confined; without `follows` it leaves the first mapping\'s fenced region', () => {
    const dir = caseDir();
    const file = join(dir, 'mlock.yaml');
    // the base's first case, its one-page buf followed by a second mapping, locked with the guard page after the pair
    const base = readFileSync(file, 'utf8');
    const adjacent = base.replace('      buf: { pages: 1 }\n    call: mlock(buf, 0)', '      buf: { pages: 1 }\n      b: { pages: 1, follows: buf }\n    call: mlock(buf, 3p)');
    expect(adjacent).not.toBe(base);
    writeFileSync(file, adjacent);
    expect(() => loadCatalog(dir)).not.toThrow();
    writeFileSync(file, adjacent.replace('      b: { pages: 1, follows: buf }', '      b: { pages: 1 }'));
    expect(diagnosticsOf(dir).map((d) => d.message)).toEqual([expect.stringContaining('mlock\'s range starts in "buf" and reaches 1 page(s) past its fenced region')]);
  });
});

describe('messages name what was expected in the spec\'s terms, with a did-you-mean where a near name exists', () => {
  test.each(TERM_ROWS)('$fixture → $file:$line:$col $path', (row) => {
    const dir = caseDir(row.fixture);
    expectToken(join(dir, row.file), row.line, row.col, row.token);
    expect(diagnosticsOf(dir)[0]).toEqual(at(dir, row.file, row.line, row.col, row.path, row.message));
  });

  test('no near name, no guess: "gamma" is not offered "alpha"', () => {
    const dir = caseDir('unknown-profile');
    expect(diagnosticsOf(dir).map((d) => d.message)).toEqual(['unknown profile "gamma"; expected one of alpha, beta']);
  });

  test('a memlock that is neither bytes nor pages says both forms', () => {
    const [d] = diagnosticsOf(caseDir('memlock-bad-value'));
    expect(d?.message).toMatch(/^got "lots"; expected bytes from 0 to \d+ \(2\^53 - 1\), "Np" with N from 0 to \d+ pages, "unlimited" or "default"$/);
  });

  // zod's own wording ("Invalid input: expected number, received string") must not reach an author.
  test('no message of any fixture contains zod\'s own phrases, or says "expected" twice', () => {
    const fixtures = readdirSync(FIXTURES).filter((f) => f !== 'base');
    expect(fixtures.length).toBeGreaterThan(50);
    const messages = fixtures.flatMap((f) => diagnosticsOf(caseDir(f)).map((d) => `${f}: ${d.message}`));
    for (const m of messages) {
      expect(m).not.toMatch(/Invalid input|Invalid option|Invalid string|Invalid key|Unrecognized key|received|Expected|Too (small|big)/);
      expect(m.match(/\bexpected\b/g)?.length ?? 0, m).toBeLessThanOrEqual(1);
    }
  });
});

describe('each malformed fixture gives exactly one diagnostic, at the offending key or value', () => {
  test.each(ROWS)('$fixture → $file:$line:$col $path', (row) => {
    const dir = caseDir(row.fixture);
    expectToken(join(dir, row.file), row.line, row.col, row.token);
    expect(diagnosticsOf(dir)).toEqual([at(dir, row.file, row.line, row.col, row.path, row.message)]);
  });
});

describe('YAML syntax errors are reported at the position the parser gives, before any schema check', () => {
  /** The first diagnostic is the real problem; the parser may add follow-on ones, all YAML syntax with no path. */
  function yamlDiagnostics(dir: string): Diagnostic[] {
    const ds = diagnosticsOf(dir);
    for (const d of ds) {
      expect(d.file).toBe(join(dir, 'mlock.yaml'));
      expect(d.path).toBe('');
      expect(d.message).toMatch(/^YAML syntax: /);
    }
    return ds;
  }

  test('unclosed bracket: reported where the next block key shows the flow list never ended', () => {
    // line 8 is `        layout: [rw, rw`; the parser notices at `call` on line 9, column 5
    const dir = caseDir('yaml-unclosed-bracket');
    expectToken(join(dir, 'mlock.yaml'), 8, 17, '[rw, rw');
    expectToken(join(dir, 'mlock.yaml'), 9, 5, 'call');
    expect(yamlDiagnostics(dir)[0]).toEqual(
      at(dir, 'mlock.yaml', 9, 5, '', 'YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]'),
    );
  });

  test('bad indentation: reported at the start of the badly indented line', () => {
    const dir = caseDir('yaml-bad-indentation');
    expectToken(join(dir, 'mlock.yaml'), 9, 1, '       touch: true');
    expect(yamlDiagnostics(dir)).toEqual([
      at(dir, 'mlock.yaml', 9, 1, '', 'YAML syntax: All mapping items must start at the same column'),
    ]);
  });

  test('a tab used as indentation: reported at the tab', () => {
    const dir = caseDir('yaml-tab-indent');
    expectToken(join(dir, 'mlock.yaml'), 7, 1, '\tbuf:');
    expect(yamlDiagnostics(dir)[0]).toEqual(at(dir, 'mlock.yaml', 7, 1, '', 'YAML syntax: Tabs are not allowed as indentation'));
  });

  test('a duplicate key in a map: reported at the second occurrence', () => {
    const dir = caseDir('yaml-duplicate-key');
    expectToken(join(dir, 'mlock.yaml'), 8, 5, 'call: mlock(buf, 1p)');
    expectToken(join(dir, 'mlock.yaml'), 9, 5, 'call: mlock(buf, 0)');
    expect(yamlDiagnostics(dir)).toEqual([at(dir, 'mlock.yaml', 9, 5, '', 'YAML syntax: Map keys must be unique')]);
  });
});

describe('reporting', () => {
  test('problems in several files are all reported, profiles first', () => {
    const dir = caseDir('profile-bad-kind', 'pages-zero');
    expect(diagnosticsOf(dir)).toEqual([
      at(dir, 'profiles/beta.yaml', 6, 7, 'kind', 'expected one of "live", "document-only"'),
      at(dir, 'mlock.yaml', 7, 21, 'cases[0].memory.buf.pages', 'got 0; expected at least 1'),
    ]);
  });

  test('InputError says file:line:col: path: message, one problem a line', () => {
    const dir = caseDir('profile-bad-kind', 'pages-zero');
    try {
      loadCatalog(dir);
      expect.unreachable('loadCatalog should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      const lines = (e as InputError).message.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^${escape(join(dir, 'profiles/beta.yaml'))}:6:7: kind: .*"live", "document-only"`));
      expect(lines[1]).toMatch(new RegExp(`^${escape(join(dir, 'mlock.yaml'))}:7:21: cases\\[0\\]\\.memory\\.buf\\.pages: got 0; expected at least 1$`));
    }
  });

  test('formatDiagnostic leaves out an empty path', () => {
    expect(formatDiagnostic({ file: 'a.yaml', line: 3, col: 4, path: '', message: 'YAML syntax: x' })).toBe('a.yaml:3:4: YAML syntax: x');
    expect(formatDiagnostic({ file: 'a.yaml', line: 3, col: 4, path: 'cases[0].id', message: 'm' })).toBe('a.yaml:3:4: cases[0].id: m');
  });

  test('loadSpecFile reports the file name exactly as given', () => {
    const text = readFileSync(join(FIXTURES, 'pages-zero', 'mlock.yaml'), 'utf8');
    try {
      loadSpecFile('specs/some/where.yaml', text);
      expect.unreachable('loadSpecFile should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).diagnostics).toEqual([
        { file: 'specs/some/where.yaml', line: 7, col: 21, path: 'cases[0].memory.buf.pages', message: 'got 0; expected at least 1' },
      ]);
    }
  });

  test('a missing specs directory is one diagnostic at the directory', () => {
    const dir = join(caseDir(), 'no-such-dir');
    expect(() => readCatalog(dir)).toThrow(InputError);
    expect(() => loadCatalog(dir)).toThrow(`${dir}:1:1: expected a directory of spec files`);
  });
});

describe('hostile spec files: refused with a position and exit 2, never a stack trace, a hang or a crash', () => {
  const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
  const lint = (dir: string) => spawnSync(process.execPath, [cli, 'lint', '--specs', dir], { encoding: 'utf8', timeout: 60_000 });
  /** base with mlock.yaml replaced by `text` */
  const withSpec = (text: string): string => {
    const dir = caseDir();
    writeFileSync(join(dir, 'mlock.yaml'), text);
    return dir;
  };
  const bomb = (): string => {
    const lines = ['function: mlock', 'anchors:', '  l0: &l0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) lines.push(`  l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
    return `${lines.join('\n')}\ncases: []\n`;
  };

  test(`a "billion laughs" alias bomb: located at the alias that crosses ${MAX_ALIAS_NODES} copied nodes`, () => {
    const dir = withSpec(bomb());
    // l0 is 10 nodes; l1's nine aliases copy 90 (l1 is 91 nodes); l2's copy 819 (909 in all; l2 is 820 nodes); the
    // first alias of l3 brings the total to 1729, past the limit: that alias is the position.
    expectToken(join(dir, 'mlock.yaml'), 6, 12, '*l2');
    expect(diagnosticsOf(dir)).toEqual([
      at(dir, 'mlock.yaml', 6, 12, 'anchors.l3[0]', `aliases copy more than ${MAX_ALIAS_NODES} nodes into this file (1729 so far); expected at most ${MAX_ALIAS_NODES} in all`),
    ]);
    const r = lint(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'mlock.yaml')}:6:12: anchors.l3[0]: aliases copy more than ${MAX_ALIAS_NODES} nodes`);
    expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  });

  test('a few aliases within the limit still load', () => {
    const text = readFileSync(join(BASE, 'mlock.yaml'), 'utf8')
      .replace('      beta: unspecified', '      beta: &silent unspecified')
      .replace('      beta:\n        returns: 0\n        clause: mlock.return.success', '      beta: *silent');
    expect(text).toContain('beta: *silent');
    expect(() => loadCatalog(withSpec(text))).not.toThrow();
  });

  test('a file over the size limit, a FIFO, a symlink to /dev/zero, to a file outside, a directory: each named at file:1:1', () => {
    const dir = caseDir();
    writeFileSync(join(dir, 'big.yaml'), `# ${'x'.repeat(MAX_SPEC_FILE_BYTES)}\n`);
    expect(spawnSync('mkfifo', [join(dir, 'fifo.yaml')]).status).toBe(0);
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    symlinkSync('/etc/passwd', join(dir, 'passwd.yaml'));
    expect(spawnSync('mkfifo', [join(dir, 'pipe')]).status).toBe(0);
    symlinkSync('pipe', join(dir, 'to-pipe.yaml'));
    mkdirSync(join(dir, 'dir.yaml'));
    expect(diagnosticsOf(dir)).toEqual([
      at(dir, 'big.yaml', 1, 1, '', `the file is ${MAX_SPEC_FILE_BYTES + 3} bytes; expected at most ${MAX_SPEC_FILE_BYTES} bytes (4 MiB)`),
      at(dir, 'dir.yaml', 1, 1, '', 'expected a regular file, found a directory'),
      at(dir, 'fifo.yaml', 1, 1, '', 'expected a regular file, found a FIFO'),
      at(dir, 'passwd.yaml', 1, 1, '', `resolves to /etc/passwd, outside ${dir}; expected a file inside that directory`),
      at(dir, 'to-pipe.yaml', 1, 1, '', `expected a regular file, found a FIFO (through a symlink to ${join(dir, 'pipe')})`),
      at(dir, 'zero.yaml', 1, 1, '', `resolves to /dev/zero, outside ${dir}; expected a file inside that directory`),
    ]);
    const r = lint(dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'fifo.yaml')}:1:1: expected a regular file, found a FIFO`);
    expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  });

  test('a profiles directory that is a symlink out of the spec directory is refused file by file', () => {
    const dir = caseDir();
    const elsewhere = caseDir();
    rmSync(join(dir, 'profiles'), { recursive: true });
    symlinkSync(join(elsewhere, 'profiles'), join(dir, 'profiles'));
    const ds = diagnosticsOf(dir);
    expect(ds.map((d) => d.file)).toEqual([join(dir, 'profiles', 'alpha.yaml'), join(dir, 'profiles', 'beta.yaml')]);
    for (const d of ds) expect(d.message).toContain(`outside ${dir}`);
  });

  test('a symlink within the spec directory to a regular file is read', () => {
    const dir = caseDir();
    mkdirSync(join(dir, 'shared'));
    cpSync(join(dir, 'mlock.yaml'), join(dir, 'shared', 'mlock-cases.txt'));
    rmSync(join(dir, 'mlock.yaml'));
    symlinkSync(join('shared', 'mlock-cases.txt'), join(dir, 'mlock.yaml'));
    expect(loadCatalog(dir).specs).toHaveLength(1);
  });

  test("a document's source may not leave the sources directory", () => {
    const dir = caseDir();
    const sources = mkdtempSync(join(tmpdir(), 'semconf-sources-'));
    tempDirs.push(sources);
    const alpha = join(dir, 'profiles', 'alpha.yaml');
    writeFileSync(alpha, readFileSync(alpha, 'utf8').replace('    section: "2"', '    section: "2"\n    source: ../../../../../../../../dev/zero'));
    const quotes = checkQuotes(loadCatalog(dir), { sourcesDir: sources });
    expectToken(alpha, 11, 13, '../../');
    expect(quotes.problems).toEqual([at(dir, 'profiles/alpha.yaml', 11, 13, 'documents[0].source', 'cannot be read: resolves to /dev/zero, outside')]);
  });

  test('nesting too deep to parse, or deeper than the limit: one diagnostic, no stack overflow', () => {
    for (const text of [`function: mlock\ncases: ${'['.repeat(100_000)}\n`, `function: mlock\ncases: ${'['.repeat(100)}${']'.repeat(100)}\n`]) {
      const ds = diagnosticsOf(withSpec(text));
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) expect(d.line).toBeGreaterThanOrEqual(1);
    }
    const ds = diagnosticsOf(withSpec(`function: mlock\ncases: ${'['.repeat(100)}${']'.repeat(100)}\n`));
    expect(ds).toEqual([expect.objectContaining({ line: 2, message: 'nested more than 64 levels deep; expected at most 64' })]);
  });

  test('the worker refuses an RLIMIT_MEMLOCK that setrlimit would receive wrapped (lint is not the only guard)', () => {
    expect(memlockBytes('16p', 4096)).toBe(65536n);
    expect(memlockBytes('unlimited', 4096)).toBeNull();
    expect(() => memlockBytes('4503599627370497p', 4096)).toThrow('RLIMIT_MEMLOCK 4503599627370497p is 18446744073709555712 bytes; expected 0 to 9223372036854775806, or "unlimited"');
  });

  test('lint is linear in unknown keys: 40,000 take 4 times the work of 10,000 (counted, not timed)', () => {
    const work = (n: number): { steps: number; problems: number } => {
      const keys = Array.from({ length: n }, (_, i) => `    k${i}: 1\n`).join('');
      const text = readFileSync(join(BASE, 'mlock.yaml'), 'utf8').replace('    title: locking zero bytes\n', `    title: locking zero bytes\n${keys}`);
      const dir = withSpec(text);
      resetWork();
      const problems = diagnosticsOf(dir).length;
      return { steps: workDone(), problems };
    };
    const small = work(10_000);
    const large = work(40_000);
    expect([small.problems, large.problems]).toEqual([10_000, 40_000]);
    // Every key is looked up once by position; a lookup that scans the map (the old SourceMap) gives a ratio near 16.
    const ratio = large.steps / small.steps;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.5);
  });
});
