// Shared by the copy-range and spool tests: a file of given texts, open for reading, with the range of each text in it.
import { openSync, writeFileSync } from 'node:fs';
import type { FileRange } from '../src/copy-range.js';

/** `file` written with `texts` one after another and opened for reading (the caller closes `fd`); each text's range. */
export function sourceOf(file: string, texts: readonly string[]): { fd: number; ranges: FileRange[] } {
  writeFileSync(file, texts.join(''));
  const fd = openSync(file, 'r');
  let offset = 0;
  const ranges = texts.map((t) => {
    const length = Buffer.byteLength(t);
    const range = { fd, offset, length };
    offset += length;
    return range;
  });
  return { fd, ranges };
}
