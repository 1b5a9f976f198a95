// The merge spool (src/spool.ts): ranges of another open file copied in once, each found again by its range in any
// order, never visible as a file.
import { closeSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputError } from '../src/results.js';
import type { FileRange } from '../src/copy-range.js';
import { Spool } from '../src/spool.js';
import { sourceOf } from './file-ranges.js';
import { scratch } from './report-fixtures.js';

/** The bytes of `range`, as UTF-8. */
function textAt(range: FileRange): string {
  const b = Buffer.alloc(range.length);
  expect(readSync(range.fd, b, 0, range.length, range.offset)).toBe(range.length);
  return b.toString('utf8');
}


describe('Spool', () => {
  it('holds each range copied in, found again in any order, byte for byte; the directory shows no file while it is open', () => {
    const dir = scratch();
    const texts = ['{"a":1}', 'é — ✓ multi-byte', '', 'x'.repeat(100_000)];
    const { fd, ranges } = sourceOf(join(dir, 'source'), texts);
    const spool = Spool.beside(join(dir, 'm.json'));
    try {
      const spooled = [3, 1, 0, 2].map((i) => ({ i, at: spool.appendRange(ranges[i] as FileRange) }));
      expect(spool.failure).toBeNull();
      expect(readdirSync(dir)).toEqual(['source']);
      for (const { i, at } of spooled) expect(textAt(spool.fileRange(at ?? { offset: -1, length: 1 }))).toBe(texts[i]);
    } finally {
      spool.close();
      closeSync(fd);
    }
    expect(() => spool.fileRange({ offset: 0, length: 0 })).toThrow('the spool is closed');
  });

  it('appends each range at its end, after the ones before, wherever in its file the range is', () => {
    const dir = scratch();
    const { fd, ranges } = sourceOf(join(dir, 'source'), ['ab', '{"x":"é"}', 'cd', '[1,2]']);
    const spool = Spool.beside(join(dir, 'm.json'), 'prefer');
    try {
      const at = [spool.appendRange(ranges[3] as FileRange), spool.appendRange(ranges[1] as FileRange)];
      expect(at).toEqual([
        { offset: 0, length: 5 },
        { offset: 5, length: 10 },
      ]);
      expect(textAt(spool.fileRange(at[1] ?? { offset: -1, length: 1 }))).toBe('{"x":"é"}');
      expect(textAt(spool.fileRange(at[0] ?? { offset: -1, length: 1 }))).toBe('[1,2]');
    } finally {
      spool.close();
      closeSync(fd);
    }
  });

  it('a range past the end of its file is the spool\'s failure, worded as its own; nothing more is appended', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const { fd, ranges } = sourceOf(join(dir, 'source'), ['abc']);
    const spool = Spool.beside(out);
    try {
      expect(spool.appendRange({ fd, offset: 1, length: 5 })).toBeNull();
      expect(spool.failure?.message).toBe(`could not write ${out} (the file ended 3 byte(s) before the range copied from it); nothing was written`);
      expect(spool.appendRange(ranges[0] as FileRange)).toBeNull();
    } finally {
      spool.close();
      closeSync(fd);
    }
  });

  it('in a directory that is not there: nothing is spooled, and its failure names the output', () => {
    const out = join(scratch(), 'missing', 'm.json');
    const spool = Spool.beside(out);
    const { fd, ranges } = sourceOf(join(scratch(), 'source'), ['{}']);
    expect(spool.appendRange(ranges[0] as FileRange)).toBeNull();
    closeSync(fd);
    expect(spool.failure).toBeInstanceOf(OutputError);
    expect(spool.failure?.message).toMatch(new RegExp(`^could not write ${out} \\(ENOENT.*\\); nothing was written$`));
    expect(() => spool.fileRange({ offset: 0, length: 2 })).toThrow(spool.failure ?? 'a failure');
  });
});
