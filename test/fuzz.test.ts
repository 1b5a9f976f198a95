// Hostile specs: 10,000+ generated documents through the loader and every lint rule. Each must either load or fail
// with InputError diagnostics that name file:line:col; nothing may throw anything else, crash or hang.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/spec/catalog.js';
import { InputError } from '../src/spec/diagnostics.js';
import { lintCatalog } from '../src/spec/lint.js';
import { loadProfileFile, loadSpecFile } from '../src/spec/load.js';

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
    expect(problems({ memory: { buf: { pages: -5 }, gap: { layout: ['rw'] } } })[0]).toMatch(/^\d+:\d+ Too small/);
    expect(problems({ memory: { buf: { pages: 1e12 }, gap: { layout: ['rw'] } } })[0]).toMatch(/^\d+:\d+ Too big/);
  });
});
