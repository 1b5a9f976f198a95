// Hostile specs: 10,000+ generated documents through the loader and every lint rule. Each must either load or fail
// with InputError diagnostics that name file:line:col; nothing may throw anything else, crash or hang.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readCatalog, type Catalog } from '../src/spec/catalog.js';
import { InputError } from '../src/spec/diagnostics.js';
import { lintCatalog } from '../src/spec/lint.js';
import { loadProfileFile, loadSpecFile } from '../src/spec/load.js';
import { MAX_MEMLOCK_BYTES, MAX_MEMLOCK_PAGES, MAX_CALL_NUMBER } from '../src/spec/memory.js';
import { MAX_SPEC_FILE_BYTES } from '../src/spec/read.js';
import { MAX_ALIAS_NODES } from '../src/spec/structure.js';
import { MAX_PAGES_PER_MAPPING } from '../src/spec/schema.js';

const FILE = 'fuzz/mlock.yaml';

const profile = loadProfileFile(
  'fuzz/profiles/alpha.yaml',
  `id: alpha
name: Alpha (fuzz fixture)
version: "1"
kind: live
documents: [ { id: doc, title: made-up } ]
clauses: [ { id: mlock.errors.einval, document: doc, section: ERRORS, quote: "made up" } ]
`,
);

const validCase = {
  id: 'mlock.zero-length',
  title: 'zero length',
  memory: { buf: { pages: 2 }, gap: { layout: ['rw', 'hole'] } },
  before: ['mlock(buf, 1p)'],
  call: 'mlock(buf, 0)',
  expect: { alpha: { fails: 'EINVAL', clause: 'mlock.errors.einval', locked: { buf: 'none' } } },
};

/** Either loads (then every lint rule runs without throwing) or fails with positioned diagnostics. */
function checkDocument(text: string): void {
  try {
    const spec = loadSpecFile(FILE, text);
    const catalog = { dir: 'fuzz', digest: 'x', specs: [spec], profiles: [profile] } as Catalog;
    for (const d of lintCatalog(catalog)) assertPositioned(d);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    expect(e.diagnostics.length).toBeGreaterThan(0);
    for (const d of e.diagnostics) assertPositioned(d);
  }
}

function assertPositioned(d: { file: string; line: number; col: number; message: string }): void {
  if (d.file !== FILE || !(d.line >= 1) || !(d.col >= 1) || d.message.length === 0) {
    throw new Error(`badly positioned diagnostic: ${JSON.stringify(d)}`);
  }
}

const scalar = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('EINVAL', 'ENOMEM', 'all', 'none', 'rw', 'hole', 'privileged', 'mlock(buf, 0)', '2p', '-1', 'SIZE_MAX'),
);
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 })),
})).value;

/** Paths into the valid case, to replace, delete or add beside. */
const PATHS = [
  ['id'], ['title'], ['memory'], ['memory', 'buf'], ['memory', 'buf', 'pages'], ['memory', 'gap', 'layout'], ['memory', 'gap', 'layout', 1],
  ['before'], ['before', 0], ['call'], ['expect'], ['expect', 'alpha'], ['expect', 'alpha', 'fails'], ['expect', 'alpha', 'clause'],
  ['expect', 'alpha', 'locked'], ['expect', 'alpha', 'locked', 'buf'],
] as const;

type Json = unknown;
function mutate(doc: Record<string, Json>, path: readonly (string | number)[], op: 'set' | 'delete' | 'add', value: Json): Record<string, Json> {
  const copy = structuredClone(doc);
  let node = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (op === 'set') node[last] = value;
  else if (op === 'delete') delete node[last];
  else node[`x_${String(last)}`] = value;
  return copy;
}

describe('spec loader fuzzing (fast-check)', () => {
  it('random text (4,000 documents)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => checkDocument(text)), { numRuns: 4000 });
  });

  it('YAML-shaped junk built from arbitrary values (2,000 documents)', () => {
    fc.assert(
      fc.property(anyValue, (v) => checkDocument(stringify({ function: 'mlock', cases: [v] }))),
      { numRuns: 2000 },
    );
  });

  it('near-valid documents: one key of a valid case set, deleted or added beside (4,000 documents)', () => {
    checkDocument(stringify({ function: 'mlock', cases: [validCase] })); // the unmutated case is valid
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), fc.constantFrom('set', 'delete', 'add'), anyValue, (path, op, value) => {
        checkDocument(stringify({ function: 'mlock', cases: [mutate(validCase, path, op as 'set' | 'delete' | 'add', value)] }));
      }),
      { numRuns: 4000 },
    );
  });

  it('near-valid call expressions (1,000 documents)', () => {
    const token = fc.constantFrom('mlock', 'munlock', '(', ')', ',', 'buf', 'gap', '+', '-', '|', '1p', '0x10', 'SIZE_MAX', 'NULL', ' ', '99999999999999999999999', 'p', '@');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        checkDocument(stringify({ function: 'mlock', cases: [{ ...validCase, call: tokens.join('') }] }));
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects at lint, with a position: a function outside the allowlist, a mapping over the budget, absurd sizes', () => {
    const problems = (c: object): string[] => {
      try {
        const spec = loadSpecFile(FILE, stringify({ function: 'mlock', cases: [{ ...validCase, ...c }] }));
        return lintCatalog({ dir: 'fuzz', digest: 'x', specs: [spec], profiles: [profile] } as Catalog).map((d) => `${d.line}:${d.col} ${d.message}`);
      } catch (e) {
        return (e as InputError).diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
      }
    };
    expect(problems({ call: 'system(buf, 0)' })).toEqual([expect.stringMatching(/^\d+:\d+ unknown function "system"/)]);
    const big = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`m${i}`, { pages: 1024 }]));
    expect(problems({ memory: { buf: { pages: 2 }, ...big } })).toEqual([
      expect.stringMatching(/^\d+:\d+ the case maps 17410 pages, over the lock budget of 16384 pages/),
    ]);
    expect(problems({ memory: { buf: { pages: -5 }, gap: { layout: ['rw'] } } })[0]).toMatch(/^\d+:\d+ got -5; expected at least 1$/);
    expect(problems({ memory: { buf: { pages: 1e12 }, gap: { layout: ['rw'] } } })[0]).toMatch(/^\d+:\d+ got 1000000000000; expected at most 16384$/);
  });
});

/** The diagnostics of a document that must be refused: fails the test if it loads and lints clean, or if anything
 * but InputError escapes. Lint problems count as refusals (they stop a run the same way, exit 2). */
function refusal(text: string): string[] {
  let spec;
  try {
    spec = loadSpecFile(FILE, text);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    for (const d of e.diagnostics) assertPositioned(d);
    return e.diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);
  }
  const problems = lintCatalog({ dir: 'fuzz', digest: 'x', specs: [spec], profiles: [profile] } as Catalog);
  for (const d of problems) assertPositioned(d);
  if (problems.length === 0) throw new Error(`expected a refusal, but this loaded and linted clean:\n${text.slice(0, 500)}`);
  return problems.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);
}

describe('hostile classes (fast-check): each is refused with positioned diagnostics, never a stack trace', () => {
  it('alias bombs of any fan-out and depth: refused once they copy more than the limit, at the alias', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 12 }), (fan, depth) => {
        const lines = ['function: mlock', 'anchors:', `  l0: &l0 [${Array(fan).fill('x').join(', ')}]`];
        for (let i = 1; i <= depth; i++) lines.push(`  l${i}: &l${i} [${Array(fan).fill(`*l${i - 1}`).join(', ')}]`);
        const text = `${lines.join('\n')}\ncases: [${JSON.stringify(validCase)}]\n`;
        // Nodes copied: level i's aliases copy fan × size(l(i-1)), size(l0) = fan + 1, size(li) = 1 + fan × size(l(i-1)).
        let size = fan + 1;
        let copied = 0;
        for (let i = 1; i <= depth; i++) {
          copied += fan * size;
          size = 1 + fan * size;
        }
        const ds = refusal(text);
        if (copied > MAX_ALIAS_NODES) expect(ds).toEqual([expect.stringMatching(/^\d+:\d+ anchors\.l\d+\[\d+\]: aliases copy more than 1000 nodes/)]);
        else expect(ds.join('\n')).toMatch(/unknown key "anchors"/);
      }),
      { numRuns: 300 },
    );
  });

  it('prototype keys at any depth of a valid case: refused at the key', () => {
    const paths = [[], ['memory'], ['memory', 'buf'], ['expect'], ['expect', 'alpha'], ['expect', 'alpha', 'locked']] as const;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.constantFrom('__proto__', 'constructor', 'prototype'), anyValue, (path, key, value) => {
        // stringify would drop a __proto__ own property; build the text with the key written out.
        const c = structuredClone(validCase) as Record<string, unknown>;
        let node = c;
        for (const k of path) node = node[k] as Record<string, unknown>;
        node['PROTO_KEY'] = value;
        const text = stringify({ function: 'mlock', cases: [c] }).replace('PROTO_KEY', key);
        const ds = refusal(text);
        expect(ds).toContainEqual(expect.stringMatching(new RegExp(`^\\d+:\\d+ cases\\[0\\]\\.${[...path, key].join('\\.')}: key "${key}" is not allowed`)));
      }),
      { numRuns: 300 },
    );
  });

  it('sizes and counts past their range never wrap: memlock bytes and pages, call numbers, mapping pages', () => {
    const big = fc.bigInt({ min: 0n, max: (1n << 80n) });
    fc.assert(
      fc.property(big, fc.constantFrom('bytes', 'pages', 'call', 'callPages', 'mappingPages'), (n, where) => {
        const c: Record<string, unknown> = { ...validCase };
        let outOfRange: boolean;
        let text: string;
        if (where === 'bytes' || where === 'pages') {
          c.as = { user: 'unprivileged', memlock: where === 'pages' ? `${n}p` : 'BYTES' };
          text = stringify({ function: 'mlock', cases: [c] }).replace('BYTES', String(n));
          outOfRange = where === 'pages' ? n > MAX_MEMLOCK_PAGES : n > MAX_MEMLOCK_BYTES;
        } else if (where === 'call' || where === 'callPages') {
          c.call = `mlock(buf, ${n}${where === 'callPages' ? 'p' : ''})`;
          text = stringify({ function: 'mlock', cases: [c] });
          outOfRange = where === 'callPages' ? n > MAX_CALL_NUMBER / 65536n : n > MAX_CALL_NUMBER;
        } else {
          c.memory = { buf: { pages: 'PAGES' }, gap: { layout: ['rw', 'hole'] } };
          text = stringify({ function: 'mlock', cases: [c] }).replace('PAGES', String(n));
          outOfRange = n > BigInt(MAX_PAGES_PER_MAPPING) || n < 1n;
        }
        if (!outOfRange) {
          checkDocument(text);
          return;
        }
        const ds = refusal(text).join('\n');
        expect(ds).toMatch(/expected (at least|at most|bytes from 0 to|a whole number)/);
      }),
      { numRuns: 1000 },
    );
  });

  it('control characters in any string of a case: refused at that string, whichever it is', () => {
    const control = fc.integer({ min: 0, max: 0x9f }).filter((c) => (c < 0x20 && c !== 9 && c !== 10) || c >= 0x7f).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.constantFrom('title', 'reason', 'note', 'call', 'clause'), fc.string({ maxLength: 10 }), control, fc.string({ maxLength: 10 }), (field, pre, ctl, post) => {
        const s = `${pre}${ctl}${post}`.padEnd(12, 'x');
        const c = structuredClone(validCase) as typeof validCase & { title: string; call: string };
        const alpha = c.expect.alpha as Record<string, unknown>;
        if (field === 'title') c.title = s;
        else if (field === 'call') c.call = `mlock(buf, 0)${s}`;
        else if (field === 'clause') alpha.clause = s;
        else alpha[field] = s;
        const ds = refusal(stringify({ function: 'mlock', cases: [c] }));
        const code = `U+${ctl.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
        // The first control of the string is named (an earlier one may come from pre).
        expect(ds.join('\n')).toMatch(/control character U\+00[0-9A-F]{2} in text/);
        if (!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(pre)) expect(ds.join('\n')).toContain(code);
      }),
      { numRuns: 1000 },
    );
  });

  it('huge and special files in a specs directory: each refused at file:1:1, and the catalog never hangs', () => {
    const base = fileURLToPath(new URL('./fixtures/spec-errors/base/', import.meta.url));
    const kinds = ['big', 'fifo', 'dev-zero', 'dev-null', 'dev-urandom', 'outside', 'dangling', 'directory', 'loop'] as const;
    fc.assert(
      fc.property(fc.subarray([...kinds], { minLength: 1 }), (chosen) => {
        const dir = mkdtempSync(join(tmpdir(), 'semconf-fuzz-files-'));
        try {
          cpSync(base, dir, { recursive: true });
          for (const k of chosen) {
            const f = join(dir, `${k}.yaml`);
            if (k === 'big') writeFileSync(f, `# ${'y'.repeat(MAX_SPEC_FILE_BYTES)}\n`);
            else if (k === 'fifo') spawnSync('mkfifo', [f]);
            else if (k === 'dev-zero') symlinkSync('/dev/zero', f);
            else if (k === 'dev-null') symlinkSync('/dev/null', f);
            else if (k === 'dev-urandom') symlinkSync('/dev/urandom', f);
            else if (k === 'outside') symlinkSync('/etc/hostname', f);
            else if (k === 'dangling') symlinkSync(join(dir, 'nowhere'), f);
            else if (k === 'directory') mkdirSync(f);
            else symlinkSync(f, f);
          }
          let thrown: unknown;
          try {
            readCatalog(dir);
          } catch (e) {
            thrown = e;
          }
          if (!(thrown instanceof InputError)) throw thrown ?? new Error('expected InputError');
          expect(thrown.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}`).sort()).toEqual(chosen.map((k) => `${join(dir, `${k}.yaml`)}:1:1`).sort());
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25 },
    );
  });
});
