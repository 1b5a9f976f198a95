// Two runs of the same suite on this machine diff clean, and run --repeat marks only cases whose behaviour differs
// between repetitions as flaky. The CLI runs are REAL: real worker processes, real mlockall (whose whole-process
// VmLck moves with Node's heap from run to run), a real forked child and exec'd program. collapseRepetitions is
// also checked on constructed case results (FAKE, labelled), since a real flaky case cannot be made on demand.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Diff } from '../src/diff.js';
import { type CaseResult, readResults, type Results } from '../src/results.js';
import { DEFAULT_SPECS } from '../src/commands/command.js';
import { asMatrix } from '../src/merge.js';
import { plan } from '../src/plan.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderTerminal } from '../src/report/terminal.js';
import { loadCatalog } from '../src/spec/lint.js';
import { collapseRepetitions } from '../src/run.js';
import { load, scratch, semconf } from './report-fixtures.js';

const isLinuxRoot = process.platform === 'linux' && process.geteuid?.() === 0;

/** mlockall cases in fresh workers (their VmLck is the whole Node process), one with a forked child and an exec'd
 * program, one mlock case in a shared worker with a forked child, and a plain mlock case. */
const SUBSET = '/^(mlockall\\.current|mlockall\\.current-twice|munlock\\.after-mlockall|mlockall\\.current-not-inherited|mlock\\.not-inherited-by-child|mlock\\.whole-mapping)$/';
const IDS = ['mlock.whole-mapping', 'mlock.not-inherited-by-child', 'munlock.after-mlockall', 'mlockall.current', 'mlockall.current-twice', 'mlockall.current-not-inherited'];

const readRun = (file: string): Results => readResults(file);

describe.runIf(isLinuxRoot)('two real runs of a subset on this machine', () => {
  const dir = scratch();
  const [a, b, repeated] = ['a.json', 'b.json', 'repeated.json'].map((f) => join(dir, f)) as [string, string, string];
  beforeAll(() => {
    for (const [out, extra] of [[a, []], [b, []], [repeated, ['--repeat', '3']]] as const) {
      const r = semconf('run', '--filter', SUBSET, '--jobs', '1', '--out', out, ...extra);
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('ran the subset, and the mlockall cases’ process locked total is the whole worker, not the case’s memory', () => {
    const run = readRun(a);
    expect(run.cases.map((c) => c.id).sort()).toEqual([...IDS].sort());
    for (const c of run.cases) expect(c.status, `${c.id}: ${c.reason ?? ''}`).toBe('ran');
    const whole = run.cases.find((c) => c.id === 'mlockall.current')?.observed?.effects.lockedBytes ?? 0;
    // Its two-page mapping is 8 KiB; the worker's VmLck after mlockall is Node's whole address space.
    expect(whole).toBeGreaterThan(1024 * 1024);
    expect(run.cases.find((c) => c.id === 'mlockall.current-not-inherited')?.observed?.effects.child).toMatchObject({ mappings: { buf: 'UU' } });
  });

  it('semconf diff of the two runs: exit 0, no change listed; the environment is shown apart', () => {
    const r = semconf('diff', '--require', 'linux', a, b);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**✅ no regression and no unexplained behaviour change** (required: linux).');
    expect(r.stdout).toContain('0 case(s) changed, 0 flaky, 0 new, 0 removed; same spec.');
    expect(r.stdout).not.toContain('## Changed cases');
    expect(r.stdout).toContain('<details><summary>Environment: differs in');
    const json = semconf('diff', '--format', 'json', a, b);
    const d = JSON.parse(json.stdout) as Diff;
    expect(d).toMatchObject({ changed: [], flaky: [], regressions: [], unexplained: [], added: [], removed: [], failing: false });
    expect(d.environment.length).toBeGreaterThan(0);
    expect(d.environment.every((e) => ['duration', 'process locked total', 'child locked bytes', "exec'd program locked bytes"].includes(e.what))).toBe(true);
  });

  it('run --repeat 3: every case once, ran three times, none flaky; and it diffs clean against a single run', () => {
    const run = readRun(repeated);
    expect(run.repeat).toBe(3);
    expect(run.cases.map((c) => c.id).sort()).toEqual([...IDS].sort());
    expect(run.cases.filter((c) => c.flaky !== undefined).map((c) => c.id)).toEqual([]);
    const r = semconf('diff', a, repeated);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('0 case(s) changed, 0 flaky');
  });
});

describe('plan with repeat', () => {
  it('plans the selection round by round, each repetition with its own key', () => {
    const items = plan(loadCatalog(DEFAULT_SPECS), { filter: 'mlockall.current*', repeat: 3 });
    const n = items.length / 3;
    expect(n).toBeGreaterThan(1);
    expect(new Set(items.map((i) => i.key)).size).toBe(items.length);
    expect(items.map((i) => i.repetition)).toEqual([1, 2, 3].flatMap((r) => Array.from({ length: n }, () => r)));
    expect(items.slice(n).map((i) => i.case.id)).toEqual([...items.slice(0, n), ...items.slice(0, n)].map((i) => i.case.id));
    expect(items.map((i) => i.key)).toContain('mlockall.current@privileged#1');
    expect(items[0]?.key).toBe(`${items[0]?.case.id}@privileged#1`);
    expect(plan(loadCatalog(DEFAULT_SPECS), { filter: 'mlockall.current' })[0]?.key).toBe('mlockall.current@privileged');
  });
});

describe('collapseRepetitions (constructed case results, FAKE)', () => {
  const base = (): CaseResult => {
    const c = load('full-suite.json').cases.find((x) => x.id === 'mlockall.current');
    if (c === undefined) throw new Error('no mlockall.current in full-suite.json');
    return structuredClone(c);
  };
  const withEffects = (edit: (e: NonNullable<CaseResult['observed']>['effects']) => void, durationMs = 3): CaseResult => {
    const c = base();
    c.durationMs = durationMs;
    if (c.observed) edit(c.observed.effects);
    return c;
  };

  it('repetitions that differ only in environment (durations, the worker’s locked total) are not flaky', () => {
    const runs = [1, 2, 3].map((i) => withEffects((e) => void (e.lockedBytes = 1_000_000 + i * 4096), i));
    const one = collapseRepetitions(runs);
    expect(one?.flaky).toBeUndefined();
    expect(one).toBe(runs[0]);
  });

  it('a page state that differs in one repetition makes the case flaky, with the value in each repetition', () => {
    const runs = [
      withEffects(() => undefined),
      withEffects((e) => {
        if (e.mappings.later) e.mappings.later.locked = 'LU';
      }),
      withEffects(() => undefined),
    ];
    const one = collapseRepetitions(runs);
    expect(one?.flaky).toEqual({ repetitions: 3, differed: [{ what: 'later locked', values: ['UU', 'LU', 'UU'] }] });
    // in the schema's order (flaky before the verdicts), so that writing it takes the fast path of validation
    expect(Object.keys(one ?? {}).slice(-2)).toEqual(['flaky', 'verdicts']);
  });

  it('a repetition that broke (no observation) against ones that ran: status and the one-line observation', () => {
    const broken: CaseResult = { ...base(), status: 'error', reason: 'constructed: the worker died' };
    delete broken.observed;
    const flaky = collapseRepetitions([base(), broken])?.flaky;
    expect(flaky?.differed).toEqual([
      { what: 'status', values: ['ran', 'error'] },
      { what: 'observed', values: ['mlockall(MCL_CURRENT) returns 0', 'nothing (error)'] },
    ]);
    expect(collapseRepetitions([])).toBeNull();
  });
});

describe('reports list flaky cases apart (a constructed results file, FAKE)', () => {
  const r = structuredClone(load('full-suite.json'));
  r.repeat = 3;
  const c = r.cases.find((x) => x.id === 'mlockall.current');
  if (c) c.flaky = { repetitions: 3, differed: [{ what: 'later locked', values: ['UU', 'LU', 'UU'] }] };

  it('terminal: a Flaky section after the divergences and errors', () => {
    expect(renderTerminal(r)).toContain('\nFlaky (behaviour varied between 3 repetitions): 1\n  mlockall.current  later locked UU / LU / UU\n');
  });

  it('Markdown: a Flaky section', () => {
    const md = renderMarkdown(asMatrix({ kind: 'results', results: r }, 'r.json'));
    expect(md).toContain('## 🔁 Flaky (behaviour varied between repetitions of a run): 1\n\n- **mlockall.current** over 3 repetitions: later locked `UU` / `LU` / `UU`');
  });
});
