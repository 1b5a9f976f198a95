// The planner reads the hard RLIMIT_MEMLOCK of this process once (plan.ts hardMemlockOfThisProcess), also where it
// cannot be read: gVisor (runsc 20221219) has no /proc/self/limits, and a memo that kept only a value opened the file
// again for every case that asks (199 failed opens in one run inside the sandbox, seen with runsc --strace).
// FAKE: node:fs is mocked so that /proc/self/limits does not exist and its reads are counted, as inside gVisor; every
// other path goes to the real readFileSync.
import { describe, expect, it, vi } from 'vitest';
import { c, itemsFor } from './helpers.js';

const reads = vi.hoisted(() => ({ limits: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((path: unknown, ...rest: unknown[]) => {
    if (path === '/proc/self/limits') {
      reads.limits += 1;
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    }
    return (real.readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof real.readFileSync;
  return { ...real, default: { ...real, readFileSync }, readFileSync };
});

describe('the hard RLIMIT_MEMLOCK, where /proc/self/limits cannot be read', () => {
  it('is read once for a whole plan and the plans after it, and no case is given a process of its own for it', () => {
    const unlimited = (id: string) => c(id, 'mlock(buf, 1p)', { as: { user: 'unprivileged', memlock: 'unlimited' } });
    const first = itemsFor('mlock', [unlimited('mlock.a'), unlimited('mlock.b'), unlimited('mlock.c')]);
    const second = itemsFor('mlock', [unlimited('mlock.d'), unlimited('mlock.e')]);
    expect(reads.limits).toBe(1);
    // unknown here, so the worker finds out (it says so, and the case goes to a process of its own then)
    expect([...first, ...second].map((i) => i.freshReason)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
