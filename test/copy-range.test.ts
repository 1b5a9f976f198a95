// Ranges of an open file copied into the file being written (src/copy-range.ts), as merge writes a matrix again: at the
// output's position or at an offset, between bytes written around them, by the kernel or, where it refuses, through a
// buffer.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyRange, type FileRange } from '../src/copy-range.js';
import { writeFileAtomicChunks } from '../src/atomic-file.js';
import { sourceOf } from './file-ranges.js';
import { scratch } from './report-fixtures.js';


const rangeOf = (ranges: readonly FileRange[], i: number): FileRange => {
  const r = ranges[i];
  if (r === undefined) throw new Error(`no range ${i}`);
  return r;
};

describe('copyRange', () => {
  it('writes each range at the position of the output, in any order, between bytes written there', () => {
    const dir = scratch();
    const texts = ['{"a":1}', 'é — ✓', 'x'.repeat(3_000_000)];
    const { fd: source, ranges } = sourceOf(join(dir, 'source'), texts);
    const out = join(dir, 'out.txt');
    const fd = openSync(out, 'w');
    try {
      for (const i of [2, 0, 1]) {
        writeSync(fd, `<${i}>`);
        copyRange(rangeOf(ranges, i), fd);
      }
    } finally {
      closeSync(fd);
      closeSync(source);
    }
    expect(readFileSync(out, 'utf8')).toBe(`<2>${texts[2]}<0>${texts[0]}<1>${texts[1]}`);
  });

  it('writes a range at an offset of the output, leaving its position where it was', () => {
    const dir = scratch();
    const { fd: source, ranges } = sourceOf(join(dir, 'source'), ['first', 'second é']);
    const out = join(dir, 'out.txt');
    const fd = openSync(out, 'w+');
    try {
      writeSync(fd, '0123456789');
      copyRange(rangeOf(ranges, 1), fd, 20);
      // still at 10: the copy past the end moved no position
      writeSync(fd, '|end');
      copyRange(rangeOf(ranges, 0), fd, 2);
    } finally {
      closeSync(fd);
      closeSync(source);
    }
    const written = readFileSync(out);
    expect(written.subarray(0, 14).toString()).toBe('01first789|end');
    expect([...written.subarray(14, 20)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(written.subarray(20).toString('utf8')).toBe('second é');
  });

  it('copies through a buffer where the kernel refuses (an output opened to append)', () => {
    const dir = scratch();
    const { fd: source, ranges } = sourceOf(join(dir, 'source'), ['first', 'second é']);
    const out = join(dir, 'out.txt');
    const fd = openSync(out, 'a');
    try {
      for (const i of [1, 0]) copyRange(rangeOf(ranges, i), fd);
    } finally {
      closeSync(fd);
      closeSync(source);
    }
    expect(readFileSync(out, 'utf8')).toBe('second éfirst');
  });

  it('throws for a range past the end of its file', () => {
    const dir = scratch();
    const { fd: source } = sourceOf(join(dir, 'source'), ['abc']);
    const fd = openSync(join(dir, 'out.txt'), 'w');
    try {
      expect(() => copyRange({ fd: source, offset: 1, length: 5 }, fd)).toThrow('the file ended 3 byte(s) before the range copied from it');
    } finally {
      closeSync(fd);
      closeSync(source);
    }
  });

  it('writeFileAtomicChunks takes ranges among its chunks', () => {
    const dir = scratch();
    const { fd: source, ranges } = sourceOf(join(dir, 'source'), ['[1,2]', '{"b":"c d"}']);
    const out = join(dir, 'm.json');
    try {
      writeFileAtomicChunks(out, ['[', rangeOf(ranges, 1), ',', rangeOf(ranges, 0), ']\n']);
    } finally {
      closeSync(source);
    }
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([{ b: 'c d' }, [1, 2]]);
  });
});
