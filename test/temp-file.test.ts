// runners/temp-file.ts against the real file system: a file no one else can open, unlinked at once, and a name taken
// (a file, or a planted symlink) tried again under the next instead of being opened or followed.
import { closeSync, fstatSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExclusive, unlinkedTempFile } from '../runners/temp-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'semconf-temp-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A name function giving `names` in turn (the last one again after them), counting its calls. */
function scripted(...names: string[]): { name: () => string; calls: () => number } {
  let n = 0;
  return { name: () => names[Math.min(n++, names.length - 1)] as string, calls: () => n };
}

describe('unlinkedTempFile', () => {
  it('gives a descriptor of a sparse file of the size asked for, with no name left in the directory', () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      const fds = [unlinkedTempFile('test', 3 * 4096), unlinkedTempFile('test', 4096)];
      for (const [i, fd] of fds.entries()) {
        const st = fstatSync(fd);
        expect(st.nlink).toBe(0);
        expect(st.size).toBe(i === 0 ? 3 * 4096 : 4096);
        expect(st.mode & 0o777).toBe(0o600);
        closeSync(fd);
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('createExclusive', () => {
  it('tries the next name when one is taken by a file, and leaves that file as it was', () => {
    writeFileSync(join(dir, 'a'), 'theirs');
    const names = scripted('a', 'b');
    const { path, fd } = createExclusive(dir, 'x', names.name);
    closeSync(fd);
    expect(path).toBe(join(dir, 'b'));
    expect(names.calls()).toBe(2);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('theirs');
  });

  it('never follows a planted symlink: its target is neither created nor opened', () => {
    const target = join(dir, 'target');
    symlinkSync(target, join(dir, 'a'));
    const { path, fd } = createExclusive(dir, 'x', scripted('a', 'b').name);
    closeSync(fd);
    expect(path).toBe(join(dir, 'b'));
    expect(() => lstatSync(target)).toThrow(/ENOENT/);
  });

  it('gives up with EEXIST after a bounded number of taken names', () => {
    writeFileSync(join(dir, 'a'), '');
    const names = scripted('a');
    expect(() => createExclusive(dir, 'x', names.name)).toThrow(/EEXIST/);
    expect(names.calls()).toBe(16);
  });

  it('names each file apart by default, within one process', () => {
    const made = Array.from({ length: 50 }, () => createExclusive(dir, 'x'));
    for (const m of made) closeSync(m.fd);
    expect(new Set(made.map((m) => m.path)).size).toBe(50);
    expect(made.every((m) => /\/semconf-x-\d+-\d+-[0-9a-z]+$/.test(m.path))).toBe(true);
  });
});
