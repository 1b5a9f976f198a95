// The merge spool (src/spool.ts): bytes appended once, read back by range in any order, never visible as a file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../src/results.js';
import { Spool, SpoolAppender } from '../src/spool.js';
import { scratch } from './report-fixtures.js';

describe('Spool', () => {
  it('reads back each range, in any order, byte for byte; the directory shows no file while it is open', () => {
    const dir = scratch();
    const spool = Spool.beside(join(dir, 'm.json'));
    try {
      const texts = ['{"a":1}', 'é — ✓ multi-byte', '', 'x'.repeat(100_000)];
      const ranges = texts.map((t) => spool.append(t));
      expect(spool.failure).toBeNull();
      expect(readdirSync(dir)).toEqual([]);
      for (const i of [3, 0, 2, 1]) expect(Buffer.from(spool.read(ranges[i] ?? { offset: -1, length: 1 })).toString('utf8')).toBe(texts[i]);
    } finally {
      spool.close();
    }
  });

  it('several spools beside one output (parts), each filled through its descriptor by an appender, read back apart', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const spools = [Spool.beside(out, '0'), Spool.beside(out, '1')];
    try {
      const appenders = spools.map((s) => new SpoolAppender(s.descriptor ?? -1));
      const first = appenders.map((a, i) => a.append(`spool ${i}: ${'x'.repeat(10 * (i + 1))}`));
      const second = appenders.map((a, i) => a.append(Buffer.from(`then ${i} é`, 'utf8')));
      expect(readdirSync(dir)).toEqual([]);
      for (const i of [1, 0]) {
        const s = spools[i] as Spool;
        expect(Buffer.from(s.read(second[i] ?? { offset: -1, length: 1 })).toString('utf8')).toBe(`then ${i} é`);
        expect(Buffer.from(s.read(first[i] ?? { offset: -1, length: 1 })).toString('utf8')).toBe(`spool ${i}: ${'x'.repeat(10 * (i + 1))}`);
      }
    } finally {
      for (const s of spools) s.close();
    }
  });

  it('an append that failed in another thread is the spool\'s failure, worded as its own; the descriptor stays open until close', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const spool = Spool.beside(out, '0');
    const fd = spool.descriptor;
    try {
      expect(fd).not.toBeNull();
      spool.appendFailed('ENOSPC: no space left on device, write');
      spool.appendFailed('a later one');
      expect(spool.failure?.message).toBe(`could not write ${out} (ENOSPC: no space left on device, write); nothing was written`);
      expect(spool.descriptor).toBeNull();
      // still open: a worker still holding the number must not write into whatever file would reuse it
      expect(new SpoolAppender(fd ?? -1).append('still ours').length).toBe(10);
    } finally {
      spool.close();
    }
  });

  it('in a directory that is not there: nothing is spooled, and its failure names the output', () => {
    const out = join(scratch(), 'missing', 'm.json');
    const spool = Spool.beside(out);
    expect(spool.append('{}')).toBeNull();
    expect(spool.descriptor).toBeNull();
    expect(spool.failure).toBeInstanceOf(OutputError);
    expect(spool.failure?.message).toMatch(new RegExp(`^could not write ${out} \\(ENOENT.*\\); nothing was written$`));
    expect(() => spool.read({ offset: 0, length: 2 })).toThrow(spool.failure ?? 'a failure');
  });
});
