// Pure parts of the runners: smaps parsing, errno tables, adapter selection. (The live probes are exercised with
// real system calls in runner.test.ts.)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRunner, UnsupportedOsError } from '../runners/index.js';
import { parseSmaps } from '../runners/linux.js';
import { pageLocksIn, type Vma } from '../runners/linux-proc.js';
import { errnoNames } from '../runners/posix-common.js';

describe('Linux smaps parsing', () => {
  const smaps = [
    '7f0000000000-7f0000002000 rw-p 00000000 00:00 0 ',
    'Size:                  8 kB',
    'Locked:                0 kB',
    'VmFlags: rd wr mr mw me lo ac ',
    '7f0000002000-7f0000003000 ---p 00000000 00:00 0 ',
    'VmFlags: mr mw me ',
  ].join('\n');

  it('reads each VMA and whether VmFlags has "lo"', () => {
    expect(parseSmaps(smaps)).toEqual([
      { start: 0x7f0000000000n, end: 0x7f0000002000n, locked: true },
      { start: 0x7f0000002000n, end: 0x7f0000003000n, locked: false },
    ]);
  });

  it.runIf(existsSync('/proc/self/smaps'))('reads this process\'s own smaps as a line-by-line reading does (each header, and "lo" in its VmFlags)', () => {
    const text = readFileSync('/proc/self/smaps', 'utf8');
    // the reference: every line visited, a header opening a VMA, its VmFlags line closing it
    const reference: { start: bigint; end: bigint; locked: boolean }[] = [];
    for (const line of text.split('\n')) {
      const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
      if (header) reference.push({ start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), locked: false });
      else if (line.startsWith('VmFlags:')) {
        const last = reference[reference.length - 1];
        if (last) last.locked = line.slice(8).trim().split(/\s+/).includes('lo');
      }
    }
    expect(reference.length).toBeGreaterThan(10);
    expect(parseSmaps(text)).toEqual(reference);
    expect(parseSmaps(`${smaps}\n`)).toEqual(parseSmaps(smaps)); // a final newline, as the kernel ends the file
  });

  it('reads pages against VMAs in address order as a search of every VMA for every page does (holes, edges, ranges past the last VMA)', () => {
    const ps = 4096n;
    // VMAs in address order, none overlapping, as smaps lists them: gaps and lengths in pages, each locked or not
    const layout = fc.array(fc.record({ gap: fc.nat(3), pages: fc.integer({ min: 1, max: 4 }), locked: fc.boolean() }), { maxLength: 12 });
    fc.assert(
      fc.property(layout, fc.nat(60), fc.nat(40), (shape, first, pages) => {
        const vmas: Vma[] = [];
        let at = 0x7f0000000000n;
        for (const { gap, pages: n, locked } of shape) {
          const start = at + BigInt(gap) * ps;
          vmas.push({ start, end: start + BigInt(n) * ps, locked });
          at = start + BigInt(n) * ps;
        }
        const addr = 0x7f0000000000n + BigInt(first) * ps;
        const reference = Array.from({ length: pages }, (_, i) => {
          const page = addr + BigInt(i) * ps;
          const vma = vmas.find((v) => v.start <= page && page < v.end);
          return vma === undefined ? '-' : vma.locked ? 'L' : 'U';
        });
        expect(pageLocksIn(vmas, addr, pages, ps)).toEqual(reference);
      }),
    );
  });

  it('returns null when the kernel gives no VmFlags, so the probe declares itself blind', () => {
    expect(parseSmaps('7f0000000000-7f0000002000 rw-p 00000000 00:00 0 \nSize: 8 kB\n')).toBeNull();
  });
});

describe('errno names', () => {
  it('prefers the POSIX spelling where two names share a number', () => {
    const names = errnoNames({ EWOULDBLOCK: 11, EAGAIN: 11, ENOMEM: 12, EOPNOTSUPP: 95, ENOTSUP: 95 });
    expect(names.get(11)?.[0]).toBe('EAGAIN');
    expect(names.get(95)?.[0]).toBe('ENOTSUP');
    expect(names.get(12)).toEqual(['ENOMEM']);
  });

  it('on this machine, maps the numbers of Node\'s own table back to names', () => {
    const names = errnoNames(os.constants.errno);
    expect(names.get(os.constants.errno.ENOMEM)?.[0]).toBe('ENOMEM');
    expect(names.get(os.constants.errno.EINVAL)?.[0]).toBe('EINVAL');
  });
});

describe('adapter selection', () => {
  it('an OS without an adapter gets one clear sentence', () => {
    expect(() => createRunner('aix')).toThrow(UnsupportedOsError);
    expect(() => createRunner('aix')).toThrow(/no runner for the operating system "aix"; supported: linux, freebsd, darwin, sunos \(add one in runners\/\)\./);
  });
});

describe.runIf(process.platform === 'linux')("reading this process's /proc files (runners/own-proc.ts)", () => {
  it('reads a file whole from its start, again and again, also one larger than its buffer (it grows)', async () => {
    const { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readFromStart } = await import('../runners/own-proc.js');
    const dir = mkdtempSync(join(tmpdir(), 'semconf-proc-read-'));
    try {
      const file = join(dir, 'big');
      const text = 'é'.repeat(300_000) + 'end'; // 600 KB: past the first buffer, and a character across a boundary
      writeFileSync(file, text);
      const fd = openSync(file, 'r');
      try {
        expect(readFromStart(fd)).toBe(text);
        expect(readFromStart(fd)).toBe(text); // again, from the start, with the grown buffer
        readSync(fd, Buffer.alloc(10), 0, 10, null); // a read that moved the file position: not where it reads from
        expect(readFromStart(fd)).toBe(text);
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads what opening the file reads, through one descriptor kept for it, and the file as it is now', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { readOwnProc } = await import('../runners/own-proc.js');
    const descriptors = (): number => readdirSync('/proc/self/fd').length;
    const before0 = descriptors();
    expect(readOwnProc('limits')).toBe(readFileSync('/proc/self/limits', 'utf8'));
    expect(descriptors()).toBe(before0 + 1);
    expect(readOwnProc('limits')).toBe(readFileSync('/proc/self/limits', 'utf8'));
    expect(descriptors()).toBe(before0 + 1);
    const vmSize = (status: string): number => Number(/^VmSize:\s+(\d+) kB$/m.exec(status)?.[1]);
    const before = vmSize(readOwnProc('status'));
    const grown = new Uint8Array(new ArrayBuffer(64 << 20)).fill(1); // a new 64 MiB mapping, touched
    const after = vmSize(readOwnProc('status'));
    expect(grown[grown.length - 1]).toBe(1);
    expect(after - before).toBeGreaterThanOrEqual(64 * 1024);
    expect(Math.abs(vmSize(readFileSync('/proc/self/status', 'utf8')) - after)).toBeLessThan(16 * 1024);
    expect(readOwnProc('smaps')).toMatch(/VmFlags:[^\n]*\n$/);
  });
});

describe.runIf(process.platform === 'linux' && process.geteuid?.() === 0)('the lock probe where no temporary file can be made (real system calls)', () => {
  it('calibrates the anonymous backings and reads smaps for the file ones, instead of failing to start', () => {
    // TMPDIR=/proc: nothing can be created there, not even by root (access(2) lets root pass, the open fails). The
    // runner used to die making its calibration directory there; now the file backings go uncalibrated, to smaps.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      const { createRunner } = await import(${JSON.stringify(new URL('../dist/runners/index.js', import.meta.url).pathname)});
      process.stdout.write(createRunner().probes.lockState.method);`], { encoding: 'utf8', env: { ...process.env, TMPDIR: '/proc' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^msync.* on anon-private, anon-shared memory, .*smaps VmFlags "lo" .* on file-private, file-shared memory/);
  });
});
