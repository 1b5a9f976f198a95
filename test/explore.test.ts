// semconf explore: generation stays within the suite's bounds (property test over the generator), an emitted case
// round-trips through the loader and lint, and a difference injected through a constructed second target is found,
// shrunk by fast-check's shrinker to the expected minimal sequence, and shrunk the same way again for the same seed.
// The first target is always the real native run (real syscalls); the second is a FAKE target, labelled as such:
// the native results with one behaviour changed, so the test knows exactly which difference there is to find.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { TargetRun } from '../src/explore/batch.js';
import { sequenceId, specFiles } from '../src/explore/batch.js';
import { writeExploredTree } from '../src/explore/emit.js';
import { explore, type ExploreOptions } from '../src/explore/explore.js';
import { caseOf, callText, MAX_PAGES, MAX_STEPS, type Sequence, sequenceArb } from '../src/explore/sequence.js';
import { summaryMarkdown } from '../src/explore/summary.js';
import { runCatalog } from '../src/run.js';
import { isCallable } from '../src/spec/functions.js';
import { loadCatalog } from '../src/spec/lint.js';
import { parseCall } from '../src/spec/call.js';

const SPECS = join(process.cwd(), 'specs');
const CLI = join(process.cwd(), 'dist/src/cli.js');
const PROFILES = ['freebsd', 'hpux', 'illumos', 'linux', 'posix', 'qnx'];
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'semconf-explore-test-'));
  temps.push(d);
  return d;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The generated cases of `seqs` as a spec tree with the shipped profiles: loadCatalog lints it (confinement too). */
function lintedTree(seqs: readonly Sequence[]): string {
  const dir = temp();
  cpSync(join(SPECS, 'profiles'), join(dir, 'profiles'), { recursive: true });
  const unique = new Map(seqs.map((s) => [sequenceId(s), s]));
  for (const [name, text] of specFiles([...unique].map(([id, s]) => ({ fn: s.call.fn, case: caseOf(s, id, PROFILES) })))) writeFileSync(join(dir, name), text);
  loadCatalog(dir);
  return dir;
}

describe('generation stays within the bounds', () => {
  it('every generated sequence is a case that lint accepts: allowlisted calls, confined ranges, bounded size', () => {
    fc.assert(
      fc.property(fc.array(sequenceArb(), { minLength: 1, maxLength: 30 }), (seqs) => {
        for (const s of seqs) {
          expect(s.layout.length).toBeGreaterThanOrEqual(1);
          expect(s.layout.length).toBeLessThanOrEqual(MAX_PAGES);
          expect(s.steps.length).toBeLessThanOrEqual(MAX_STEPS);
          for (const call of [...s.steps, s.call]) expect(isCallable(parseCall(callText(call)).fn)).toBe(true);
        }
        expect(() => lintedTree(seqs)).not.toThrow();
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

describe('an emitted case', () => {
  it('round-trips through the loader, passes semconf lint, and carries what each target did', () => {
    const seq: Sequence = { layout: ['rw', 'hole'], backing: 'file-shared', touch: false, late: false, limit: null, steps: [], call: { fn: 'mlock', addr: { at: 'buf', page: 0, offset: 0 }, len: { pages: 2 } } };
    const out = join(temp(), 'out');
    const id = sequenceId(seq);
    const finding = { id, sequence: seq, original: seq, differences: [{ pair: 'native/other', changes: [{ part: 'effect' as const, what: 'buf locked', old: 'L-', new: 'U-' }] }], results: new Map(), shrinkSteps: 0 };
    const [file] = writeExploredTree(out, SPECS, [finding], ['native', 'other'], PROFILES);
    expect(file).toBe(join(out, 'explore-mlock.yaml'));
    const text = readFileSync(join(out, 'explore-mlock.yaml'), 'utf8');
    expect(text).toContain('# differs native/other: buf locked: L- -> U-');
    expect(text).toContain('layout: [ rw, hole ]');
    expect(text).toContain('backing: file-shared');
    const loaded = loadCatalog(out).specs.find((s) => s.file.endsWith('explore-mlock.yaml'))?.value.cases[0];
    expect(loaded).toEqual(caseOf(seq, id, PROFILES, 'found by semconf explore; the expectation is still to be written from the documents'));
    const lint = spawnSync('node', [CLI, 'lint', '--specs', out], { encoding: 'utf8' });
    expect(lint.status, lint.stderr).toBe(0);
  });
});

/** The native run of a batch, once: both targets of a batch see the same catalog object, so the FAKE target below
 * reuses what the real one observed instead of running the batch again. */
const nativeRuns = new WeakMap<object, Promise<Awaited<ReturnType<typeof runCatalog>>>>();
const native = (catalog: Parameters<TargetRun>[1]): ReturnType<typeof runCatalog> => {
  const known = nativeRuns.get(catalog);
  if (known !== undefined) return known;
  const r = runCatalog(catalog, { jobs: 2, profiles: ['linux'] });
  nativeRuns.set(catalog, r);
  return r;
};
/** FAKE second target: the native results, except that munlockall() under test fails with EINVAL. */
const run: TargetRun = async (target, catalog) => {
  const r = await native(catalog);
  if (target === 'native') return r;
  return {
    ...r,
    cases: r.cases.map((c) =>
      c.observed !== undefined && c.observed.call.text === 'munlockall()' ? { ...c, observed: { ...c.observed, call: { ...c.observed.call, ret: -1, errno: 'EINVAL' } } } : c,
    ),
  };
};

describe('a difference injected through a constructed second target (FAKE: native results with munlockall failing)', () => {
  const options: ExploreOptions = {
    targets: ['native', 'fake'],
    seed: 3,
    runs: 16,
    batchSize: 16,
    specs: SPECS,
    profiles: PROFILES,
    run,
    shrink: { width: 24, maxSteps: 30 },
    maxShrunk: 1,
  };

  it('is found and shrunk to the minimal sequence, the same way twice for the same seed', async () => {
    const first = await explore(options);
    expect(first.differing).toBeGreaterThan(0);
    expect(first.findings.map((f) => f.sequence)).toEqual([
      { layout: ['rw'], backing: 'anon-private', touch: false, late: false, limit: null, steps: [], call: { fn: 'munlockall' } },
    ]);
    expect(first.findings[0]?.differences).toEqual([{ pair: 'native/fake', changes: [{ part: 'outcome', what: 'outcome', old: 'returns 0', new: 'fails EINVAL' }] }]);
    expect(summaryMarkdown(first)).toMatch(/\| native\/fake \| 16 \| \d+ \| 1 \|/);
    const again = await explore(options);
    expect(again.tried).toBe(first.tried);
    expect(again.differing).toBe(first.differing);
    expect(again.findings.map((f) => [f.id, f.original, f.shrinkSteps])).toEqual(first.findings.map((f) => [f.id, f.original, f.shrinkSteps]));
  }, 240_000);
});

describe('semconf explore usage', () => {
  it('needs two or more distinct, known targets: a sentence and exit 2', () => {
    for (const [args, message] of [
      [['--targets', 'native'], 'expected two or more targets'],
      [['--targets', 'native,native'], 'each target once'],
      [['--targets', 'native,nope'], 'unknown target "nope"'],
      [['--targets', 'native,gvisor', '--time', 'soon'], 'expected a duration'],
    ] as const) {
      const r = spawnSync('node', [CLI, 'explore', ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
