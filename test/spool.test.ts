// The merge spool (src/spool.ts): bytes appended once, read back by range in any order, never visible as a file.
import { readdirSync } from 'node:fs';
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

  it('in a directory that is not there: nothing is spooled, and its failure names the output', () => {
    const out = join(scratch(), 'missing', 'm.json');
    const spool = Spool.beside(out);
    expect(spool.append('{}')).toBeNull();
    expect(spool.failure).toBeInstanceOf(OutputError);
    expect(spool.failure?.message).toMatch(new RegExp(`^could not write ${out} \\(ENOENT.*\\); nothing was written$`));
    expect(() => spool.read({ offset: 0, length: 2 })).toThrow(spool.failure ?? 'a failure');
  });
});
