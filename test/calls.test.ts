// The calls that interact with locks (madvise, msync, mlock2, mremap): their confinement as pure arithmetic, and
// the REAL worker making (or refusing) them against this machine's libc. The real-syscall parts need Linux as root
// with CAP_IPC_LOCK, as test/runner.test.ts does.
import { readFileSync } from 'node:fs';
import type { LibraryHandle } from 'koffi';
import { describe, expect, it } from 'vitest';
import { bindIntCall, bindPointerCall } from '../runners/posix-common.js';
import { behaviourDiffers } from '../src/behaviour.js';
import type { CaseResult, Observation } from '../src/results.js';
import { remapArgumentsProblem } from '../src/spec/rules/remap-arguments.js';
import { describeObserved } from '../src/verdict.js';
import { type AddressSpace, confinementProblem, describeConfinement, landingProblem, rangeParams, type Region, remapProblem } from '../src/worker/confine.js';
import { runItems, type WorkerReport } from '../src/worker/pool.js';
import { c, itemsFor } from './helpers.js';

const isLinuxRootWithIpcLock = process.platform === 'linux' && process.geteuid?.() === 0;

const PS = 4096n;
const SPACE: AddressSpace = { wordBits: 64, nullEnd: 0x10000n, userEnd: 1n << 63n };
const buf: Region = { name: 'buf', start: 0x7f0000000000n, end: 0x7f0000000000n + 4n * PS }; // guard, 2 pages, guard
const first = buf.start + PS;
const refusal = (fn: string, args: bigint[]): string | null => {
  const p = confinementProblem(fn, args, [buf], SPACE, PS);
  return p === null ? null : describeConfinement(p, true);
};

describe('the ranges of the new calls (pure arithmetic)', () => {
  it('madvise, msync and mlock2 touch [addr, addr + len); mremap its old range and the range it may grow to', () => {
    expect(rangeParams('madvise')).toEqual([[0, 1]]);
    expect(rangeParams('msync')).toEqual([[0, 1]]);
    expect(rangeParams('mlock2')).toEqual([[0, 1]]);
    expect(rangeParams('mremap')).toEqual([[0, 1], [0, 2]]);
  });

  it('an escaping madvise, msync, mlock2 or mremap range is refused; the case\'s own range is not', () => {
    expect(refusal('madvise', [first, 2n * PS, 4n])).toBeNull();
    expect(refusal('madvise', [first, 0x10000000n, 4n])).toMatch(/^madvise's range starts in "buf" and reaches \d+ page\(s\) past its fenced region/);
    expect(refusal('msync', [first - 2n * PS, PS, 2n])).toMatch(/^msync's range 0x7efffffff000-0x7f0000000000 is not in the case's mappings/);
    expect(refusal('mlock2', [first, 0x10000000n, 1n])).toMatch(/^mlock2's range starts in "buf"/);
    // mremap: the old range is the case's, but growing in place would reach past the fenced region
    expect(refusal('mremap', [first, PS, 2n * PS, 1n])).toBeNull(); // up to the trailing guard page: inside
    expect(refusal('mremap', [first, PS, 16n * PS, 1n])).toMatch(/^mremap's range starts in "buf" and reaches 13 page\(s\) past/);
    expect(refusal('mremap', [0xdd3000n, PS, PS, 0n])).toMatch(/^mremap's range 0xdd3000-0xdd4000 is not in the case's mappings/);
  });
});

describe('what an mremap may be (pure)', () => {
  const starts = [{ name: 'buf', base: first }];
  it('flags 0 or MREMAP_MAYMOVE from a mapping\'s first page are allowed', () => {
    expect(remapProblem('mremap', [first, PS, 2n * PS, 0n], starts, 1n)).toBeNull();
    expect(remapProblem('mremap', [first, PS, 2n * PS, 1n], starts, 1n)).toBeNull();
    expect(remapProblem('mlock', [first + PS, PS], starts, 1n)).toBeNull(); // not an mremap
  });

  it('MREMAP_FIXED, MREMAP_DONTUNMAP, an unknown bit, or an address inside a mapping are refused', () => {
    expect(remapProblem('mremap', [first, PS, PS, 3n], starts, 1n)).toMatch(/^mremap's flags 0x3 are neither 0 nor MREMAP_MAYMOVE \(0x1\); MREMAP_FIXED/);
    expect(remapProblem('mremap', [first, PS, PS, 5n], starts, 1n)).toMatch(/^mremap's flags 0x5/);
    expect(remapProblem('mremap', [first, PS, PS, 0x80n], starts, 1n)).toMatch(/^mremap's flags 0x80/);
    // a target without MREMAP_MAYMOVE allows 0 only
    expect(remapProblem('mremap', [first, PS, PS, 1n], starts, undefined)).toMatch(/^mremap's flags 0x1 are neither 0 nor MREMAP_MAYMOVE;/);
    expect(remapProblem('mremap', [first + PS, PS, 2n * PS, 0n], starts, 1n)).toBe(
      "mremap's address 0x7f0000002000 is not the first page of one of the case's mappings (buf); the worker follows a remapped mapping only from its start",
    );
  });

  it('where a moved mapping lands may hold nothing mapped before the call and still there after it, apart from its old range', () => {
    const old = { start: first, end: first + PS };
    const node = { start: 0x7f1000000000n, end: 0x7f1000004000n };
    const before = [{ start: buf.start, end: buf.start + 2n * PS }, node];
    const after = [{ start: buf.start, end: buf.start + PS }, node];
    // onto its own old page (the guard before it is not touched): nothing of anyone else's
    expect(landingProblem({ start: first, end: first + PS }, old, before, after)).toBeNull();
    expect(landingProblem({ start: 0x7f2000000000n, end: 0x7f2000002000n }, old, before, after)).toBeNull();
    expect(landingProblem({ start: 0x7f1000003000n, end: 0x7f1000005000n }, old, before, after)).toBe(
      "the kernel moved the mapping to 0x7f1000003000-0x7f1000005000, which overlaps 0x7f1000000000-0x7f1000004000, mapped before the call and after it and not the case's",
    );
    // the guard page before the old range is someone's too as far as a landing goes
    expect(landingProblem({ start: buf.start, end: first + PS }, old, [{ start: buf.start, end: first }], [{ start: buf.start, end: first }])).toMatch(/overlaps 0x7f0000000000-0x7f0000001000/);
    // a mapping another thread unmapped meanwhile may have given the kernel the room: gone from `after`, no problem
    expect(landingProblem({ start: 0x7f1000003000n, end: 0x7f1000005000n }, old, before, after.slice(0, 1))).toBeNull();
  });
});

describe('binding (FAKE library handle: a C library without the symbol, which this machine\'s glibc is not)', () => {
  it('an absent mlock2 or mremap symbol binds nothing, so the cases calling it are unsupported', () => {
    const without = { func: () => { throw new Error('koffi: cannot find function'); } } as unknown as LibraryHandle;
    expect(bindIntCall(without, 'mlock2', 64)).toBeNull();
    expect(bindPointerCall(without, 'mremap', 64)).toBeNull();
  });

  it('a pointer-returning call reports MAP_FAILED as -1 with errno, any other address as ret 0 and the address', () => {
    const returning = (v: bigint) => ({ func: () => () => v }) as unknown as LibraryHandle;
    expect(bindPointerCall(returning(0x7f0000001000n), 'mremap', 64)?.([0n, 0n, 0n, 0n])).toEqual({ ret: 0, errno: null, address: 0x7f0000001000n });
    expect(bindPointerCall(returning((1n << 64n) - 1n), 'mremap', 64)?.([0n, 0n, 0n, 0n])).toMatchObject({ ret: -1 });
    expect(bindPointerCall(returning(0xffffffffn), 'mremap', 32)?.([0n, 0n, 0n, 0n])).toMatchObject({ ret: -1 }); // MAP_FAILED at 32 bits
  });
});

describe('a moved mapping in reports and comparisons (constructed observations)', () => {
  const observation = (moved: boolean): Observation => ({
    before: [],
    call: { text: 'mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', ret: 0, errno: null, moved },
    effects: { mappings: { buf: { pages: 2, locked: 'LL', resident: 'RR' } }, lockedBytes: 8192 },
  });
  const result = (moved: boolean): CaseResult => ({
    id: 'mremap.x', function: 'mremap', title: 'x', status: 'ran', durationMs: 1, observed: observation(moved), verdicts: {},
    context: { name: 'privileged', established: true } as CaseResult['context'],
  });

  it('the report says whether the mapping moved, and a run where it moved differs in behaviour from one where it did not', () => {
    expect(describeObserved(observation(true))).toBe('returns 0 (the mapping moved); buf locked LL, resident RR');
    expect(describeObserved(observation(false))).toBe('returns 0 (in place); buf locked LL, resident RR');
    expect(behaviourDiffers(result(true), result(false))).toBe(true);
    expect(behaviourDiffers(result(true), result(true))).toBe(false);
  });
});

describe('lint: an mremap the worker can follow (src/spec/rules/remap-arguments.ts)', () => {
  it('refuses flags other than 0 and MREMAP_MAYMOVE as written, and an address that is not a mapping by itself', () => {
    expect(remapArgumentsProblem('mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', ['buf'])).toBeNull();
    expect(remapArgumentsProblem('mremap(buf, 1p, 2p, 0)', ['buf'])).toBeNull();
    expect(remapArgumentsProblem('mremap(buf, 1p, 2p, 2)', ['buf'])).toMatch(/^mremap's flags "2" are refused: expected 0 or MREMAP_MAYMOVE/);
    expect(remapArgumentsProblem('mremap(buf, 1p, 2p, MREMAP_MAYMOVE | 2)', ['buf'])).toMatch(/^mremap's flags "MREMAP_MAYMOVE \| 2" are refused/);
    expect(remapArgumentsProblem('mremap(buf + 1p, 1p, 2p, 0)', ['buf'])).toMatch(/^mremap's address "buf \+ 1p" is not a mapping of this case by itself; expected one of buf/);
    expect(remapArgumentsProblem('mlock(buf + 1p, 1p)', ['buf'])).toBeNull();
  });
});

describe.runIf(isLinuxRootWithIpcLock)('the new calls in a real worker (real system calls)', () => {
  const vmLck = (): string => /^VmLck:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';
  const nodeCode = (): string => {
    const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => / r-xp .*\/node$/.test(l) || / r-xp .*\/nodejs$/.test(l));
    return `0x${(line ?? '400000-').split('-')[0]}`;
  };
  const byId = (reports: WorkerReport[]): Map<string, WorkerReport> => new Map(reports.map((r) => [r.item.case.id, r]));
  const ran = (r: WorkerReport | undefined) => {
    expect(r?.outcome.status, r?.outcome.reason).toBe('ran');
    return r?.outcome.observed ?? expect.unreachable('no observation');
  };

  it('an escaping madvise(MADV_DONTNEED), msync or mremap is refused before the call: no outcome recorded, the next case unharmed', async () => {
    const items = [
      ...itemsFor('madvise', [
        // would discard the pages of whatever follows the case's memory: the check that matters most
        c('madvise.t-escape', 'madvise(buf, 0x10000000, MADV_DONTNEED)', { memory: { buf: { pages: 2, touch: true } } }),
        c('madvise.t-node', `madvise(${nodeCode()}, 1p, MADV_DONTNEED)`),
      ]),
      ...itemsFor('msync', [c('msync.t-escape', 'msync(buf - 2p, 1p, MS_INVALIDATE)')]),
      ...itemsFor('mremap', [
        c('mremap.t-grow-out', 'mremap(buf, 1p, 0x10000000, MREMAP_MAYMOVE)', { memory: { buf: { layout: ['rw', 'hole'] } } }),
        c('mremap.t-fixed', 'mremap(buf, 1p, 1p, 3)', { memory: { buf: { pages: 1 } } }),
        c('mremap.t-inside', 'mremap(buf + 1p, 1p, 2p, MREMAP_MAYMOVE)'),
      ]),
      ...itemsFor('madvise', [c('madvise.t-after', 'madvise(buf, 2p, MADV_DONTNEED)', { memory: { buf: { pages: 2, touch: true } }, before: ['mlock(buf, 2p)'] })]),
    ];
    const reports = byId((await runItems(items, { jobs: 1 })).reports);
    const refused = (id: string, reason: RegExp): void => {
      const r = reports.get(id);
      expect(r?.outcome.status, id).toBe('error');
      expect(r?.outcome.reason, id).toMatch(reason);
      expect(r?.outcome.observed, id).toBeUndefined();
    };
    refused('madvise.t-escape', /^refused madvise\(buf, 0x10000000, MADV_DONTNEED\): madvise's range starts in "buf" and reaches \d+ page\(s\) past its fenced region/);
    refused('madvise.t-node', /^refused madvise\(0x0*[0-9a-f]+, 1p, MADV_DONTNEED\): madvise's range 0x[0-9a-f]+-0x[0-9a-f]+ is not in the case's mappings/);
    refused('msync.t-escape', /^refused msync\(buf - 2p, 1p, MS_INVALIDATE\): msync's range 0x[0-9a-f]+-0x[0-9a-f]+ is not in the case's mappings/);
    refused('mremap.t-grow-out', /^refused mremap\(buf, 1p, 0x10000000, MREMAP_MAYMOVE\): mremap's range starts in "buf" and reaches \d+ page\(s\) past/);
    refused('mremap.t-fixed', /^refused mremap\(buf, 1p, 1p, 3\): mremap's flags 0x3 are neither 0 nor MREMAP_MAYMOVE \(0x1\)/);
    refused('mremap.t-inside', /^refused mremap\(buf \+ 1p, 1p, 2p, MREMAP_MAYMOVE\): mremap's address 0x[0-9a-f]+ is not the first page of one of the case's mappings \(buf\)/);
    // the madvise refusal left the worker sound: a fresh worker locks, and MADV_DONTNEED on locked memory is EINVAL
    const after = ran(reports.get('madvise.t-after'));
    expect(after.call).toEqual({ text: 'madvise(buf, 2p, MADV_DONTNEED)', ret: -1, errno: 'EINVAL' });
    expect(after.effects.mappings.buf).toEqual({ pages: 2, locked: 'LL', resident: 'RR' });
    expect(vmLck()).toBe('0 kB');
  });

  it('a mapping mremap moves is followed: later steps and the effects use its new range, the cleanup unmaps it there', async () => {
    const items = itemsFor('mremap', [
      // the guard page after buf leaves no room in place: the kernel moves it
      c('mremap.t-moved', 'mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', { memory: { buf: { pages: 1 } }, before: ['mlock(buf, 1p)'] }),
      // a later step on `buf` reaches the moved pages: munlock of two pages where only one page was mapped before
      c('mremap.t-then-munlock', 'munlock(buf, 2p)', {
        memory: { buf: { pages: 1 } },
        before: ['mlock(buf, 1p)', { call: 'mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', returns: 0 }],
      }),
      // the case unmaps half of the moved range: that half is no longer the case's, so a later call on it is refused
      c('mremap.t-then-munmap', 'mlock(buf + 1p, 1p)', {
        memory: { buf: { pages: 1 } },
        before: [{ call: 'mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', returns: 0 }, 'munmap(buf + 1p, 1p)'],
      }),
      c('mremap.t-next', 'mremap(buf, 1p, 1p, 0)', { memory: { buf: { pages: 1 } } }),
    ]);
    const result = await runItems(items, { jobs: 1 });
    const reports = byId(result.reports);
    const moved = ran(reports.get('mremap.t-moved'));
    // success is ret 0 plus whether it moved: never the address, which differs from run to run
    expect(moved.call).toEqual({ text: 'mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', ret: 0, errno: null, moved: true });
    expect(moved.effects.mappings.buf).toEqual({ pages: 2, locked: 'LL', resident: 'RR' });
    // a leaked locked mapping would leave the worker off its baseline (VmLck): that case would carry a warning
    expect(reports.get('mremap.t-moved')?.outcome.warnings).toBeUndefined();
    const then = ran(reports.get('mremap.t-then-munlock'));
    expect(then.before[1]).toEqual({ text: 'mremap(buf, 1p, 2p, MREMAP_MAYMOVE)', ret: 0, errno: null, moved: true });
    expect(then.call).toMatchObject({ ret: 0, errno: null });
    expect(then.effects.mappings.buf).toMatchObject({ pages: 2, locked: 'UU' });
    expect(reports.get('mremap.t-then-munlock')?.outcome.warnings).toBeUndefined();
    expect(reports.get('mremap.t-then-munmap')?.outcome.reason).toMatch(/^refused mlock\(buf \+ 1p, 1p\): mlock's range 0x[0-9a-f]+-0x[0-9a-f]+ is not in the case's mappings/);
    expect(ran(reports.get('mremap.t-next')).call).toEqual({ text: 'mremap(buf, 1p, 1p, 0)', ret: 0, errno: null, moved: false });
  });

  it('growing in place means into the holes after the mapping; shrinking leaves a hole, and neither is a filled hole', async () => {
    const items = itemsFor('mremap', [
      c('mremap.t-grow', 'mremap(buf, 2p, 4p, 0)', { memory: { buf: { layout: ['rw', 'rw', 'hole', 'hole'] } }, before: ['mlock(buf, 2p)'] }),
      c('mremap.t-shrink', 'mremap(buf, 2p, 1p, 0)', { before: ['mlock(buf, 2p)'] }),
      // in place only: the hole is the case's room, the guard page after a full mapping is not
      c('mremap.t-no-room', 'mremap(buf, 2p, 3p, 0)', { before: ['mlock(buf, 2p)'] }),
    ]);
    const reports = byId((await runItems(items, { jobs: 1 })).reports);
    const grow = ran(reports.get('mremap.t-grow'));
    expect(grow.call).toEqual({ text: 'mremap(buf, 2p, 4p, 0)', ret: 0, errno: null, moved: false });
    expect(grow.effects.mappings.buf).toEqual({ pages: 4, locked: 'LLLL', resident: 'RRRR' });
    expect(ran(reports.get('mremap.t-shrink')).effects.mappings.buf).toEqual({ pages: 2, locked: 'L-', resident: 'R-' });
    expect(ran(reports.get('mremap.t-no-room')).call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    for (const r of reports.values()) expect(r.outcome.warnings, r.item.case.id).toBeUndefined();
  });

  it('madvise, msync and mlock2 are bound: on-fault locks are marked but not populated, unknown flags are EINVAL', async () => {
    const items = [
      ...itemsFor('mlock2', [c('mlock2.t-onfault', 'mlock2(buf, 2p, MLOCK_ONFAULT)'), c('mlock2.t-unknown', 'mlock2(buf, 2p, 0x80000000)')]),
      ...itemsFor('msync', [c('msync.t-locked', 'msync(buf, 2p, MS_INVALIDATE)', { before: ['mlock(buf, 2p)'] })]),
    ];
    const reports = byId((await runItems(items, { jobs: 1 })).reports);
    const onfault = ran(reports.get('mlock2.t-onfault'));
    expect(onfault.call).toEqual({ text: 'mlock2(buf, 2p, MLOCK_ONFAULT)', ret: 0, errno: null });
    expect(onfault.effects.mappings.buf).toEqual({ pages: 2, locked: 'LL', resident: 'NN' });
    expect(ran(reports.get('mlock2.t-unknown')).call).toMatchObject({ ret: -1, errno: 'EINVAL' });
    expect(ran(reports.get('msync.t-locked')).call).toMatchObject({ ret: -1, errno: 'EBUSY' });
  });
});
