// The merge spool (src/spool.ts): bytes appended once (or copied from another open file), read back by range in any
// order, never visible as a file.
import { closeSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../src/results.js';
import { Spool } from '../src/spool.js';
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

  it('appends ranges of another open file (a matrix being written), at its end, after what was appended before', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const source = join(dir, 'source');
    writeFileSync(source, 'ab{"x":"é"}cd[1,2]');
    const fd = openSync(source, 'r');
    const spool = Spool.beside(out, 'prefer');
    try {
      const before = spool.append('first');
      const ranges = [spool.appendRange({ fd, offset: 14, length: 5 }), spool.appendRange({ fd, offset: 2, length: 10 })];
      expect(spool.failure).toBeNull();
      expect(before).toEqual({ offset: 0, length: 5 });
      expect(ranges).toEqual([
        { offset: 5, length: 5 },
        { offset: 10, length: 10 },
      ]);
      expect(Buffer.from(spool.read(ranges[1] ?? { offset: -1, length: 1 })).toString('utf8')).toBe('{"x":"é"}');
      expect(Buffer.from(spool.read(ranges[0] ?? { offset: -1, length: 1 })).toString('utf8')).toBe('[1,2]');
      expect(Buffer.from(spool.read(before ?? { offset: -1, length: 1 })).toString('utf8')).toBe('first');
      expect(readdirSync(dir).sort()).toEqual(['source']);
    } finally {
      spool.close();
      closeSync(fd);
    }
  });

  it('a range past the end of its file is the spool\'s failure, worded as its own; nothing more is appended', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const source = join(dir, 'source');
    writeFileSync(source, 'abc');
    const fd = openSync(source, 'r');
    const spool = Spool.beside(out);
    try {
      expect(spool.appendRange({ fd, offset: 1, length: 5 })).toBeNull();
      expect(spool.failure?.message).toBe(`could not write ${out} (the file ended 3 byte(s) before the range copied from it); nothing was written`);
      expect(spool.append('later')).toBeNull();
    } finally {
      spool.close();
      closeSync(fd);
    }
  });

  it('in a directory that is not there: nothing is spooled, and its failure names the output', () => {
    const out = join(scratch(), 'missing', 'm.json');
    const spool = Spool.beside(out);
    expect(spool.append('{}')).toBeNull();
    expect(spool.failure).toBeInstanceOf(OutputError);
    expect(spool.failure?.message).toMatch(new RegExp(`^could not write ${out} \\(ENOENT.*\\); nothing was written$`));
    expect(() => spool.read({ offset: 0, length: 2 })).toThrow(spool.failure ?? 'a failure');
  });
});
