// FreeBSD lio_listio(LIO_MLOCK): the control block's layout and opcode (pure: encoded with koffi, never submitted;
// this machine is Linux), and its absence on Linux (glibc's <aio.h> has no LIO_MLOCK), through a real worker.
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { aiocbFor, FREEBSD_AIOCB, FREEBSD_CONSTANTS, LIO_MLOCK, sigeventFor } from '../runners/freebsd.js';
import { runItems } from '../src/worker/pool.js';
import { c, itemsFor } from './helpers.js';

describe('lio_listio on FreeBSD (layout only)', () => {
  it('the list element is aio_mlock\'s aiocb with aio_lio_opcode LIO_MLOCK (sys/sys/aio.h: 0x4) at offset 48', () => {
    expect(LIO_MLOCK).toBe(4);
    expect(koffi.offsetof(FREEBSD_AIOCB, 'aio_lio_opcode')).toBe(48);
    const cb = koffi.alloc(FREEBSD_AIOCB, 1);
    try {
      koffi.encode(cb, FREEBSD_AIOCB, aiocbFor(0x7f00_1234_5000n, 4096n, sigeventFor(0, { kqueue: () => null, threadId: () => 0 }).value, LIO_MLOCK));
      const bytes = Buffer.from(new Uint8Array(koffi.view(cb, 160)));
      expect(bytes.readBigUInt64LE(16)).toBe(0x7f00_1234_5000n);
      expect(bytes.readBigUInt64LE(24)).toBe(4096n);
      expect(bytes.readInt32LE(48)).toBe(LIO_MLOCK);
    } finally {
      koffi.free(cb);
    }
  });

  it('has the LIO modes of sys/sys/aio.h', () => {
    expect(FREEBSD_CONSTANTS).toMatchObject({ LIO_NOWAIT: 0n, LIO_WAIT: 1n });
  });
});

describe.runIf(process.platform === 'linux')('lio_listio on Linux', () => {
  it('is unsupported: glibc binds no lio_listio with LIO_MLOCK, and LIO_WAIT is not a constant there', async () => {
    const result = await runItems(itemsFor('lio_listio', [c('lio_listio.t-linux', 'lio_listio(LIO_WAIT, buf, 1p)')]), { jobs: 1 });
    expect(result.reports[0]?.outcome).toMatchObject({ status: 'unsupported', reason: "lio_listio is not available in this target's C library" });
  });
});
