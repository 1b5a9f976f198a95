// What a run selects (src/selection.ts, plan.ts): globs and /regex/ on whole case ids, --exclude, --shard, and the
// record of the selection in a results file, which merge and diff read. The pure parts run on the real catalog and
// on real results fixtures; the filtered results below are CONSTRUCTED from native.json (a FAKE of a filtered run,
// labelled where made), since merge and diff are pure.
import { describe, expect, it } from 'vitest';
import { diffResults } from '../src/diff.js';
import { merge } from '../src/merge.js';
import { plan, selectedCases } from '../src/plan.js';
import { renderDiffMarkdown } from '../src/report/diff-markdown.js';
import { renderTerminal } from '../src/report/terminal.js';
import { Results } from '../src/results.js';
import { parseShard, patternList, selectionRecord, SelectionError, selector } from '../src/selection.js';
import { DEFAULT_SPECS } from '../src/commands/command.js';
import { allCases } from '../src/spec/catalog.js';
import { loadCatalog } from '../src/spec/lint.js';
import { fixture, load } from './report-fixtures.js';

const catalog = loadCatalog(DEFAULT_SPECS);
const ids = allCases(catalog).map((c) => c.case.id);
const pick = (options: Parameters<typeof selectedCases>[1]): string[] => selectedCases(catalog, options).map((c) => c.case.id);

describe('--filter and --exclude: globs on whole case ids, /regex/, lists', () => {
  it('a pattern without glob characters is the whole id, not a substring', () => {
    expect(pick({ filter: 'mlock.zero-length' })).toEqual(['mlock.zero-length']);
    expect(ids).toContain('aio_mlock.zero-length');
    expect(pick({ filter: 'mlock.zero' })).toEqual([]);
  });

  it('globs match whole ids: mlock.* is every mlock case and no aio_mlock or mlockall one', () => {
    const mlock = pick({ filter: 'mlock.*' });
    expect(mlock).toEqual(ids.filter((id) => id.startsWith('mlock.')));
    expect(pick({ filter: '*.zero-length' })).toEqual(ids.filter((id) => id.endsWith('.zero-length')));
    expect(pick({ filter: '*.zero-length' }).length).toBeGreaterThan(2);
  });

  it('/regex/ is searched as before, commas inside it are its own', () => {
    expect(pick({ filter: '/^mlockall\\./' })).toEqual(ids.filter((id) => id.startsWith('mlockall.')));
    expect(patternList('/^m{1,2}lock\\./')).toEqual(['/^m{1,2}lock\\./']);
    expect(() => selector({ filter: '/(/' })).toThrow(SelectionError);
  });

  it('repeated and comma-separated patterns select the union, in catalog order; --exclude then removes', () => {
    expect(patternList(['a, b', 'c', ''])).toEqual(['a', 'b', 'c']);
    expect(pick({ filter: ['munlock.zero-length', 'mlock.zero-length'] })).toEqual(ids.filter((id) => id === 'mlock.zero-length' || id === 'munlock.zero-length'));
    expect(pick({ filter: 'mlock.zero-length,munlock.zero-length' })).toHaveLength(2);
    const kept = pick({ filter: 'mlock.*', exclude: ['*unprivileged*', 'mlock.zero-length'] });
    expect(kept).toEqual(ids.filter((id) => id.startsWith('mlock.') && !id.includes('unprivileged') && id !== 'mlock.zero-length'));
    expect(pick({ exclude: 'mlock.*' })).toEqual(ids.filter((id) => !id.startsWith('mlock.')));
  });
});

describe('--shard K/N', () => {
  it('puts every case in exactly one shard, the same every time', () => {
    for (const n of [1, 2, 3, 7]) {
      const shards = Array.from({ length: n }, (_, k) => pick({ shard: { index: k + 1, count: n } }));
      expect(shards.flat().sort()).toEqual([...ids].sort());
      expect(new Set(shards.flat()).size).toBe(ids.length);
    }
    expect(pick({ shard: { index: 2, count: 4 } })).toEqual(pick({ shard: parseShard('2/4') }));
  });

  it('splits the selection, not only the catalog: shards of a filter cover the filter', () => {
    const filter = 'mlock.*';
    const parts = [1, 2, 3].flatMap((k) => pick({ filter, shard: { index: k, count: 3 } }));
    expect(parts.sort()).toEqual(pick({ filter }).sort());
  });

  it('refuses what is not K/N with 1 <= K <= N', () => {
    for (const bad of ['0/4', '5/4', '1', '1/0', 'a/b', '-1/2', '1/2/3']) expect(() => parseShard(bad), bad).toThrow(/--shard takes K\/N/);
  });
});

describe('the selection in the results file', () => {
  it('is recorded as given, with the size of the catalog; a whole run records none', () => {
    expect(selectionRecord({}, 104)).toBeUndefined();
    expect(selectionRecord({ filter: 'a,b', shard: { index: 1, count: 2 }, profiles: ['linux'] }, 104)).toEqual({
      filter: ['a', 'b'],
      shard: { index: 1, count: 2 },
      profiles: ['linux'],
      catalogCases: 104,
    });
  });

  it('is optional in the schema (old files mean a full run) and validated when present', () => {
    const native = load('native.json');
    expect(native.selection).toBeUndefined();
    expect(Results.safeParse({ ...native, selection: { filter: ['mlock.*'], catalogCases: 104 } }).success).toBe(true);
    expect(Results.safeParse({ ...native, selection: { shard: { index: 3, count: 2 }, catalogCases: 104 } }).success).toBe(false);
    expect(Results.safeParse({ ...native, selection: { filter: ['x'] } }).success).toBe(false);
  });

  it('plan keys and repetitions are unchanged by a selection', () => {
    expect(plan(catalog, { filter: 'mlock.zero-length', repeat: 2 }).map((i) => i.key)).toEqual(['mlock.zero-length@privileged#1', 'mlock.zero-length@privileged#2']);
  });
});

/** CONSTRUCTED (FAKE): native.json's mlock.* cases, as if run with --filter mlock.*. */
function filtered(): Results {
  const full = load('native.json');
  return { ...full, cases: full.cases.filter((c) => c.id.startsWith('mlock.')), selection: { filter: ['mlock.*'], catalogCases: full.cases.length } };
}

describe('a partial run never passes for a full one', () => {
  it('the terminal report says so in its header', () => {
    const r = filtered();
    expect(renderTerminal(r).split('\n')[2]).toBe(`PARTIAL RUN: --filter mlock.* selected ${r.cases.length} of the catalog's ${load('native.json').cases.length} case(s)`);
  });

  it('merge marks the target incomplete and says what was selected, even when it is the only target', () => {
    const r = filtered();
    const m = merge([{ source: 'f.json', path: fixture('native.json'), results: r }], { createdAt: r.finishedAt, toolVersion: '0' });
    expect(m.complete).toBe(false);
    expect(m.targets[0]?.complete).toBe(false);
    expect(m.targets[0]?.notes).toContain(`partial: selected --filter mlock.*: ${r.cases.length} of the catalog's ${r.selection?.catalogCases} case(s)`);
    expect(m.targets[0]?.results.selection).toEqual(r.selection);
  });

  it('diff counts only cases inside the common selection as new or removed, and says the selections differ', () => {
    const full = load('native.json');
    const part = filtered();
    const outside = full.cases.filter((c) => !c.id.startsWith('mlock.')).map((c) => c.id);
    const shrink = diffResults(full, part);
    expect(shrink.removed).toEqual([]);
    expect(shrink.selectionChanged).toBe(true);
    expect(shrink.outsideSelection).toEqual({ onlyOld: outside, onlyNew: [] });
    expect(shrink.new.selection).toBe('--filter mlock.*');
    const grow = diffResults(part, full);
    expect(grow.added).toEqual([]);
    expect(grow.outsideSelection.onlyNew).toEqual(outside);
    expect(renderDiffMarkdown(grow)).toContain('**The runs selected different cases**: old --filter mlock.\\*; new the whole catalog.');
    // A case the filtered run should have held and does not is still removed.
    const lost = { ...part, cases: part.cases.filter((c) => c.id !== 'mlock.zero-length') };
    expect(diffResults(full, lost).removed.map((c) => c.id)).toEqual(['mlock.zero-length']);
    expect(diffResults(full, full).selectionChanged).toBe(false);
  });
});
