// Reused workers (issue 13): which cases the plan keeps in a fresh process, contexts entered and left in one worker
// against the REAL kernel, the baseline proof, the lane schedule (pure), and what the marginal case reads (FAKE runner).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PlanItem } from '../src/plan.js';
import { executeCase } from '../src/worker/execute.js';
import { kindOf, LaneSchedule } from '../src/worker/lanes.js';
import { defaultChildScript, runItems } from '../src/worker/pool.js';
import { c, itemsFor, ledgerRunner } from './helpers.js';

const isLinuxRoot = process.platform === 'linux' && process.geteuid?.() === 0;
const unprivileged = (memlock: string | number) => ({ user: 'unprivileged' as const, memlock });

describe('plan: which cases keep a fresh process', () => {
  const [plain, wholeProcess, execProbe, starving, unlimitedAll, unprivPlain, unprivUnlock] = itemsFor('mlockall', [
    c('mlockall.p-plain', 'mlock(buf, 1p)'),
    c('mlockall.p-whole', 'mlockall(MCL_CURRENT | MCL_FUTURE)', { before: ['munlockall()'] }),
    c('mlockall.p-exec', 'mlock(buf, 1p)', { expect: { linux: { returns: 0, exec: { locked_total: 'none' }, basis: 'inferred', reason: 'r' } } }),
    c('mlockall.p-starving', 'mlockall(MCL_FUTURE)', { as: unprivileged('16p') }),
    c('mlockall.p-unlimited', 'mlockall(MCL_FUTURE)', { as: unprivileged('unlimited') }),
    c('mlockall.p-unpriv', 'mlock(buf, 1p)', { as: unprivileged('2p') }),
    c('mlockall.p-unpriv-munlockall', 'munlockall()', { as: unprivileged(0) }),
  ]).map((i) => i as PlanItem);

  it('ordinary, whole-process and unprivileged cases run in reused workers', () => {
    expect([plain, wholeProcess, unprivPlain, unprivUnlock].map((i) => [i?.isolated, i?.freshReason])).toEqual(Array.from({ length: 4 }, () => [false, undefined]));
    expect([plain, wholeProcess, unprivPlain, unprivUnlock].map((i) => i && kindOf(i))).toEqual(['reused', 'reused', 'reused', 'reused']);
  });

  it('an exec probe and mlockall under a finite limit without privilege keep a fresh process, and say why', () => {
    expect(execProbe?.freshReason).toBe('the exec probe replaces the process');
    expect(starving?.freshReason).toBe('mlockall under a finite RLIMIT_MEMLOCK (16p) may starve the worker');
    // no limit, nothing to starve on; but above a finite hard limit (this process's, which its workers inherit) only a
    // process of its own may raise it
    const hard = /^Max locked memory\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    expect(unlimitedAll?.freshReason).toBe(hard === 'unlimited' ? undefined : `RLIMIT_MEMLOCK unlimited is above the hard limit ${hard}, which only a process of its own may raise`);
  });
});

describe('lane schedule (pure)', () => {
  const items = itemsFor('mlock', [
    ...Array.from({ length: 40 }, (_, k) => c(`mlock.j${k}`, 'mlock(buf, 1p)')),
    ...Array.from({ length: 30 }, (_, k) => c(`mlock.w${k}`, 'mlockall(MCL_CURRENT)')),
    c('mlock.f-plain', 'mlockall(MCL_CURRENT)', { as: unprivileged(0) }),
    c('mlock.f-exec', 'mlock(buf, 1p)', { expect: { linux: { returns: 0, exec: { locked_total: 'none' }, basis: 'inferred', reason: 'r' } } }),
  ]);
  const js = Array.from({ length: 40 }, (_, k) => `mlock.j${k}`);
  const ws = Array.from({ length: 30 }, (_, k) => `mlock.w${k}`);

  it('one lane claims the reused items, the costlier first within a context; fresh items (longest first) fill in for the other; every item is handed out once', () => {
    const s = new LaneSchedule(items, 'fresh');
    const taken: [number, string][] = [];
    const take = (lane: number): string | undefined => {
      const i = s.next(lane);
      if (i !== undefined) taken.push([lane, i.case.id]);
      return i?.case.id;
    };
    expect(take(0)).toBe('mlock.w0'); // no lane has a worker yet: lane 0 claims the reused items
    // lane 1 has none, and none was started ahead: the fresh items, the one with an exec probe first
    expect(take(1)).toBe('mlock.f-exec');
    expect(take(1)).toBe('mlock.f-plain');
    // then a worker of its own pays off while 29 × ~20 ms and 40 × ~2 ms are left
    expect(take(1)).toBe('mlock.w1');
    while (take(0) !== undefined || take(1) !== undefined);
    expect(taken.map(([, id]) => id).sort()).toEqual(items.map((i) => i.case.id).sort());
    expect(taken.filter(([, id]) => !id.startsWith('mlock.f')).map(([, id]) => id)).toEqual([...ws, ...js]);
    expect(s.remaining).toBe(0);
  });

  it('with workers started ahead, each lane takes one of them at once', () => {
    const s = new LaneSchedule(items, 'forked', 2);
    expect([s.next(0)?.case.id, s.next(1)?.case.id, s.next(2)?.case.id]).toEqual(['mlock.f-plain', 'mlock.f-exec', 'mlock.w0']);
    // lane 2 took one too: 29 × ~20 ms and 40 × ~2 ms outweigh a start of its own
    const t = new LaneSchedule(itemsFor('mlock', [c('mlock.w0', 'mlockall(MCL_CURRENT)'), c('mlock.w1', 'mlockall(MCL_CURRENT)'), c('mlock.w2', 'mlockall(MCL_CURRENT)')]), 'forked', 1);
    expect(t.next(0)?.case.id).toBe('mlock.w0');
    expect(t.next(1)).toBeUndefined(); // the one started worker is taken, and two ~20 ms cases are not worth another
  });

  it('with forked copies (the default), the items that need a process of their own go to the reused workers, first', () => {
    const s = new LaneSchedule(items);
    const own = items.filter((i) => i.isolated);
    expect(own.map((i) => [i.case.id, kindOf(i), kindOf(i, 'fresh')])).toEqual([
      ['mlock.f-plain', 'reused', 'fresh'],
      ['mlock.f-exec', 'reused', 'fresh'],
    ]);
    const taken: string[] = [];
    for (let i = s.next(0); i !== undefined; i = s.next(0)) taken.push(i.case.id);
    // one lane alone takes them all, the longest first, and never a fresh process
    expect(taken).toEqual(['mlock.f-plain', 'mlock.f-exec', ...ws, ...js]);
  });

  it('a lane that is done leaves the reused items to the next lane that asks', () => {
    const s = new LaneSchedule(itemsFor('mlock', [c('mlock.w0', 'mlockall(MCL_CURRENT)'), c('mlock.w1', 'mlockall(MCL_CURRENT)')]));
    expect(s.next(0)?.case.id).toBe('mlock.w0');
    expect(s.next(1)).toBeUndefined(); // one ~20 ms case left is not worth a start: lane 0 has a worker
    s.release(0);
    expect(s.next(1)?.case.id).toBe('mlock.w1');
  });

  it('the items are handed out grouped by context, contexts in the order the plan first names them', () => {
    const s = new LaneSchedule(
      itemsFor('mlock', [
        c('mlock.g0-a', 'mlock(buf, 1p)', { as: unprivileged('2p') }),
        c('mlock.g1-priv', 'mlock(buf, 1p)'),
        c('mlock.g2-b', 'mlock(buf, 1p)', { as: unprivileged(0) }),
        c('mlock.g3-a', 'mlock(buf, 1p)', { as: unprivileged('2p') }),
        c('mlock.g4-priv', 'mlock(buf, 1p)'),
        c('mlock.g5-b', 'mlock(buf, 1p)', { as: unprivileged(0) }),
      ]),
    );
    const taken: string[] = [];
    for (let i = s.next(0); i !== undefined; i = s.next(0)) taken.push(i.case.id);
    expect(taken).toEqual(['mlock.g0-a', 'mlock.g3-a', 'mlock.g1-priv', 'mlock.g4-priv', 'mlock.g2-b', 'mlock.g5-b']);
  });

  it('the groups with the costliest items go first, so that the lanes end on short items', () => {
    const s = new LaneSchedule(
      itemsFor('mlock', [
        c('mlock.a0', 'mlock(buf, 1p)', { as: unprivileged('2p') }),
        c('mlock.p0', 'mlock(buf, 1p)'),
        c('mlock.w0', 'mlockall(MCL_CURRENT)'),
        // needs a process of its own where the hard limit is finite, whether or not the planner could read it
        c('mlock.u0', 'mlock(buf, 1p)', { as: unprivileged('unlimited') }),
        c('mlock.f-plain', 'mlockall(MCL_CURRENT)', { as: unprivileged(0) }),
      ]),
    );
    const taken: string[] = [];
    for (let i = s.next(0); i !== undefined; i = s.next(0)) taken.push(i.case.id);
    expect(taken).toEqual(['mlock.u0', 'mlock.f-plain', 'mlock.w0', 'mlock.p0', 'mlock.a0']);
  });
});

describe.runIf(isLinuxRoot)('reused workers, real system calls', () => {
  it('one worker enters unprivileged contexts and leaves them: soft limit only, capabilities gone and back', async () => {
    const items = itemsFor('mlock', [
      c('mlock.r1-unpriv', 'mlock(buf, 3p)', { memory: { buf: { pages: 3 } }, as: unprivileged('2p') }),
      c('mlock.r2-priv', 'mlock(buf, 3p)', { memory: { buf: { pages: 3 } } }),
      c('mlock.r3-unpriv-zero', 'mlock(buf, 1p)', { as: unprivileged(0) }),
      c('mlock.r4-priv', 'mlock(buf, 2p)'),
    ]);
    const result = await runItems(items, { jobs: 1 });
    const [unpriv, priv, zero, again] = result.reports;
    expect(result.reports.map((r) => [r.process, r.outcome.status, r.outcome.warnings])).toEqual(Array.from({ length: 4 }, () => ['reused', 'ran', undefined]));
    // the limit holds in the context: three pages over a two-page limit fail, and nothing was locked
    expect(unpriv?.outcome.observed?.call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    expect(unpriv?.context.credentials).toMatchObject({ uid: 65534, euid: 65534, gid: 65534, canLockMemory: false, memlock: { soft: '8192' } });
    // the hard limit was never touched: only a fresh process may lower it for good
    const hard = unpriv?.context.credentials?.memlock.hard;
    expect(priv?.context.credentials?.memlock.hard).toBe(hard);
    // back to root with CAP_IPC_LOCK: the privileged case beyond any limit locks
    expect(priv?.context.credentials).toMatchObject({ uid: 0, euid: 0, gid: 0, canLockMemory: true });
    expect(priv?.outcome.observed?.effects.mappings.buf?.locked).toBe('LLL');
    expect(zero?.outcome.observed?.call).toMatchObject({ ret: -1, errno: 'EPERM' });
    expect(again?.outcome.observed?.effects.mappings.buf?.locked).toBe('LL');
  });

  it('a dropped context is held from one case to the next of the same context, proven at its own state, and left for another', async () => {
    const items = itemsFor('mlock', [
      c('mlock.h1-unpriv', 'mlock(buf, 3p)', { memory: { buf: { pages: 3 } }, as: unprivileged('2p') }),
      c('mlock.h2-priv', 'mlock(buf, 3p)', { memory: { buf: { pages: 3 } } }),
      c('mlock.h3-unpriv', 'mlock(buf, 2p)', { memory: { buf: { pages: 2 } }, as: unprivileged('2p') }),
      c('mlock.h4-unpriv', 'mlock(buf, 2p)', { memory: { buf: { pages: 2 } }, as: unprivileged('2p') }),
      c('mlock.h5-unpriv-zero', 'mlock(buf, 1p)', { as: unprivileged(0) }),
    ]);
    const result = await runItems(items, { jobs: 1 });
    const [h1, h2, h3, h4, h5] = result.reports;
    expect(result.reports.map((r) => [r.process, r.outcome.status, r.outcome.warnings])).toEqual(Array.from({ length: 5 }, () => ['reused', 'ran', undefined]));
    // run grouped (h1, h3, h4, then h2, then h5): the two after h1 found its context held, the others entered theirs
    expect(result.reports.map((r) => r.outcome.contextHeld === true)).toEqual([false, false, true, true, false]);
    // each held case ran as nobody under the two-page limit: what h3 locked was undone before h4, which locks as much
    for (const r of [h1, h3, h4]) expect(r?.context.credentials).toMatchObject({ euid: 65534, canLockMemory: false, memlock: { soft: '8192' } });
    expect(h1?.outcome.observed?.call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    expect([h3, h4].map((r) => [r?.outcome.observed?.call.ret, r?.outcome.observed?.effects.mappings.buf?.locked])).toEqual([[0, 'LL'], [0, 'LL']]);
    // left for the privileged case (root with CAP_IPC_LOCK again, beyond any limit), then another drop for h5
    expect(h2?.context.credentials).toMatchObject({ euid: 0, canLockMemory: true });
    expect(h2?.outcome.observed?.effects.mappings.buf?.locked).toBe('LLL');
    expect(h5?.outcome.observed?.call).toMatchObject({ ret: -1, errno: 'EPERM' });
  });

  it('a case sent ahead to a worker that then breaks is not run there: the worker ignores it, the pool sends it to the next worker', async () => {
    // A case that breaks a reused worker: an exec probe, which only a process of its own may run (forced into a
    // reused worker here), is an error there, and the worker is stopped. The ordinary case after it was sent while it ran.
    const [breaks, after] = itemsFor('mlock', [
      c('mlock.r-breaks', 'mlock(buf, 1p)', { expect: { linux: { returns: 0, exec: { locked_total: 'none' }, basis: 'inferred', reason: 'r' } } }),
      c('mlock.r-after', 'mlock(buf, 2p)', { memory: { buf: { pages: 2 } } }),
    ]).map((i) => ({ ...(i as PlanItem), isolated: false, freshReason: undefined }));
    if (breaks === undefined || after === undefined) throw new Error('planned');
    expect([kindOf(breaks), kindOf(after)]).toEqual(['reused', 'reused']);
    // the worker itself, driven directly: the second case arrives before the first's result, and is never answered
    const { fork } = await import('node:child_process');
    const child = fork(defaultChildScript(), [JSON.stringify({ process: 'reused', copies: false })], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const answers: { type: string; key?: string; outcome?: { status: string; reason?: string } }[] = [];
    try {
      await new Promise<void>((resolve) => child.on('message', (m: { type: string }) => (answers.push(m), m.type === 'hello' && resolve())));
      child.send({ type: 'run', item: breaks });
      child.send({ type: 'run', item: after });
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      child.kill('SIGKILL');
    }
    expect(answers.map((a) => [a.type, a.key, a.outcome?.status, a.outcome?.reason])).toEqual([
      ['hello', undefined, undefined, undefined],
      ['result', breaks.key, 'error', 'the exec probe needs a fresh worker'],
    ]);
    // and through the pool: both reported, the second run by the next worker
    const result = await runItems([breaks, after], { jobs: 1 });
    expect(result.reports.map((r) => [r.item.key, r.process, r.outcome.status])).toEqual([
      [breaks.key, 'reused', 'error'],
      [after.key, 'reused', 'ran'],
    ]);
    expect(result.reports[1]?.outcome.observed?.effects.mappings.buf?.locked).toBe('LL');
    // several sent ahead of it (pool.ts SEND_AHEAD): each goes to the next worker, is run once, and reported in order
    const following = itemsFor('mlock', Array.from({ length: 6 }, (_, k) => c(`mlock.r-then${k}`, `mlock(buf, ${1 + (k % 2)}p)`, { memory: { buf: { pages: 2 } } })));
    const many = await runItems([breaks, ...following], { jobs: 1 });
    expect(many.reports.map((r) => [r.item.key, r.process, r.outcome.status])).toEqual([[breaks.key, 'reused', 'error'], ...following.map((f) => [f.key, 'reused', 'ran'])]);
    expect(many.reports.slice(1).map((r) => r.outcome.observed?.effects.mappings.buf?.locked)).toEqual(['LU', 'LL', 'LU', 'LL', 'LU', 'LL']);
  });

  it('a whole-process lock in a reused worker is undone: the next case\'s fresh mappings are not locked', async () => {
    const items = itemsFor('mlockall', [
      c('mlockall.r1-future', 'mlockall(MCL_CURRENT | MCL_FUTURE)', { memory: { buf: { pages: 2 }, later: { pages: 2, after_call: true } } }),
      c('mlockall.r2-after', 'munlock(buf, 2p)', { memory: { buf: { pages: 2 }, later: { pages: 1, after_call: true } } }),
    ]);
    const result = await runItems(items, { jobs: 1 });
    const [future, after] = result.reports;
    expect(future?.process).toBe('reused');
    expect(future?.outcome.observed?.effects.mappings.later?.locked).toBe('LL');
    expect(future?.outcome.warnings).toBeUndefined(); // back at its baseline: not retired
    expect(after?.outcome.observed?.effects.mappings).toMatchObject({ buf: { locked: 'UU' }, later: { locked: 'U' } });
    expect(after?.outcome.observed?.effects.lockedBytes).toBe(0);
  });

  it('a context whose soft limit is above the hard one gets a process of its own: a forked copy, or a fresh process', async () => {
    const hardKiB = /^Max locked memory\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    if (hardKiB === 'unlimited') return; // nothing is above an unlimited hard limit here
    const [item] = itemsFor('mlock', [c('mlock.r-unlimited', 'mlock(buf, 1p)', { as: unprivileged('unlimited') })]);
    // the copy tries to raise the hard limit, as a fresh process would, and this machine refuses it (no CAP_SYS_RESOURCE)
    const forked = (await runItems(item ? [item] : [], { jobs: 1 })).reports[0];
    expect(forked?.process).toBe('forked');
    expect(forked?.outcome).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/could not set RLIMIT_MEMLOCK to unlimited/) });
    expect(forked?.context.established).toBe(false);
    const fresh = (await runItems(item ? [item] : [], { jobs: 1, isolation: 'fresh' })).reports[0];
    expect(fresh?.process).toBe('fresh');
    expect(fresh?.item.freshReason).toMatch(/^RLIMIT_MEMLOCK unlimited is above the hard limit \d+, which only a (fresh process|process of its own) may raise/);
    // the same case, the same outcome: only the way its process was made differs
    expect(fresh?.outcome.status).toBe(forked?.outcome.status);
    expect(fresh?.outcome.reason).toBe(forked?.outcome.reason);
  });

  it('a forked copy runs the cases that need a process of their own; the worker that forked it stays at its baseline', async () => {
    const items = itemsFor('mlockall', [
      c('mlockall.k1-exec', 'mlockall(MCL_CURRENT | MCL_FUTURE)', { expect: { linux: { returns: 0, exec: { locked_total: 'none' }, basis: 'inferred', reason: 'r' } } }),
      c('mlockall.k2-starving', 'mlockall(MCL_CURRENT)', { as: unprivileged('16p') }),
      c('mlockall.k3-after', 'munlock(buf, 1p)', { memory: { buf: { pages: 1 }, later: { pages: 1, after_call: true } } }),
    ]);
    const result = await runItems(items, { jobs: 1 });
    const [exec, starving, after] = result.reports;
    expect(result.reports.map((r) => [r.item.case.id, r.process, r.outcome.status, r.outcome.warnings])).toEqual([
      ['mlockall.k1-exec', 'forked', 'ran', undefined],
      ['mlockall.k2-starving', 'forked', 'ran', undefined],
      ['mlockall.k3-after', 'reused', 'ran', undefined],
    ]);
    // the copy locked all of itself, then exec'd: the new image's VmLck is 0 (no lock survives an exec)
    expect(exec?.outcome.observed?.call).toMatchObject({ ret: 0 });
    expect(exec?.outcome.observed?.effects.exec).toEqual({ lockedBytes: 0 });
    // the copy established the context for good, as a fresh process does: uid 65534, 16 pages soft and hard
    expect(starving?.context).toMatchObject({ established: true, credentials: { uid: 65534, euid: 65534, canLockMemory: false } });
    expect(starving?.context.credentials?.memlock.soft).toBe(starving?.context.credentials?.memlock.hard);
    expect(starving?.outcome.observed?.call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    // and the worker itself: root, nothing locked, no MCL_FUTURE (a mapping made after the call is not locked)
    expect(after?.context.credentials).toMatchObject({ uid: 0, euid: 0, canLockMemory: true });
    expect(after?.outcome.observed?.effects.mappings.later?.locked).toBe('U');
    expect(after?.outcome.observed?.effects.lockedBytes).toBe(0);
  });
});

describe.runIf(isLinuxRoot)('the baseline proof (a real worker-like process)', () => {
  it('names what a case left: locks, MCL_FUTURE, a changed limit, a context not left; and is empty once they are undone', () => {
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    // --jitless: this process locks its whole address space with MCL_FUTURE, as a reused worker may
    const script = `const { createRunner } = await import(${JSON.stringify(`${dist}runners/index.js`)});
const { takeBaseline, departuresFrom } = await import(${JSON.stringify(`${dist}src/worker/baseline.js`)});
const runner = createRunner();
const baseline = takeBaseline(runner);
const all = { future: true, credentials: true };
const out = { clean: departuresFrom(runner, baseline, all) };
runner.call('mlockall', [runner.constants.MCL_FUTURE]);
out.future = departuresFrom(runner, baseline, all);
runner.call('munlockall', []);
runner.setMemlockSoftLimit(4096n);
out.limit = departuresFrom(runner, baseline, all);
runner.setMemlockSoftLimit(BigInt(baseline.credentials.memlock.soft));
out.restored = departuresFrom(runner, baseline, all);
// the proof after a case compares credentials where entering its context changed them: an unprivileged one left
// entered is named; once left, nothing is
const { enterContext } = await import(${JSON.stringify(`${dist}src/worker/context.js`)});
const privileged = enterContext(runner, 'privileged', baseline.credentials);
out.privilegedChanged = [String(privileged.changed)];
const dropped = enterContext(runner, { user: 'unprivileged', memlock: '2p' }, baseline.credentials);
out.droppedChanged = [String(dropped.changed)];
out.stillDropped = departuresFrom(runner, baseline, { future: false, credentials: dropped.changed });
out.left = [String(dropped.leave())];
out.afterLeave = departuresFrom(runner, baseline, { future: false, credentials: dropped.changed });
process.stdout.write(JSON.stringify(out));
runner.exitNow(0);`;
    const r = spawnSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string[]>;
    expect(out.clean).toEqual([]);
    expect(out.future).toContain('MCL_FUTURE in force (a fresh mapping is locked)');
    expect(out.limit?.join()).toMatch(/^credentials .*"soft":"4096".* \(was .*\)$/);
    expect(out.restored).toEqual([]);
    expect(out.privilegedChanged).toEqual(['false']);
    expect(out.droppedChanged).toEqual(['true']);
    expect(out.stillDropped?.join()).toMatch(/^credentials .*"euid":65534.* \(was .*"euid":0.*\),groups .* \(was .*\)$/);
    expect(out.left).toEqual(['null']);
    expect(out.afterLeave).toEqual([]);
  });
});

describe('the marginal case reads VmLck, not smaps_rollup, while nothing nears the budget (FAKE runner: counts readings)', () => {
  const [item] = itemsFor('mlock', [c('mlock.t', 'mlock(buf, 2p)', { before: ['mlock(buf, 1p)'] })]);

  it('within the budget: no smaps_rollup reading at all', () => {
    if (item === undefined) throw new Error('planned');
    const { runner, readings } = ledgerRunner(8192);
    expect(executeCase(runner, item).status).toBe('ran');
    expect(readings.pinned).toBe(0);
    expect(readings.charged).toBeGreaterThan(0);
  });

  it('charged over the budget: what is pinned decides (here half of it, within: the case runs)', () => {
    if (item === undefined) throw new Error('planned');
    const { runner, readings } = ledgerRunner(item.budgetBytes / 2 + 4096, 0.5);
    expect(executeCase(runner, item).status).toBe('ran');
    expect(readings.pinned).toBeGreaterThan(0);
  });
});

describe.runIf(isLinuxRoot)('workers started ahead of the plan (semconf run)', () => {
  it('a run refused as bad usage after its workers started leaves none of them behind', () => {
    const tag = `semconf-started-${process.pid}-${Date.now()}`;
    const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
    // an unknown profile is found once the catalog is loaded: after the workers were started
    const r = spawnSync(process.execPath, [cli, 'run', '--profile', 'no-such-profile'], { encoding: 'utf8', env: { ...process.env, SEMCONF_TEST_TAG: tag } });
    expect([r.status, r.stderr.trim()]).toEqual([2, expect.stringMatching(/^semconf: unknown profile "no-such-profile"; expected one of /)]);
    // every process that carries the tag in its environment (the workers inherit it) is gone when semconf has exited
    const tagged = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(tag);
        } catch {
          return false;
        }
      });
    expect(tagged).toEqual([]);
  });
});

describe.runIf(isLinuxRoot)('cleanup after a case (real system calls)', () => {
  it('a mapping whose munmap failed is found still present, and the worker is retired', async () => {
    const { createRunner } = await import('../runners/index.js');
    const runner = createRunner();
    const [item] = itemsFor('mlock', [c('mlock.t', 'mlock(buf, 2p)')]);
    if (item === undefined) throw new Error('planned');
    // the first unmap (the case's reservation) "fails": it is skipped and reported as failed, as munmap(2) would
    const real = runner.memory.unmap.bind(runner.memory);
    const kept: [bigint, number][] = [];
    runner.memory.unmap = (addr, pages) => {
      if (kept.length > 0) return real(addr, pages);
      kept.push([addr, pages]);
      return false;
    };
    try {
      const outcome = executeCase(runner, item);
      expect(outcome.status).toBe('ran');
      expect(outcome.retire).toBe('mappings of the case still present after cleanup: buf');
    } finally {
      for (const [addr, pages] of kept) real(addr, pages);
    }
    // and when every munmap returns 0, nothing is said
    runner.memory.unmap = real;
    expect(executeCase(runner, item).retire).toBeUndefined();
  });
});
