// Steps after the call under test, the touch builtin, per-step snapshots and the locked totals, against the REAL
// libc of this machine (Linux, root with CAP_IPC_LOCK): real worker processes, real system calls.
import { beforeAll, describe, expect, it } from 'vitest';
import { runItems, type WorkerReport } from '../src/worker/pool.js';
import { c, itemsFor } from './helpers.js';

const isLinuxRootWithIpcLock = process.platform === 'linux' && process.geteuid?.() === 0;

describe.runIf(isLinuxRootWithIpcLock)('sequences after the call, real system calls', () => {
  let byId: Map<string, WorkerReport>;
  beforeAll(async () => {
    const items = itemsFor('mlock', [
      // the example: mlock of PROT_NONE fails, then the page is made accessible and written
      c('mlock.t-prot-none-then-touch', 'mlock(buf, 1p)', {
        memory: { buf: { pages: 2, prot: 'none' } },
        after: ['mprotect(buf, 1p, PROT_READ | PROT_WRITE)', 'touch(buf, 1p)'],
        snapshots: true,
      }),
      c('mlock.t-touch-second-page', 'mlock(buf, 1p)', { after: ['touch(buf + 1p, 1)'] }),
      c('mlock.t-after-declared', 'mlock(buf, 1p)', { after: [{ call: 'munlock(buf, 1p)', returns: 0 }, { call: 'mlock(gap, 1p)', fails: 'ENOMEM' }], memory: { buf: { pages: 1 }, gap: { layout: ['hole'] } } }),
      c('mlock.t-after-mismatch', 'mlock(buf, 1p)', { after: [{ call: 'munlock(buf, 1p)', fails: 'EINVAL' }] }),
      c('mlock.t-after-plain-fails', 'mlock(buf, 1p)', { memory: { buf: { pages: 1 }, gap: { layout: ['hole'] } }, after: ['munlock(gap, 1p)'] }),
      // the call under test makes the page PROT_NONE: lint cannot know, the worker refuses the write
      c('mlock.t-touch-after-prot-none', 'mlock(buf, 1p)', { before: [], after: ['mprotect(buf, 1p, PROT_NONE)', 'touch(buf, 1p)'] }),
      c('mlock.t-touch-read-only', 'mlock(buf, 1p)', { memory: { buf: { pages: 1, prot: 'r' } }, after: ['touch(buf, 1p)'] }),
      c('mlock.t-touch-guard', 'mlock(buf, 1p)', { after: ['touch(buf + 2p, 1p)'] }),
      c('mlock.t-after-escapes', 'mlock(buf, 1p)', { after: ['munlock(buf, 0x10000000)'] }),
    ]);
    const result = await runItems(items, { jobs: 1 });
    expect(result.complete).toBe(true);
    byId = new Map(result.reports.map((r) => [r.item.case.id, r]));
  });

  const report = (id: string) => byId.get(id) ?? expect.unreachable(`no report for ${id}`);
  const observed = (id: string) => {
    const r = report(id);
    expect(r.outcome.status, r.outcome.reason).toBe('ran');
    return r.outcome.observed ?? expect.unreachable('no observation');
  };

  it('runs the after-steps after the call, records each, and observes the effects after the last one', () => {
    const o = observed('mlock.t-prot-none-then-touch');
    expect(o.call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    expect(o.after).toEqual([
      { text: 'mprotect(buf, 1p, PROT_READ | PROT_WRITE)', ret: 0, errno: null },
      { text: 'touch(buf, 1p)', ret: 0, errno: null },
    ]);
    expect(o.effects.mappings.buf?.resident?.[0]).toBe('R');
    expect(o.effects.mappings.buf?.resident?.[1]).toBe('N');
  });

  it('snapshots: the state of every mapping after each step, the call included, in order', () => {
    const o = observed('mlock.t-prot-none-then-touch');
    expect(o.snapshots?.map((s) => s.after)).toEqual(['mlock(buf, 1p)', 'mprotect(buf, 1p, PROT_READ | PROT_WRITE)', 'touch(buf, 1p)']);
    // nothing is resident before the page is accessible; the last snapshot is the observed final state
    expect(o.snapshots?.[0]?.mappings.buf?.resident).toBe('NN');
    expect(o.snapshots?.[2]?.mappings.buf).toEqual(o.effects.mappings.buf);
  });

  it('without snapshots: true no per-step state is recorded; the process locked total at the start is', () => {
    const o = observed('mlock.t-touch-second-page');
    expect(o.snapshots).toBeUndefined();
    expect(o.effects.lockedBytesAtStart).toBe(0);
    expect(o.effects.lockedBytes).toBe(4096);
  });

  it('touch faults in exactly the pages its range covers', () => {
    const o = observed('mlock.t-touch-second-page');
    // mlock made page 0 resident; touch(buf + 1p, 1) wrote page 1 only
    expect(o.effects.mappings.buf).toMatchObject({ locked: 'LU', resident: 'RR' });
  });

  it('declared after-steps are checked as declared; the case goes on', () => {
    const o = observed('mlock.t-after-declared');
    expect(o.after).toEqual([
      { text: 'munlock(buf, 1p)', ret: 0, errno: null },
      { text: 'mlock(gap, 1p)', ret: -1, errno: 'ENOMEM' },
    ]);
    expect(o.effects.mappings.buf?.locked).toBe('U');
  });

  it('an after-step that does not end as declared, or a plain one that fails, makes the case an error', () => {
    expect(report('mlock.t-after-mismatch').outcome).toMatchObject({ status: 'error', reason: 'setup step munlock(buf, 1p) was declared to fail with EINVAL but returned 0' });
    expect(report('mlock.t-after-plain-fails').outcome).toMatchObject({ status: 'error', reason: 'setup call munlock(gap, 1p) failed with ENOMEM' });
  });

  it('touch of a page that is PROT_NONE, read-only or not the case\'s is refused before anything is written', () => {
    expect(report('mlock.t-touch-after-prot-none').outcome).toMatchObject({
      status: 'error',
      reason: 'refused touch(buf, 1p): touch\'s range covers page 0 of "buf", which is PROT_NONE at this step; touch writes zeros, so only writable pages of the case may be touched',
    });
    expect(report('mlock.t-touch-read-only').outcome.reason).toMatch(/^refused touch\(buf, 1p\): .*page 0 of "buf", which is read-only at this step/);
    expect(report('mlock.t-touch-guard').outcome.reason).toMatch(/^refused touch\(buf \+ 2p, 1p\): touch's range reaches 0x[0-9a-f]+, which is not a page of the case's mappings/);
  });

  it('an after-step is confined like every other call', () => {
    expect(report('mlock.t-after-escapes').outcome.reason).toMatch(/^refused munlock\(buf, 0x10000000\): munlock's range starts in "buf" and reaches/);
  });
});
