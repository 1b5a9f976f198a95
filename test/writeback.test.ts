// Starting a large file's disk write early (src/writeback.ts): it starts for a regular file being written, refuses
// what is not one, and a write past WRITEBACK_EVERY (where writeFileAtomicChunks starts it) is written whole.
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomicChunks } from '../src/atomic-file.js';
import { startWriteback, WRITEBACK_EVERY } from '../src/writeback.js';
import { scratch } from './report-fixtures.js';

describe('startWriteback', () => {
  it('starts for a regular file being written (Linux), and refuses a device', () => {
    const fd = openSync(join(scratch(), 'f'), 'w');
    try {
      writeSync(fd, 'x'.repeat(100_000));
      expect(startWriteback(fd)).toBe(process.platform === 'linux');
    } finally {
      closeSync(fd);
    }
    const device = openSync('/dev/null', 'r');
    try {
      // /dev/null: sync_file_range refuses a character device (ESPIPE)
      expect(startWriteback(device)).toBe(false);
    } finally {
      closeSync(device);
    }
  });

  it('writeFileAtomicChunks writes a file of several WRITEBACK_EVERY whole', () => {
    const out = join(scratch(), 'big.txt');
    const chunk = Buffer.alloc(WRITEBACK_EVERY / 4 + 1, 'a');
    writeFileAtomicChunks(out, Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? chunk : `<${i}>`)));
    expect(statSync(out).size).toBe(5 * chunk.length + 4 * 3);
    const text = readFileSync(out, 'latin1');
    expect(text.slice(chunk.length, chunk.length + 3)).toBe('<1>');
    expect(text.endsWith('a'.repeat(10))).toBe(true);
  });
});
