// Memory kinds in real worker processes against this machine's libc: file-backed and shared mappings, MAP_LOCKED,
// adjacent mappings, deferred mappings placed by an mmap step, ftruncate through a mapping's own descriptor. Every
// assertion is what the Linux kernel here does (observed through the worker's probes, which smaps confirms).
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { runItems, type WorkerReport } from '../src/worker/pool.js';
import { c, itemsFor } from './helpers.js';

const isLinuxRootWithIpcLock = process.platform === 'linux' && process.geteuid?.() === 0;
const caseDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('semconf-case-'));

describe.runIf(isLinuxRootWithIpcLock)('memory kinds, real system calls', () => {
  let byId: Map<string, WorkerReport>;
  let lockMethod: string | undefined;
  let dirsBefore: string[];
  beforeAll(async () => {
    dirsBefore = caseDirs();
    const items = [
      ...itemsFor('mlock', [
        c('mlock.t-anon-shared', 'mlock(buf, 2p)', { memory: { buf: { pages: 2, backing: 'anon-shared' } } }),
        c('mlock.t-file-private', 'mlock(buf, 2p)', { memory: { buf: { pages: 2, backing: 'file-private' } } }),
        c('mlock.t-file-shared', 'mlock(buf, 1p)', { memory: { buf: { pages: 2, backing: 'file-shared' } } }),
        c('mlock.t-file-holes', 'mlock(buf, 3p)', { memory: { buf: { layout: ['rw', 'hole', 'r'], backing: 'file-shared' } } }),
        c('mlock.t-past-eof', 'mlock(buf, 4p)', { memory: { buf: { pages: 4, backing: 'file-shared', file_pages: 2 } } }),
        c('mlock.t-map-locked', 'mlock(buf, 0)', { memory: { buf: { pages: 2, map_locked: true } } }),
        c('mlock.t-large', 'mlock(buf, 16384p)', { memory: { buf: { pages: 16384 } } }),
        c('mlock.t-adjacent', 'mlock(a + 1p, 2p)', { memory: { a: { pages: 2 }, b: { pages: 2, prot: 'r', follows: 'a' } } }),
        c('mlock.t-deferred', 'mlock(late, 2p)', { memory: { buf: { pages: 1 }, late: { pages: 2, deferred: true } }, before: ['mmap(late)'] }),
        c('mlock.t-deferred-never', 'mlock(buf, 1p)', { memory: { buf: { pages: 1 }, late: { pages: 2, deferred: true } } }),
        c('mlock.t-ftruncate', 'mlock(f, 2p)', { memory: { f: { pages: 4, backing: 'file-shared' } }, before: ['mlock(f, 4p)', 'ftruncate(f, 2p)'] }),
        // a case that fails after its file was made still removes it
        c('mlock.t-file-fails', 'mlock(buf, 1p)', { memory: { buf: { pages: 1, backing: 'file-shared' } }, before: [{ call: 'mlock(buf, 1p)', fails: 'ENOMEM' }] }),
        // cases that bypass lint: the worker refuses them itself
        c('mlock.t-ftruncate-fd', 'mlock(buf, 1p)', { memory: { buf: { pages: 1, backing: 'file-shared' } }, before: ['ftruncate(0, 0)'] }),
        c('mlock.t-ftruncate-anon', 'mlock(buf, 1p)', { before: ['ftruncate(buf, 0)'] }),
        c('mlock.t-ftruncate-long', 'mlock(buf, 1p)', { memory: { buf: { pages: 1, backing: 'file-shared' } }, before: ['ftruncate(buf, 0x100000000)'] }),
        c('mlock.t-mmap-placed', 'mlock(buf, 1p)', { before: ['mmap(buf)'] }),
        c('mlock.t-mmap-address', 'mlock(buf, 1p)', { memory: { buf: { pages: 1 }, late: { pages: 1, deferred: true } }, before: ['mmap(late + 1p)'] }),
        c('mlock.t-touch-past-eof', 'mlock(buf, 1p)', { memory: { buf: { pages: 2, backing: 'file-shared', file_pages: 1, touch: true } } }),
      ]),
      ...itemsFor('mlockall', [
        c('mlockall.t-future-limit', 'mlockall(MCL_CURRENT)', {
          memory: { buf: { pages: 1 }, late: { pages: 8, deferred: true } },
          before: ['mlockall(MCL_FUTURE)', { call: 'mmap(late)', fails: 'any' }],
          as: { user: 'unprivileged', memlock: '4p' },
        }),
      ]),
    ];
    const result = await runItems(items, { jobs: 2 });
    expect(result.complete).toBe(true);
    byId = new Map(result.reports.map((r) => [r.item.case.id, r]));
    lockMethod = result.probes?.lockState.method;
  });

  const observed = (id: string) => {
    const r = byId.get(id);
    expect(r?.outcome.status, r?.outcome.reason).toBe('ran');
    return r?.outcome.observed ?? expect.unreachable('no observation');
  };
  const mapping = (id: string, name = 'buf') => observed(id).effects.mappings[name];

  it('locks shared anonymous memory and private and shared file mappings, read by a probe calibrated per backing', () => {
    expect(lockMethod).toMatch(/^msync\(MS_INVALIDATE\) per page \(EBUSY where locked, on a page mincore finds mapped\) on anon-private, anon-shared, file-private, file-shared memory/);
    expect(mapping('mlock.t-anon-shared')).toEqual({ pages: 2, locked: 'LL', resident: 'RR' });
    expect(mapping('mlock.t-file-private')).toEqual({ pages: 2, locked: 'LL', resident: 'RR' });
    expect(mapping('mlock.t-file-shared')?.locked).toBe('LU');
  });

  it('residency of a file page is the page cache\'s: the page locked is resident, its untouched neighbour may be too', () => {
    // mincore reports whether the file's page is in RAM; readahead on the lock's fault may have read page 1 in, so
    // no case may expect an untouched page of a file within its end to be not resident (CONTRIBUTING.md)
    expect(mapping('mlock.t-file-shared')?.resident).toMatch(/^R[RN]$/);
  });

  it('holes and per-page protection work on a file mapping as on anonymous memory', () => {
    expect(observed('mlock.t-file-holes').call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    expect(mapping('mlock.t-file-holes')?.locked).toBe('L-U');
  });

  it('a file mapping past the end of its file: mlock fails ENOMEM, the VMA is marked locked, the pages past EOF are not resident', () => {
    expect(observed('mlock.t-past-eof').call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
    expect(mapping('mlock.t-past-eof')).toEqual({ pages: 4, locked: 'LLLL', resident: 'RRNN' });
  });

  it('MAP_LOCKED locks and populates the mapping when it is made', () => {
    expect(mapping('mlock.t-map-locked')).toEqual({ pages: 2, locked: 'LL', resident: 'RR' });
  });

  it('a mapping of 16384 pages (the 64 MiB budget) is placed and locked whole', () => {
    expect(observed('mlock.t-large').call).toMatchObject({ ret: 0 });
    expect(mapping('mlock.t-large')?.locked).toBe('L'.repeat(16384));
    expect(observed('mlock.t-large').effects.lockedBytes).toBe(16384 * 4096);
  });

  it('a mapping that follows another starts right after its last page, and one lock spans the boundary', () => {
    expect(observed('mlock.t-adjacent').call).toMatchObject({ ret: 0 });
    expect(mapping('mlock.t-adjacent', 'a')?.locked).toBe('UL');
    expect(mapping('mlock.t-adjacent', 'b')?.locked).toBe('LU');
  });

  it('mmap(name) places a deferred mapping as a step; one never mapped is observed unmapped', () => {
    expect(observed('mlock.t-deferred').before).toEqual([{ text: 'mmap(late)', ret: 0, errno: null }]);
    expect(mapping('mlock.t-deferred', 'late')?.locked).toBe('LL');
    expect(mapping('mlock.t-deferred-never', 'late')).toEqual({ pages: 2, locked: '--', resident: '--' });
  });

  it('an mmap step under mlockall(MCL_FUTURE) and a small RLIMIT_MEMLOCK is observed with its errno, not a case error', () => {
    const o = observed('mlockall.t-future-limit');
    expect(o.before).toEqual([
      { text: 'mlockall(MCL_FUTURE)', ret: 0, errno: null },
      { text: 'mmap(late)', ret: -1, errno: 'EAGAIN' },
    ]);
    expect(o.effects.mappings.late).toEqual({ pages: 8, locked: '--------', resident: '--------' });
  });

  it('ftruncate reaches the file through the mapping\'s name: the locked pages past the new end stay locked VMAs, not resident', () => {
    const o = observed('mlock.t-ftruncate');
    expect(o.before.map((b) => b.ret)).toEqual([0, 0]);
    expect(mapping('mlock.t-ftruncate', 'f')).toEqual({ pages: 4, locked: 'LLLL', resident: 'RRNN' });
  });

  it('the case\'s files are removed whether the case ran or failed', () => {
    expect(byId.get('mlock.t-file-fails')?.outcome.status).toBe('error');
    expect(caseDirs().filter((d) => !dirsBefore.includes(d))).toEqual([]);
  });

  it('a name argument that is not a name of the right kind, or a length over the budget, is refused before the call', () => {
    const reason = (id: string): string | undefined => byId.get(id)?.outcome.reason;
    expect(reason('mlock.t-ftruncate-fd')).toBe('refused ftruncate(0, 0): ftruncate\'s argument 1 must be the name of a file-backed mapping of this case (backing: file-private or file-shared) (buf), got "0"');
    expect(reason('mlock.t-ftruncate-anon')).toMatch(/^refused ftruncate\(buf, 0\): ftruncate's argument 1 must be the name of a file-backed mapping/);
    expect(reason('mlock.t-ftruncate-long')).toBe('refused ftruncate(buf, 0x100000000): ftruncate\'s argument 2 is 4294967296 bytes, over the case budget of 67108864 bytes');
    expect(reason('mlock.t-mmap-placed')).toMatch(/^refused mmap\(buf\): mmap's argument 1 must be the name of a mapping of this case declared `deferred: true`/);
    expect(reason('mlock.t-mmap-address')).toMatch(/^refused mmap\(late \+ 1p\): .* got "late \+ 1p"$/);
    expect(reason('mlock.t-touch-past-eof')).toBe('"buf" extends past the end of its file: its pages cannot be touched');
  });
});

describe('the files of a case (src/worker/case-files.ts, real files)', () => {
  it('a file is made at its size with no name left behind, its descriptor alone keeping it, closed at cleanup', async () => {
    const { fstatSync, readlinkSync } = await import('node:fs');
    const { CaseFiles } = await import('../src/worker/case-files.js');
    const before = caseDirs();
    const files = new CaseFiles();
    const fd = files.create('f', 8192);
    try {
      expect(fstatSync(fd).size).toBe(8192);
      expect(fstatSync(fd).mode & 0o777).toBe(0o600);
      expect(fstatSync(fd).nlink).toBe(0); // unlinked already: nothing to remove if the worker dies now
      expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/semconf-case-f-\d+-\d+-[0-9a-z]+ \(deleted\)$/);
      expect(caseDirs().filter((d) => !before.includes(d))).toEqual([]);
      expect(files.fd('f')).toBe(fd);
    } finally {
      files.cleanup();
    }
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });
});

describe.runIf(isLinuxRootWithIpcLock)('the files of an unprivileged case (real system calls)', () => {
  it('are made where the dropped context may write, though the TMPDIR it inherited is root\'s alone (as under --target gvisor)', async () => {
    const { chmodSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const rootOnly = mkdtempSync(join(tmpdir(), 'semconf-root-only-'));
    chmodSync(rootOnly, 0o700);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = rootOnly;
    try {
      const items = itemsFor('mlock', [
        c('mlock.t-unprivileged-file', 'mlock(buf, 1p)', { memory: { buf: { pages: 1, backing: 'file-shared' } }, as: { user: 'unprivileged', memlock: '4p' } }),
      ]);
      const [report] = (await runItems(items, { jobs: 1 })).reports;
      expect(report?.outcome.status, report?.outcome.reason).toBe('ran');
      expect(report?.outcome.observed?.effects.mappings.buf?.locked).toBe('L');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(rootOnly, { recursive: true, force: true });
    }
  });
});

describe.runIf(isLinuxRootWithIpcLock)('placement of adjacent mappings (src/worker/place.ts, real mappings in this process)', () => {
  it('a mapping that follows another starts at its last page + 1, one guard page outside the pair; different kinds are separate VMAs', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRunner } = await import('../runners/index.js');
    const { CaseFiles } = await import('../src/worker/case-files.js');
    const { chainsOf, placeChain } = await import('../src/worker/place.js');
    const runner = createRunner();
    const ps = BigInt(runner.pageSize);
    const files = new CaseFiles();
    const memory = { a: { pages: 2 }, b: { pages: 1, prot: 'r' as const, follows: 'a' }, c: { pages: 1, backing: 'file-shared' as const, follows: 'b' } };
    const chains = chainsOf(Object.entries(memory));
    expect(chains.map((ch) => ch.map(([n]) => n))).toEqual([['a', 'b', 'c']]);
    const placed = placeChain(runner, chains[0] ?? [], files);
    try {
      const [a, b, c] = placed;
      expect(b?.base).toBe((a?.base ?? 0n) + 2n * ps);
      expect(c?.base).toBe((b?.base ?? 0n) + ps);
      expect(a?.reservation).toBe((a?.base ?? 0n) - ps);
      expect(placed.map((p) => p.reservationPages)).toEqual([6, 6, 6]);
      // the VMAs over the reservation, from /proc/self/maps: guard, a (rw-p), b (r--p), c (rw-s, the file), guard
      const start = a?.reservation ?? 0n;
      const end = start + 6n * ps;
      const vmas = readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .map((l) => /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(l))
        .flatMap((m) => (m === null ? [] : [{ from: BigInt(`0x${m[1]}`), to: BigInt(`0x${m[2]}`), perms: m[3] }]))
        .filter((v) => v.from < end && v.to > start);
      expect(vmas.map((v) => [Number((v.to - v.from) / ps), v.perms])).toEqual([[1, '---p'], [2, 'rw-p'], [1, 'r--p'], [1, 'rw-s'], [1, '---p']]);
    } finally {
      runner.memory.unmap(placed[0]?.reservation ?? 0n, 6);
      files.cleanup();
    }
  });
});
