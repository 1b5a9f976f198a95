// Reuse changes nothing (issue 13): the shipped suite run twice against the REAL kernel of this machine, once with
// every case in a fresh process of its own (run --fresh-processes, PlanOptions.freshProcesses) and once as semconf
// runs by default (reused workers entering and leaving contexts, and forked copies of them for the cases that need a
// process of their own), must give every case the same observation and the same verdicts. Only environment may differ (src/behaviour.ts: durations, the worker's own locked total,
// credentials, reasons, the process kind).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { behaviourOf } from '../src/behaviour.js';
import { diffResults } from '../src/diff.js';
import { fastValidator } from '../src/fast-validate.js';
import { Results } from '../src/results.js';
import { runCatalog } from '../src/run.js';
import { loadCatalog } from '../src/spec/lint.js';

const live = process.platform === 'linux' && process.geteuid?.() === 0;
const specs = fileURLToPath(new URL('../specs', import.meta.url));

describe.runIf(live)('reuse equivalence: the shipped suite, every case fresh vs reused (real system calls)', () => {
  let fresh: Results;
  let reused: Results;
  beforeAll(async () => {
    const catalog = loadCatalog(specs);
    // one after the other, not at once: each run has both cores to itself
    fresh = await runCatalog(catalog, { freshProcesses: true });
    reused = await runCatalog(catalog, {});
  }, 300_000);

  it('both runs are complete and ran the same cases; one all fresh, the other reused or forked, never a fresh start', () => {
    expect([fresh.complete, reused.complete]).toEqual([true, true]);
    expect(reused.cases.map((c) => c.id)).toEqual(fresh.cases.map((c) => c.id));
    expect(new Set(fresh.cases.map((c) => c.process))).toEqual(new Set(['fresh']));
    const reusedCount = reused.cases.filter((c) => c.process === 'reused').length;
    expect(reusedCount, 'cases the default run kept in reused workers').toBeGreaterThan(reused.cases.length * 0.8);
    // the exec probes and the unprivileged mlockall cases each had a forked copy of a worker: none was a fresh start
    const forked = reused.cases.filter((c) => c.process === 'forked').map((c) => c.id);
    expect(forked).toEqual(expect.arrayContaining(['mlockall.future-not-across-exec', 'mlockall.unprivileged-over-limit']));
    expect(reused.cases.filter((c) => c.process === 'fresh')).toEqual([]);
  });

  it('both come out as their validation would give them back, so writing them takes the fast path (no zod)', () => {
    // the fields of every case, observation and verdict in the schema's order (src/fast-validate.ts accepts only that)
    const fast = fastValidator(Results);
    expect(fast).toBeDefined();
    expect([fast?.(fresh), fast?.(reused)]).toEqual([true, true]);
  });

  it('every case has the same behaviour and the same verdicts', () => {
    const byId = new Map(fresh.cases.map((c) => [c.id, c]));
    const differing = reused.cases.flatMap((r) => {
      const f = byId.get(r.id);
      if (f === undefined) return [`${r.id}: not in the fresh run`];
      const out: string[] = [];
      if (JSON.stringify(behaviourOf(f)) !== JSON.stringify(behaviourOf(r))) out.push(`${r.id}: ${JSON.stringify(behaviourOf(f))} fresh, ${JSON.stringify(behaviourOf(r))} reused`);
      for (const [profile, v] of Object.entries(f.verdicts)) {
        const w = r.verdicts[profile];
        if (w?.verdict !== v.verdict || w.expected !== v.expected || w.observed !== v.observed) out.push(`${r.id} ${profile}: ${JSON.stringify(v)} fresh, ${JSON.stringify(w)} reused`);
      }
      return out;
    });
    expect(differing).toEqual([]);
    // and diff, the user's own check, agrees: nothing changed, only environment
    const d = diffResults(fresh, reused);
    expect([d.changed, d.flaky, d.added, d.removed, d.failing]).toEqual([[], [], [], [], false]);
    expect(d.environment.some((e) => e.what === 'process')).toBe(true);
  });
});

describe.runIf(live)('run --fresh-processes (the CLI switch)', () => {
  const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8' });

  it('gives every case a fresh process; without it the same cases run reused', () => {
    const out = mkdtempSync(join(tmpdir(), 'semconf-fresh-'));
    const kinds = (file: string, ...extra: string[]): string[] => {
      const r = run('--filter', 'mlock.whole-mapping,mlock.zero-length', '--out', join(out, file), ...extra);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(readFileSync(join(out, file), 'utf8')) as Results).cases.map((c) => `${c.id} ${c.process ?? '-'}`);
    };
    expect(kinds('fresh.json', '--fresh-processes')).toEqual(['mlock.whole-mapping fresh', 'mlock.zero-length fresh']);
    expect(kinds('reused.json')).toEqual(['mlock.whole-mapping reused', 'mlock.zero-length reused']);
  });

  it('is refused for a launched target, in one sentence, exit 2', () => {
    const r = run('--target', 'gvisor', '--fresh-processes');
    expect([r.status, r.stderr.trim()]).toEqual([2, 'semconf: --fresh-processes is an option of --target native only']);
  });
});
