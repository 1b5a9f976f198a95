// The FreeBSD, macOS and illumos adapters on a machine that is none of them: their tables and layouts against the
// headers they come from (numbers copied here from those headers, independently of the adapters), adapter
// selection, that importing an adapter loads no library, and the shared POSIX core against this machine's libc.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import koffi from 'koffi';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DARWIN,
  DARWIN_CONSTANTS,
  DARWIN_ERRNO,
  DARWIN_HOLES_METHOD,
  DARWIN_LOCK_PRIVILEGE,
  DARWIN_PROC_REGIONINFO,
  decodeRegion,
  FAKE_REGION_TAG,
  mappedInRegions,
  pageLocksFromRegions,
  type Region,
  walkRegions,
  withRegionHoles,
} from '../runners/darwin.js';
import {
  aiocbFor,
  FREEBSD,
  FREEBSD_AIOCB,
  FREEBSD_CONSTANTS,
  FREEBSD_ERRNO,
  FREEBSD_KINFO_VMENTRY,
  FREEBSD_LOCK_PRIVILEGE,
  FREEBSD_SIGEVENT,
  KVME_FLAG_USER_WIRED,
  pageLocksFromVmmap,
  parseVmmap,
  SIGEV_THREAD_ID,
  sigeventFor,
  SIGURG,
} from '../runners/freebsd.js';
import {
  ILLUMOS,
  ILLUMOS_CONSTANTS,
  ILLUMOS_ERRNO,
  ILLUMOS_MAP_NORESERVE,
  ILLUMOS_PRXMAP,
  pageLocksFromXmap,
  parseXmap,
} from '../runners/illumos.js';
import { ADAPTERS, createRunner, supportedPlatforms, UnsupportedOsError } from '../runners/index.js';
import { parseSmaps } from '../runners/linux.js';
import {
  type AioDriver,
  AioTimeout,
  calibrateLocks,
  calibrateTotal,
  convertArgs,
  createPosixRunner,
  errnoNames,
  type PosixPlatform,
  prototypeOf,
  reserveFlags,
  runAio,
} from '../runners/posix-common.js';
import type { Credentials, PageLock, PageResidency, Runner } from '../runners/types.js';
import { establishContext } from '../src/worker/context.js';
import { CALLABLE_NAMES, CONSTANT_NAMES } from '../src/spec/functions.js';
import { ERRNO_NAMES } from '../src/spec/errno-names.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const first = (table: Readonly<Record<string, number>>, n: number): string | undefined => errnoNames(table).get(n)?.[0];

describe('FreeBSD tables (FreeBSD src sys/sys/errno.h, mman.h, signal.h, resource.h)', () => {
  it('errno numbers are FreeBSD\'s, not Linux\'s', () => {
    // sys/sys/errno.h: EAGAIN 35, ENOMEM 12, EINVAL 22, EOPNOTSUPP 45 (ENOTSUP is EOPNOTSUPP), ECANCELED 85
    expect(FREEBSD_ERRNO).toMatchObject({ EPERM: 1, EAGAIN: 35, EWOULDBLOCK: 35, ENOMEM: 12, EINVAL: 22, ENOTSUP: 45, EOPNOTSUPP: 45 });
    expect(FREEBSD_ERRNO).toMatchObject({ ECANCELED: 85, EINPROGRESS: 36, EDEADLK: 11, ENOSYS: 78, EOVERFLOW: 84, EINTEGRITY: 97 });
    expect(os.constants.errno.EAGAIN).not.toBe(FREEBSD_ERRNO.EAGAIN); // this machine's own table is not used
  });

  it('names numbers with the POSIX spelling where two names share one', () => {
    expect(first(FREEBSD_ERRNO, 35)).toBe('EAGAIN');
    expect(first(FREEBSD_ERRNO, 45)).toBe('ENOTSUP');
    expect(first(FREEBSD_ERRNO, 12)).toBe('ENOMEM');
  });

  it('constants: MCL_*, PROT_*, SIGEV_*; no MCL_ONFAULT', () => {
    expect(FREEBSD_CONSTANTS).toMatchObject({ MCL_CURRENT: 1n, MCL_FUTURE: 2n, PROT_NONE: 0n, PROT_READ: 1n, PROT_WRITE: 2n, PROT_EXEC: 4n });
    expect(FREEBSD_CONSTANTS).toMatchObject({ SIGEV_NONE: 0n, SIGEV_SIGNAL: 1n, SIGEV_THREAD: 2n, SIGEV_KEVENT: 3n });
    expect(FREEBSD_CONSTANTS.MCL_ONFAULT).toBeUndefined();
    expect(FREEBSD.mman).toMatchObject({ MAP_PRIVATE: 0x2, MAP_ANON: 0x1000, MAP_NORESERVE: 0 });
    expect(FREEBSD.rlimit).toEqual({ memlock: 6, infinity: 0x7fff_ffff_ffff_ffffn });
    expect(FREEBSD.library).toBe('libc.so.7');
  });
});

describe('FreeBSD struct aiocb and struct sigevent, amd64/arm64 layout (sys/sys/aio.h, sys/sys/signal.h)', () => {
  it('sigevent: notify at 0, signo at 4, sigev_value at 8, the union at 16; 80 bytes', () => {
    expect(koffi.sizeof(FREEBSD_SIGEVENT)).toBe(80);
    expect([0, 4, 8, 16]).toEqual(['sigev_notify', 'sigev_signo', 'sigev_value', '_sigev_un'].map((f) => koffi.offsetof(FREEBSD_SIGEVENT, f)));
  });

  it('aiocb: the documented offsets, the sigevent at 80, 160 bytes', () => {
    const offsets = Object.fromEntries(
      ['aio_fildes', 'aio_offset', 'aio_buf', 'aio_nbytes', '__spare__', '__spare2__', 'aio_lio_opcode', 'aio_reqprio', '_aiocb_private', 'aio_sigevent'].map(
        (f) => [f, koffi.offsetof(FREEBSD_AIOCB, f)],
      ),
    );
    expect(offsets).toEqual({
      aio_fildes: 0,
      aio_offset: 8,
      aio_buf: 16,
      aio_nbytes: 24,
      __spare__: 32,
      __spare2__: 40,
      aio_lio_opcode: 48,
      aio_reqprio: 52,
      _aiocb_private: 56,
      aio_sigevent: 80,
    });
    expect(koffi.sizeof(FREEBSD_AIOCB)).toBe(160);
  });

  // The bytes of the control block aio_mlock would submit for a notification mode, with kqueue() and thr_self()
  // stubbed: kqueue descriptor 7, thread id 100123.
  const submitted = (notify: number): { bytes: Buffer; kqueue: number | null } => {
    let made = 0;
    const sev = sigeventFor(notify, { kqueue: () => (++made, 7), threadId: () => 100123 });
    expect(made).toBe(sev.kqueue === null ? 0 : 1);
    const cb = koffi.alloc(FREEBSD_AIOCB, 1);
    try {
      koffi.encode(cb, FREEBSD_AIOCB, aiocbFor(0x7f00_1234_5000n, 8192n, sev.value));
      // copied: Buffer.from(ArrayBuffer) would share the memory freed below
      return { bytes: Buffer.from(new Uint8Array(koffi.view(cb, 160))), kqueue: sev.kqueue };
    } finally {
      koffi.free(cb);
    }
  };
  /** every byte outside aio_buf, aio_nbytes and the sigevent fields the mode needs is zero */
  const zeroExcept = (bytes: Buffer, ...ranges: [number, number][]): boolean =>
    [...bytes].every((b, i) => b === 0 || [[16, 32] as [number, number], ...ranges].some(([from, to]) => i >= from && i < to));

  it('SIGEV_NONE: only aio_buf, aio_nbytes and sigev_notify are set', () => {
    const { bytes, kqueue } = submitted(0);
    expect(bytes.readBigUInt64LE(16)).toBe(0x7f00_1234_5000n);
    expect(bytes.readBigUInt64LE(24)).toBe(8192n);
    expect(bytes.readInt32LE(80)).toBe(0);
    expect(zeroExcept(bytes)).toBe(true);
    expect(kqueue).toBeNull();
  });

  it('SIGEV_SIGNAL: sigev_signo is a valid signal (vfs_aio.c refuses !_SIG_VALID, and 0 is not), SIGURG, discarded by default', () => {
    const { bytes } = submitted(Number(FREEBSD_CONSTANTS.SIGEV_SIGNAL));
    expect([bytes.readInt32LE(80), bytes.readInt32LE(84)]).toEqual([1, SIGURG]);
    expect(SIGURG).toBe(16); // sys/sys/signal.h
    expect(zeroExcept(bytes, [80, 88])).toBe(true);
  });

  it('SIGEV_KEVENT: sigev_notify_kqueue, which is sigev_signo itself (sys/sys/signal.h), is a real kqueue descriptor; flags 0', () => {
    const { bytes, kqueue } = submitted(Number(FREEBSD_CONSTANTS.SIGEV_KEVENT));
    expect([bytes.readInt32LE(80), bytes.readInt32LE(84)]).toEqual([3, 7]);
    expect(kqueue).toBe(7); // closed by the adapter once the request has finished
    expect(bytes.readUInt16LE(96)).toBe(0); // _sigev_un._kevent_flags: aio_aqueue accepts only EV_CLEAR|EV_DISPATCH|EV_ONESHOT
    expect(zeroExcept(bytes, [80, 88])).toBe(true);
  });

  it('SIGEV_THREAD_ID (4): a valid signal and this thread in _sigev_un._threadid', () => {
    const { bytes } = submitted(SIGEV_THREAD_ID);
    expect([bytes.readInt32LE(80), bytes.readInt32LE(84), bytes.readInt32LE(96)]).toEqual([4, SIGURG, 100123]);
    expect(zeroExcept(bytes, [80, 88], [96, 100])).toBe(true);
  });

  it.each([['SIGEV_THREAD', Number(FREEBSD_CONSTANTS.SIGEV_THREAD)], ['99', 99], ['-1', -1]])(
    '%s is passed as it is, for the kernel to answer (libc\'s aio_mlock is the bare system call; librt wraps SIGEV_THREAD only for read, write, fsync)',
    (_name, notify) => {
      const { bytes, kqueue } = submitted(notify);
      expect([bytes.readInt32LE(80), bytes.readInt32LE(84)]).toEqual([notify, 0]);
      expect(zeroExcept(bytes, [80, 84])).toBe(true);
      expect(kqueue).toBeNull();
    },
  );

  it('SIGEV_KEVENT without a kqueue descriptor is the case\'s error, not a submission with descriptor 0', () => {
    expect(() => sigeventFor(3, { kqueue: () => null, threadId: () => 1 })).toThrow(/kqueue\(\) failed/);
  });
});

describe('who may lock beyond RLIMIT_MEMLOCK (FreeBSD kern_mlock, xnu add_wire_counts: nobody, root included)', () => {
  const creds = (euid: number, canLockMemory: boolean): Credentials => ({ uid: euid, euid, gid: 0, capEff: null, canLockMemory, memlock: { soft: '65536', hard: '65536' } });
  const stub = (euid: number, canLockMemory: boolean, privilegedIsRoot?: string): Runner =>
    ({ pageSize: 4096, credentials: () => creds(euid, canLockMemory), ...(privilegedIsRoot !== undefined ? { privilegedIsRoot } : {}) }) as unknown as Runner;

  it.each([['FreeBSD', FREEBSD_LOCK_PRIVILEGE], ['macOS', DARWIN_LOCK_PRIVILEGE]])('%s: root is not exempt, and the reason names the kernel function', (_os, p) => {
    expect(p.canLockMemory()).toBe(false);
    expect(p.privilegedIsRoot).toMatch(/exempts nobody from RLIMIT_MEMLOCK: (kern_mlock in sys\/vm\/vm_mmap\.c|add_wire_counts in osfmk\/vm\/vm_map\.c)/);
  });

  it('the privileged context is root there, recorded with canLockMemory false; elsewhere it still needs the exemption', () => {
    const root = establishContext(stub(0, false, FREEBSD_LOCK_PRIVILEGE.privilegedIsRoot), 'privileged');
    expect(root.record).toMatchObject({ established: true, credentials: { euid: 0, canLockMemory: false } });
    const user = establishContext(stub(1001, false, FREEBSD_LOCK_PRIVILEGE.privilegedIsRoot), 'privileged');
    expect(user.problem).toBe(`privileged context needs root (${FREEBSD_LOCK_PRIVILEGE.privilegedIsRoot}); this process has euid 1001`);
    expect(establishContext(stub(0, false), 'privileged').record.established).toBe(false); // Linux without CAP_IPC_LOCK
    expect(establishContext(stub(0, true), 'privileged').record.established).toBe(true);
  });
});

describe('FreeBSD lock state from kern.proc.vmmap (sys/sys/user.h)', () => {
  it('struct kinfo_vmentry has KINFO_VMENTRY_SIZE (1160 on amd64) and kve_flags at 44', () => {
    expect(koffi.sizeof(FREEBSD_KINFO_VMENTRY)).toBe(1160);
    expect(koffi.offsetof(FREEBSD_KINFO_VMENTRY, 'kve_start')).toBe(8);
    expect(koffi.offsetof(FREEBSD_KINFO_VMENTRY, 'kve_end')).toBe(16);
    expect(koffi.offsetof(FREEBSD_KINFO_VMENTRY, 'kve_flags')).toBe(44);
    expect(koffi.offsetof(FREEBSD_KINFO_VMENTRY, 'kve_protection')).toBe(56);
    expect(koffi.offsetof(FREEBSD_KINFO_VMENTRY, 'kve_path')).toBe(136);
  });

  it('walks packed records of varying kve_structsize and reads USER_WIRED per map entry', () => {
    // Three records as the kernel packs them (path cut to 8 bytes, so each is 144 bytes long).
    const rec = (start: bigint, end: bigint, flags: number): Buffer => {
      const b = Buffer.alloc(144);
      b.writeInt32LE(144, 0);
      b.writeBigUInt64LE(start, 8);
      b.writeBigUInt64LE(end, 16);
      b.writeInt32LE(flags, 44);
      b.writeInt32LE(3, 56);
      return b;
    };
    const buf = Buffer.concat([rec(0x10000n, 0x11000n, 0), rec(0x11000n, 0x12000n, KVME_FLAG_USER_WIRED | 1), rec(0x13000n, 0x14000n, 0)]);
    const entries = parseVmmap(buf, buf.length);
    expect(entries).toHaveLength(3);
    expect(entries[1]).toEqual({ start: 0x11000n, end: 0x12000n, flags: 0x41, protection: 3 });
    expect(pageLocksFromVmmap(entries, 0x10000n, 4, 0x1000n).join('')).toBe('UL-U');
  });
});

describe('macOS tables (xnu bsd/sys/errno.h, mman.h, signal.h, resource.h, proc_info.h)', () => {
  it('errno: EAGAIN 35, ENOTSUP 45 apart from EOPNOTSUPP 102, ECANCELED 89', () => {
    expect(DARWIN_ERRNO).toMatchObject({ EAGAIN: 35, ENOMEM: 12, EINVAL: 22, ENOTSUP: 45, EOPNOTSUPP: 102, ECANCELED: 89, EPERM: 1 });
    expect(first(DARWIN_ERRNO, 35)).toBe('EAGAIN');
    expect(first(DARWIN_ERRNO, 102)).toBe('EOPNOTSUPP');
  });

  it('constants: SIGEV_THREAD is 3 and there is no SIGEV_KEVENT, no MCL_ONFAULT', () => {
    expect(DARWIN_CONSTANTS).toMatchObject({ MCL_CURRENT: 1n, MCL_FUTURE: 2n, SIGEV_NONE: 0n, SIGEV_SIGNAL: 1n, SIGEV_THREAD: 3n });
    expect(DARWIN_CONSTANTS.SIGEV_KEVENT).toBeUndefined();
    expect(DARWIN_CONSTANTS.MCL_ONFAULT).toBeUndefined();
    expect(DARWIN.library).toBe('libSystem.B.dylib');
    expect(DARWIN.mman.MAP_ANON).toBe(0x1000);
  });

  it('struct proc_regioninfo: 96 bytes, user wired count at 28, address at 80, size at 88', () => {
    expect(koffi.sizeof(DARWIN_PROC_REGIONINFO)).toBe(96);
    expect(koffi.offsetof(DARWIN_PROC_REGIONINFO, 'pri_user_wired_count')).toBe(28);
    expect(koffi.offsetof(DARWIN_PROC_REGIONINFO, 'pri_address')).toBe(80);
    expect(koffi.offsetof(DARWIN_PROC_REGIONINFO, 'pri_size')).toBe(88);
    const b = Buffer.alloc(96);
    b.writeUInt32LE(3, 0);
    b.writeUInt32LE(1, 28);
    b.writeBigUInt64LE(0x4000n, 80);
    b.writeBigUInt64LE(0x4000n, 88);
    expect(decodeRegion(b)).toEqual({ address: 0x4000n, size: 0x4000n, protection: 3, userWired: 1, userTag: 0 });
  });

  it('pages of a region with a user wiring are locked; addresses before the next region are unmapped', () => {
    const regions: Region[] = [
      { address: 0x4000n, size: 0x4000n, protection: 3, userWired: 0, userTag: 0 },
      { address: 0x8000n, size: 0x4000n, protection: 3, userWired: 2, userTag: 0 },
      { address: 0x10000n, size: 0x4000n, protection: 3, userWired: 0, userTag: 0 },
    ];
    const at = (a: bigint): Region | null => regions.find((r) => r.address + r.size > a) ?? null;
    expect(pageLocksFromRegions(at, 0x4000n, 4, 0x4000n).join('')).toBe('UL-U');
    expect(walkRegions(at)).toEqual(regions);
  });

  it('holes come from the regions: xnu\'s mincore reads a hole as "not resident" without an error (kern_mman.c)', () => {
    // guard, two mapped pages, a hole of one page, one mapped page; 16 KiB pages
    const regions: Region[] = [
      { address: 0x10000n, size: 0x8000n, protection: 3, userWired: 0, userTag: 0 },
      { address: 0x1c000n, size: 0x4000n, protection: 3, userWired: 0, userTag: 0 },
    ];
    const at = (a: bigint): Region | null => regions.find((r) => r.address + r.size > a) ?? null;
    expect([0x10000n, 0x14000n, 0x18000n, 0x1c000n, 0x20000n].map((a) => mappedInRegions(at, a))).toEqual([true, true, false, true, false]);
    // the shared core as it behaves on xnu: mincore never fails, so every page is "mapped" and reads N or R
    const xnuMincore = { isMapped: (): boolean => true, residency: (pages: number): PageResidency[] => Array.from({ length: pages }, () => 'N') };
    const core = {
      pageSize: 0x4000,
      memory: { reserve: () => null, protect: () => true, unmap: () => true, touch: () => {}, isMapped: xnuMincore.isMapped },
      probes: {
        residency: { available: true, method: 'mincore, calibrated' },
        pageResidency: (_addr: bigint, pages: number) => xnuMincore.residency(pages),
        pageLocks: (_addr: bigint, pages: number): PageLock[] => Array.from({ length: pages }, () => 'U'),
      },
    } as unknown as Runner;
    expect(core.memory.isMapped(0x18000n)).toBe(true); // why the fix is needed: "a hole stays a hole" could not fail
    const r = withRegionHoles(core, at);
    expect(r.memory.isMapped(0x18000n)).toBe(false);
    expect(r.memory.isMapped(0x14000n)).toBe(true);
    expect(r.probes.pageResidency(0x10000n, 4)?.join('')).toBe('NN-N');
    expect(r.probes.residency).toEqual({ available: true, method: `mincore, calibrated; ${DARWIN_HOLES_METHOD}` });
    expect(r.probes.pageLocks(0x10000n, 2)).toEqual(['U', 'U']); // the rest of the runner is the core's
  });

  it('the walk over all regions stops at the made-up region xnu reports past the end, which would repeat forever', () => {
    const real: Region = { address: 0x4000n, size: 0x4000n, protection: 3, userWired: 0, userTag: 0 };
    // past the last entry xnu answers with a region at the asked address itself, tagged -1, as often as asked
    const at = (a: bigint): Region => (a < 0x8000n ? real : { address: a, size: 0x1000n, protection: 3, userWired: 0, userTag: FAKE_REGION_TAG });
    expect(walkRegions(at)).toEqual([real]);
    expect(pageLocksFromRegions(at, 0x8000n, 1, 0x4000n)).toEqual(['-']);
  });
});

describe('illumos tables (illumos-gate usr/src/uts/common/sys/errno.h, mman.h, siginfo.h, procfs.h)', () => {
  it('errno: EAGAIN 11, ENOTSUP 48, EOPNOTSUPP 122, ECANCELED 47, EDEADLK 45, EINPROGRESS 150', () => {
    expect(ILLUMOS_ERRNO).toMatchObject({ EAGAIN: 11, ENOMEM: 12, EINVAL: 22, ENOTSUP: 48, EOPNOTSUPP: 122, ECANCELED: 47, EDEADLK: 45, EINPROGRESS: 150 });
    expect(first(ILLUMOS_ERRNO, 11)).toBe('EAGAIN');
  });

  it('constants: SIGEV_NONE is 1 (not 0), MAP_ANON 0x100; no RLIMIT_MEMLOCK', () => {
    expect(ILLUMOS_CONSTANTS).toMatchObject({ MCL_CURRENT: 1n, MCL_FUTURE: 2n, SIGEV_NONE: 1n, SIGEV_SIGNAL: 2n, SIGEV_THREAD: 3n });
    expect(ILLUMOS.mman).toMatchObject({ MAP_PRIVATE: 2, MAP_ANON: 0x100 });
    expect(ILLUMOS.rlimit).toBeNull();
    expect(ILLUMOS.library).toBe('libc.so.1');
  });

  it('prxmap_t (LP64): 216 bytes, pr_locked at 136', () => {
    expect(koffi.sizeof(ILLUMOS_PRXMAP)).toBe(216);
    expect(koffi.offsetof(ILLUMOS_PRXMAP, 'pr_offset')).toBe(80);
    expect(koffi.offsetof(ILLUMOS_PRXMAP, 'pr_mflags')).toBe(88);
    expect(koffi.offsetof(ILLUMOS_PRXMAP, 'pr_dev')).toBe(104);
    expect(koffi.offsetof(ILLUMOS_PRXMAP, 'pr_locked')).toBe(136);
  });

  it('a wholly locked or unlocked mapping reads page by page; a partly locked one cannot', () => {
    const entry = (vaddr: bigint, pages: bigint, locked: bigint): Buffer => {
      const b = Buffer.alloc(216);
      b.writeBigUInt64LE(vaddr, 0);
      b.writeBigUInt64LE(pages * 0x1000n, 8);
      b.writeInt32LE(0x06, 88);
      b.writeBigUInt64LE(locked, 136);
      return b;
    };
    const entries = parseXmap(Buffer.concat([entry(0x10000n, 1n, 0n), entry(0x11000n, 2n, 2n), entry(0x20000n, 2n, 1n)]));
    expect(entries[1]).toEqual({ vaddr: 0x11000n, size: 0x2000n, mflags: 6, locked: 2n });
    expect(pageLocksFromXmap(entries, 0x10000n, 4, 0x1000n)?.join('')).toBe('ULL-');
    expect(pageLocksFromXmap(entries, 0x20000n, 2, 0x1000n)).toBeNull();
  });
});

describe('illumos: test memory without MAP_NORESERVE, because /proc leaves untouched NORESERVE pages out of xmap', () => {
  // A model of usr/src/uts/common/fs/proc/prsubr.c pr_getprot() for one anonymous private segment: with
  // MAP_NORESERVE only materialized pages are in the xmap answer, otherwise every page is. mlock materializes.
  const PS = 0x1000n;
  function address_space(flags: number) {
    const pages = new Map<bigint, { prot: string; materialized: boolean; locked: boolean }>();
    const noreserve = (flags & ILLUMOS_MAP_NORESERVE) !== 0;
    const xmap = (): Buffer => {
      const entries = [...pages.entries()].filter(([, p]) => !noreserve || p.materialized).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      return Buffer.concat(
        entries.map(([vaddr, p]) => {
          const b = Buffer.alloc(216);
          b.writeBigUInt64LE(vaddr, 0);
          b.writeBigUInt64LE(PS, 8);
          b.writeInt32LE(p.prot === 'rw' ? 0x06 : 0, 88);
          b.writeBigUInt64LE(p.locked ? 1n : 0n, 136);
          return b;
        }),
      );
    };
    const memory: Runner['memory'] = {
      reserve: (n) => {
        for (let i = 0n; i < BigInt(n); i++) pages.set(0x40000n + i * PS, { prot: 'none', materialized: false, locked: false });
        return 0x40000n;
      },
      mapFixed: () => null,
      hasMapLocked: false,
      lastErrno: () => 0,
      protect: (addr, _n, prot) => ((pages.get(addr) ?? { prot }).prot = prot) === prot,
      unmap: () => (pages.clear(), true),
      touch: () => {},
      isMapped: (addr) => pages.has(addr),
    };
    const set = (addr: bigint, locked: boolean): void => {
      const p = pages.get(addr);
      if (p) Object.assign(p, { locked, materialized: true });
    };
    const tools = { memory, pageSize: Number(PS), lock: (addr: bigint) => (set(addr, true), { ret: 0, errno: null }), unlock: (addr: bigint) => set(addr, false), errnoName: String };
    return { tools, probe: { method: 'xmap', pageLocks: (addr: bigint, n: number) => pageLocksFromXmap(parseXmap(xmap()), addr, n, PS) } };
  }

  it('the reservations carry no MAP_NORESERVE, and with them the lock probe calibrates', () => {
    expect(reserveFlags(ILLUMOS.mman) & ILLUMOS_MAP_NORESERVE).toBe(0);
    expect(reserveFlags(ILLUMOS.mman)).toBe(0x102); // MAP_PRIVATE | MAP_ANON
    const { tools, probe } = address_space(reserveFlags(ILLUMOS.mman));
    expect(calibrateLocks(probe, tools)).toEqual({ available: true, method: 'xmap (calibrated)' });
  });

  it('with MAP_NORESERVE the untouched calibration page reads unmapped and the probe declares itself blind', () => {
    const { tools, probe } = address_space(reserveFlags(ILLUMOS.mman) | ILLUMOS_MAP_NORESERVE);
    expect(calibrateLocks(probe, tools)).toEqual({
      available: false,
      method: 'xmap: calibration failed: a test page read - before mlock, L after it and U after munlock (expected U, L, U)',
    });
  });
});

describe('every adapter', () => {
  const tables = { freebsd: FREEBSD_ERRNO, darwin: DARWIN_ERRNO, illumos: ILLUMOS_ERRNO };

  it.each(Object.entries(tables))('%s: every errno name a spec may use that the OS defines has exactly one number', (_os, table) => {
    for (const name of ERRNO_NAMES) if (name in table) expect(Number.isInteger(table[name])).toBe(true);
    // the errno names of the mlock family's documents are all there
    for (const name of ['EAGAIN', 'ENOMEM', 'EINVAL', 'EPERM', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'ECANCELED', 'EINPROGRESS']) {
      expect(table[name], name).toBeTypeOf('number');
    }
  });

  it('constants only name spec constants', () => {
    for (const c of [FREEBSD_CONSTANTS, DARWIN_CONSTANTS, ILLUMOS_CONSTANTS]) {
      for (const k of Object.keys(c)) expect(CONSTANT_NAMES).toContain(k);
    }
  });

  it('binds each allowlisted call with address-wide addresses and sizes and C int flags', () => {
    expect(prototypeOf('mlock')).toBe('int mlock(uintptr_t a0, size_t a1)');
    expect(prototypeOf('mlockall')).toBe('int mlockall(int a0)');
    expect(prototypeOf('munlockall')).toBe('int munlockall()');
    expect(prototypeOf('mprotect')).toBe('int mprotect(uintptr_t a0, size_t a1, int a2)');
    // a spec's 64-bit value becomes a C int as a cast would: 0xffffffff is -1
    expect(convertArgs('mlockall', [0xffff_ffffn], 64)).toEqual([-1]);
    expect(convertArgs('mlockall', [0xffff_ffffn], 32)).toEqual([-1]);
    expect(convertArgs('mlock', [(1n << 64n) - 1n, 4096n], 64)).toEqual([(1n << 64n) - 1n, 4096n]);
    // at 32 bits an address or size is a 32-bit unsigned value, as the ia32 ABI passes it
    expect(convertArgs('mlock', [0xffff_f000n, 8192n], 32)).toEqual([0xffff_f000n, 8192n]);
    expect(convertArgs('mlock', [(1n << 64n) - 1n, (1n << 32n) + 5n], 32)).toEqual([0xffff_ffffn, 5n]);
    for (const fn of CALLABLE_NAMES) expect(prototypeOf(fn)).toMatch(new RegExp(`^(int|uintptr_t) ${fn}\\(`));
    // mremap returns a pointer (MAP_FAILED on failure) and takes its new size as a size_t
    expect(prototypeOf('mremap')).toBe('uintptr_t mremap(uintptr_t a0, size_t a1, size_t a2, int a3)');
  });
});

describe('adapter selection', () => {
  it('maps process.platform to the adapters: linux, freebsd, darwin, and sunos for illumos', () => {
    expect(Object.keys(ADAPTERS).sort()).toEqual(['darwin', 'freebsd', 'linux', 'sunos']);
    expect(supportedPlatforms()).toEqual(['linux', 'freebsd', 'darwin', 'sunos']);
  });

  it('an OS without an adapter gets one clear sentence', () => {
    expect(() => createRunner('aix')).toThrow(UnsupportedOsError);
    expect(() => createRunner('aix')).toThrow(
      /^semconf has no runner for the operating system "aix"; supported: linux, freebsd, darwin, sunos \(add one in runners\/\)\.$/,
    );
  });

  it('importing the adapters loads no library (koffi.load is counted in a fresh process)', () => {
    const script = [
      "import koffi from 'koffi';",
      'const load = koffi.load; const loaded = [];',
      'koffi.load = (...a) => { loaded.push(a[0]); return load(...a); };',
      "await import('./dist/runners/index.js');",
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('creating another OS\'s runner loads that OS\'s C library, which this machine lacks', () => {
    expect(() => createRunner('freebsd')).toThrow(/libc\.so\.7/);
    expect(() => createRunner('sunos')).toThrow(/libc\.so\.1/);
    expect(() => createRunner('darwin')).toThrow(/libSystem\.B\.dylib/);
  });
});

describe('asynchronous requests (aio_mlock): polled until they leave EINPROGRESS', () => {
  const EINPROGRESS = 36;
  const driver = (statuses: number[], over: Partial<AioDriver> = {}): AioDriver & { log: string[] } => {
    const log: string[] = [];
    return {
      log,
      einprogress: EINPROGRESS,
      submit: () => (log.push('submit'), { ret: 0, errno: null }),
      status: () => (log.push('status'), { value: statuses.shift() ?? 0, errno: null }),
      result: () => (log.push('return'), { ret: 0, errno: null }),
      release: () => void log.push('release'),
      abandon: () => void log.push('abandon'),
      ...over,
    };
  };

  it('a request that completes: the call returns 0 and completes with aio_return', () => {
    const d = driver([EINPROGRESS, EINPROGRESS, 0]);
    expect(runAio(d, 2000, 0, () => {})).toEqual({ ret: 0, errno: null, completion: { ret: 0, errno: null } });
    expect(d.log).toEqual(['submit', 'status', 'status', 'status', 'return', 'release']);
  });

  it('a request that fails: aio_error\'s value is the completion errno, aio_return its value', () => {
    const d = driver([EINPROGRESS, 12], { result: () => ({ ret: -1, errno: null }) });
    expect(runAio(d, 2000, 0, () => {})).toEqual({ ret: 0, errno: null, completion: { ret: -1, errno: 12 } });
  });

  it('a refused submission has no completion, and its errno is the call\'s', () => {
    const d = driver([], { submit: () => ({ ret: -1, errno: 22 }) });
    expect(runAio(d, 2000, 0, () => {})).toEqual({ ret: -1, errno: 22 });
    expect(d.log).toEqual(['release']);
  });

  it('a request still in progress at the deadline is an error, and its control block is never freed', () => {
    const d = driver(Array.from({ length: 1000 }, () => EINPROGRESS));
    expect(() => runAio(d, 5, 1)).toThrow(AioTimeout);
    expect(d.log).toContain('abandon');
    expect(d.log).not.toContain('release');
  });
});

describe('probe calibration', () => {
  const memory: Runner['memory'] = {
    reserve: () => 0x10000n,
    mapFixed: () => null,
    hasMapLocked: false,
    lastErrno: () => 0,
    protect: () => true,
    unmap: () => true,
    touch: () => {},
    isMapped: () => true,
  };
  const tools = { memory, pageSize: 4096, lock: () => ({ ret: 0, errno: null }), unlock: () => {}, errnoName: (n: number) => `E${n}` };

  it('a lock probe that does not see the test page locked is unavailable, with what it saw', () => {
    const blind = calibrateLocks({ method: 'blind', pageLocks: () => ['U'] }, tools);
    expect(blind).toEqual({ available: false, method: 'blind: calibration failed: a test page read U before mlock, U after it and U after munlock (expected U, L, U)' });
  });

  it('a probe cannot calibrate where mlock itself fails, and says so', () => {
    const r = calibrateTotal({ method: 'total', lockedBytes: () => 0 }, { ...tools, lock: () => ({ ret: -1, errno: 1 }) });
    expect(r).toEqual({ available: false, method: 'total: could not calibrate: mlock of a test page failed with E1' });
  });
});

// The shared POSIX core, with this machine's numbers, against its real libc: the same code the FreeBSD, macOS and
// illumos adapters run, exercised with real system calls (lock state from smaps, the total from VmLck).
describe.runIf(process.platform === 'linux' && process.geteuid?.() === 0)('the POSIX core against this machine\'s libc', () => {
  const LINUX_AS_POSIX: PosixPlatform = {
    os: 'posixcheck',
    library: 'libc.so.6',
    libcId: 'glibc',
    constants: { MCL_CURRENT: 1n, NULL: 0n },
    errno: os.constants.errno,
    mman: { PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, MAP_PRIVATE: 0x02, MAP_ANON: 0x20, MAP_NORESERVE: 0x4000, MAP_SHARED: 0x01, MAP_FIXED: 0x10 },
    mincoreResident: 1,
    rlimit: { memlock: 8, infinity: (1n << 64n) - 1n },
  };
  const smapsLocks = (pageSize: number) => (addr: bigint, pages: number) => {
    const vmas = parseSmaps(readFileSync('/proc/self/smaps', 'utf8')) ?? [];
    return Array.from({ length: pages }, (_, i) => {
      const at = addr + BigInt(i * pageSize);
      const v = vmas.find((x) => x.start <= at && at < x.end);
      return v === undefined ? '-' : v.locked ? 'L' : 'U';
    });
  };
  const runner = createPosixRunner(LINUX_AS_POSIX, {
    libcVersion: () => 'glibc',
    canLockMemory: (_libc, euid) => euid === 0,
    lockProbe: (ctx) => ({ method: 'smaps "lo"', pageLocks: smapsLocks(ctx.pageSize) }),
    totalProbe: () => ({
      method: 'VmLck',
      lockedBytes: () => Number(/^VmLck:\s*(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024,
    }),
  });

  it('calibrates every probe it offers', () => {
    expect(runner.probes.lockState).toEqual({ available: true, method: 'smaps "lo" (calibrated)' });
    expect(runner.probes.lockedTotal).toEqual({ available: true, method: 'VmLck (calibrated)' });
    expect(runner.probes.residency.available).toBe(true);
    expect(runner.probes.forkChild.available).toBe(false);
  });

  it('places fenced memory, calls through the allowlist, reads errno only on failure, observes the effects', () => {
    const ps = BigInt(runner.pageSize);
    const base = runner.memory.reserve(4);
    expect(base).not.toBeNull();
    const b = base as bigint;
    try {
      expect(runner.memory.protect(b + ps, 2, 'rw')).toBe(true);
      expect(runner.call('mlock', [b + ps, ps])).toEqual({ ret: 0, errno: null });
      expect(runner.probes.pageLocks(b, 4)?.join('')).toBe('ULUU');
      expect(runner.probes.pageResidency(b, 4)?.join('')).toBe('NRNN');
      expect(runner.probes.lockedBytes()).toBeGreaterThanOrEqual(runner.pageSize);
      expect(runner.call('mlock', [0n, ps])).toEqual({ ret: -1, errno: os.constants.errno.ENOMEM });
      expect(runner.errnoName(os.constants.errno.ENOMEM)).toBe('ENOMEM');
      expect(runner.call('mlockall', [0xffff_ffffn])).toEqual({ ret: -1, errno: os.constants.errno.EINVAL });
      expect(runner.has('aio_mlock')).toBe(false);
      // a page unmapped in the middle of the range: read page by page, it shows as unmapped
      expect(runner.memory.unmap(b + 2n * ps, 1)).toBe(true);
      expect(runner.probes.pageResidency(b, 4)?.join('')).toBe('NR-N');
    } finally {
      runner.memory.unmap(b, 4);
    }
    expect(runner.memory.isMapped(b + ps)).toBe(false);
  });
});
