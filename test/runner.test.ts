// The runner and workers against the REAL libc of this machine: every assertion here is a documented live Linux fact
// (Linux man-pages mlock(2) and the kernel's behaviour), observed through real system calls in real worker processes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runItems, type WorkerReport } from '../src/worker/pool.js';
import { c, itemsFor } from './helpers.js';

const isLinuxRootWithIpcLock = process.platform === 'linux' && process.geteuid?.() === 0;

describe.runIf(isLinuxRootWithIpcLock)('Linux worker, real system calls', () => {
  let byId: Map<string, WorkerReport>;
  beforeAll(async () => {
    const items = [
      ...itemsFor('mlock', [
        c('mlock.t-zero', 'mlock(buf, 0)'),
        c('mlock.t-unmapped', 'mlock(gap, 2p)', { memory: { gap: { layout: ['hole', 'hole'] } } }),
        c('mlock.t-prot-none', 'mlock(buf, 1p)', { memory: { buf: { pages: 1, prot: 'none' } } }),
        c('mlock.t-ok', 'mlock(buf, 2p)'),
        c('mlock.t-wrap', 'mlock(buf, SIZE_MAX - 1p + 1)'),
      ]),
      ...itemsFor('munlock', [
        c('munlock.t-after-mlock', 'munlock(buf, 2p)', { before: ['mlock(buf, 2p)'] }),
        c('munlock.t-setup-fails', 'munlock(buf, 1p)', { memory: { buf: { pages: 1 }, gap: { layout: ['hole'] } }, before: ['mlock(gap, 1p)'] }),
        c('munlock.t-after-setup-failure', 'munlock(buf, 1p)'),
      ]),
    ];
    const result = await runItems(items, { jobs: 2 });
    expect(result.complete).toBe(true);
    byId = new Map(result.reports.map((r) => [r.item.case.id, r]));
  });

  const observed = (id: string) => {
    const r = byId.get(id);
    expect(r?.outcome.status, r?.outcome.reason).toBe('ran');
    return r?.outcome.observed ?? expect.unreachable('no observation');
  };

  it('runs in the privileged context and records its credentials', () => {
    const ctx = byId.get('mlock.t-ok')?.context;
    expect(ctx).toMatchObject({ name: 'privileged', established: true, credentials: { euid: 0, canLockMemory: true } });
  });

  it('mlock(buf, 0) returns 0 and locks nothing', () => {
    const o = observed('mlock.t-zero');
    expect(o.call).toEqual({ text: 'mlock(buf, 0)', ret: 0, errno: null });
    expect(o.effects.mappings.buf?.locked).toBe('UU');
  });

  it('an unmapped range fails with ENOMEM', () => {
    const o = observed('mlock.t-unmapped');
    expect(o.call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    expect(o.effects.mappings.gap?.locked).toBe('--');
  });

  it('a PROT_NONE mapping fails with ENOMEM', () => {
    expect(observed('mlock.t-prot-none').call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
  });

  it('after a successful mlock smaps shows the pages locked, and mlock made them resident', () => {
    const o = observed('mlock.t-ok');
    expect(o.call.ret).toBe(0);
    expect(o.effects.mappings.buf).toEqual({ pages: 2, locked: 'LL', resident: 'RR' });
    expect(o.effects.lockedBytes).toBeGreaterThanOrEqual(2 * 4096);
  });

  it('after munlock the pages are no longer locked', () => {
    const o = observed('munlock.t-after-mlock');
    expect(o.before).toEqual([{ text: 'mlock(buf, 2p)', ret: 0, errno: null }]);
    expect(o.call.ret).toBe(0);
    expect(o.effects.mappings.buf?.locked).toBe('UU');
  });

  it('a setup call that fails makes that case an error with the reason, and the next case still runs', () => {
    expect(byId.get('munlock.t-setup-fails')?.outcome).toMatchObject({ status: 'error', reason: 'setup call mlock(gap, 1p) failed with ENOMEM' });
    expect(byId.get('munlock.t-after-setup-failure')?.outcome.status).toBe('ran');
  });

  it('a range that wraps past the end of the address space fails with EINVAL', () => {
    expect(observed('mlock.t-wrap').call).toMatchObject({ ret: -1, errno: 'EINVAL' });
  });
});

describe('pool robustness (fixture worker that misbehaves on purpose)', () => {
  const script = fileURLToPath(new URL('./fixtures/workers/misbehaving-child.mjs', import.meta.url));

  it('a hang becomes that case\'s error, a crash too, and every other case completes', async () => {
    const items = itemsFor('mlock', [
      c('mlock.a-ok', 'mlock(buf, 1p)'),
      c('mlock.b-hang', 'mlock(buf, 1p)'),
      c('mlock.c-crash', 'mlock(buf, 1p)'),
      c('mlock.d-exit', 'mlock(buf, 1p)'),
      c('mlock.e-called-then-crash', 'mlock(buf, 1p)'),
      c('mlock.f-ok', 'mlock(buf, 1p)'),
    ], 500);
    const result = await runItems(items, { jobs: 1, childScript: script });
    const status = Object.fromEntries(result.reports.map((r) => [r.item.case.id, [r.outcome.status, r.outcome.reason ?? '']]));
    expect(result.complete).toBe(true);
    expect(status['mlock.a-ok']).toEqual(['ran', '']);
    expect(status['mlock.b-hang']).toEqual(['error', 'timed out after 500 ms; the worker was killed']);
    expect(status['mlock.c-crash']?.[0]).toBe('error');
    expect(status['mlock.c-crash']?.[1]).toMatch(/killed by SIGKILL while running the case/);
    expect(status['mlock.d-exit']?.[1]).toMatch(/exited with code 3 while running the case/);
    expect(status['mlock.e-called-then-crash']?.[1]).toMatch(/killed by SIGKILL after the call under test mlock\(buf, 1p\) returned 0 while running the case/);
    expect(status['mlock.f-ok']).toEqual(['ran', '']);
  });

  it('a worker killed at its timeout takes the processes it started with it, and the pool does not wait on the streams they held', async () => {
    const pids = join(mkdtempSync(join(tmpdir(), 'semconf-orphan-')), 'pids');
    writeFileSync(pids, '');
    process.env.SEMCONF_TEST_ORPHAN_PIDS = pids;
    try {
      const items = itemsFor('mlock', [c('mlock.a-orphan-hang', 'mlock(buf, 1p)'), c('mlock.b-ok', 'mlock(buf, 1p)')], 500);
      const result = await runItems(items, { jobs: 1, childScript: script });
      expect(result.reports.map((r) => [r.item.case.id, r.outcome.status])).toEqual([
        ['mlock.a-orphan-hang', 'error'],
        ['mlock.b-ok', 'ran'],
      ]);
    } finally {
      delete process.env.SEMCONF_TEST_ORPHAN_PIDS;
    }
    const orphans = readFileSync(pids, 'utf8').split('\n').filter((l) => l !== '').map(Number);
    expect(orphans).toHaveLength(1);
    // dead: gone, or a zombie waiting for init to reap it (its parent, the worker, is gone)
    const state = (pid: number): string => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] ?? '?';
      } catch {
        return 'gone';
      }
    };
    for (const pid of orphans) expect(['gone', 'Z'], `process ${pid} the worker started is still running`).toContain(state(pid));
  });
});

describe.runIf(isLinuxRootWithIpcLock)('process-wide semantics, real system calls', () => {
  let byId: Map<string, WorkerReport>;
  const childAndExec = {
    linux: { returns: 0, child: { locked: { buf: 'none' as const }, locked_total: 'none' as const }, exec: { locked_total: 'none' as const }, basis: 'inferred' as const, reason: 'observation request only' },
  };
  beforeAll(async () => {
    const items = [
      ...itemsFor('mlock', [c('mlock.t-fork', 'mlock(buf, 2p)', { expect: childAndExec })]),
      ...itemsFor('mlockall', [
        c('mlockall.t-future', 'mlockall(MCL_CURRENT | MCL_FUTURE)', {
          memory: { buf: { pages: 2 }, later: { pages: 2, after_call: true } },
          expect: childAndExec,
        }),
      ]),
    ];
    const result = await runItems(items, { jobs: 2 });
    byId = new Map(result.reports.map((r) => [r.item.case.id, r]));
  });

  it('a child forked after mlock has the mapping, but not its lock', () => {
    const r = byId.get('mlock.t-fork');
    expect(r?.outcome.status, r?.outcome.reason).toBe('ran');
    expect(r?.item.isolated).toBe(false);
    expect(r?.outcome.observed?.effects.mappings.buf?.locked).toBe('LL');
    expect(r?.outcome.observed?.effects.child).toEqual({ mappings: { buf: 'UU' }, lockedBytes: 0 });
  });

  it('mlockall(MCL_CURRENT | MCL_FUTURE) runs in a fresh process, locks later mappings, and is not inherited', () => {
    const r = byId.get('mlockall.t-future');
    expect(r?.outcome.status, r?.outcome.reason).toBe('ran');
    expect(r?.item.isolated).toBe(true);
    const o = r?.outcome.observed;
    expect(o?.call).toMatchObject({ ret: 0, errno: null });
    expect(o?.effects.mappings.buf?.locked).toBe('LL');
    expect(o?.effects.mappings.later?.locked).toBe('LL');
    expect(o?.effects.lockedBytes).toBeGreaterThan(1024 * 1024);
    expect(o?.effects.child?.lockedBytes).toBe(0);
    expect(o?.effects.exec).toEqual({ lockedBytes: 0 });
  });
});

describe.runIf(isLinuxRootWithIpcLock)('lock-state probe (real system calls)', () => {
  it('msync(MS_INVALIDATE) reads every page as smaps VmFlags does, through partial and failed locks and holes', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRunner } = await import('../runners/index.js');
    const { pageLocksIn, parseSmaps } = await import('../runners/linux-proc.js');
    const runner = createRunner();
    expect(runner.probes.lockState.method).toMatch(/^msync\(MS_INVALIDATE\)/);
    const ps = BigInt(runner.pageSize);
    const base = runner.memory.reserve(8) ?? expect.unreachable('no memory');
    const smaps = (): string => pageLocksIn(parseSmaps(readFileSync('/proc/self/smaps', 'utf8')) ?? [], base, 8, ps).join('');
    const probe = (): string => runner.probes.pageLocks(base, 8)?.join('') ?? 'blind';
    const seen: string[] = [];
    try {
      runner.memory.protect(base, 6, 'rw');
      runner.memory.unmap(base + 6n * ps, 1); // a hole at page 6; page 7 stays PROT_NONE
      const steps: [string, () => void][] = [
        ['fresh', () => undefined],
        ['lock pages 1-2', () => runner.call('mlock', [base + ps, 2n * ps])],
        ['lock over the hole (fails)', () => runner.call('mlock', [base + 4n * ps, 4n * ps])],
        ['unlock page 2', () => runner.call('munlock', [base + 2n * ps, ps])],
        ['PROT_NONE page 0 then lock it (fails)', () => (runner.memory.protect(base, 1, 'none'), runner.call('mlock', [base, ps]))],
      ];
      for (const [what, act] of steps) {
        act();
        seen.push(`${what}: ${probe()}`);
        expect(probe(), what).toBe(smaps());
      }
    } finally {
      runner.memory.unmap(base, 8);
    }
    expect(seen).toEqual([
      'fresh: UUUUUU-U',
      'lock pages 1-2: ULLUUU-U',
      'lock over the hole (fails): ULLULL-U',
      'unlock page 2: ULUULL-U',
      'PROT_NONE page 0 then lock it (fails): LLUULL-U',
    ]);
  });
});
