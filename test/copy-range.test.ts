// Ranges of a spool copied into the file being written (src/copy-range.ts), as merge writes a matrix: at the output's
// position, between bytes written around them, by the kernel or, where it refuses, through a buffer.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRange } from '../src/copy-range.js';
import { writeFileAtomicChunks } from '../src/atomic-file.js';
import { Spool } from '../src/spool.js';
import { scratch } from './report-fixtures.js';

/** A spool holding `texts`, and their ranges in it. */
function spoolOf(dir: string, texts: readonly string[]): { spool: Spool; ranges: { offset: number; length: number }[] } {
  const spool = Spool.beside(join(dir, 'm.json'));
  const ranges = texts.map((t) => spool.append(t) ?? { offset: -1, length: 0 });
  return { spool, ranges };
}

describe('copyRange', () => {
  it('writes each range at the position of the output, in any order, between bytes written there', () => {
    const dir = scratch();
    const texts = ['{"a":1}', 'é — ✓', 'x'.repeat(3_000_000)];
    const { spool, ranges } = spoolOf(dir, texts);
    const out = join(dir, 'out.txt');
    const fd = openSync(out, 'w');
    try {
      for (const i of [2, 0, 1]) {
        writeSync(fd, `<${i}>`);
        copyRange(spool.fileRange(ranges[i] ?? { offset: -1, length: 0 }), fd);
      }
    } finally {
      closeSync(fd);
      spool.close();
    }
    expect(readFileSync(out, 'utf8')).toBe(`<2>${texts[2]}<0>${texts[0]}<1>${texts[1]}`);
  });

  it('copies through a buffer where the kernel refuses (an output opened to append)', () => {
    const dir = scratch();
    const { spool, ranges } = spoolOf(dir, ['first', 'second é']);
    const out = join(dir, 'out.txt');
    const fd = openSync(out, 'a');
    try {
      for (const i of [1, 0]) copyRange(spool.fileRange(ranges[i] ?? { offset: -1, length: 0 }), fd);
    } finally {
      closeSync(fd);
      spool.close();
    }
    expect(readFileSync(out, 'utf8')).toBe('second éfirst');
  });

  it('throws for a range past the end of its file, and a closed spool has no ranges', () => {
    const dir = scratch();
    const { spool, ranges } = spoolOf(dir, ['abc']);
    const fd = openSync(join(dir, 'out.txt'), 'w');
    try {
      expect(() => copyRange(spool.fileRange({ offset: 1, length: 5 }), fd)).toThrow('the file ended 3 byte(s) before the range copied from it');
    } finally {
      closeSync(fd);
      spool.close();
    }
    expect(() => spool.fileRange(ranges[0] ?? { offset: 0, length: 0 })).toThrow('the spool is closed');
  });

  it('writeFileAtomicChunks takes ranges among its chunks', () => {
    const dir = scratch();
    const { spool, ranges } = spoolOf(dir, ['[1,2]', '{"b":"c d"}']);
    const out = join(dir, 'm.json');
    try {
      writeFileAtomicChunks(out, ['[', spool.fileRange(ranges[1] ?? { offset: -1, length: 0 }), ',', spool.fileRange(ranges[0] ?? { offset: -1, length: 0 }), ']\n']);
    } finally {
      spool.close();
    }
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([{ b: 'c d' }, [1, 2]]);
  });
});
