// PlainTree (src/spec/catalog-cache.ts): which files of a tree the caches may read as plain text. Each directory's real
// path is looked up once per tree; a file counts only where its own real path is the root's real path joined with the
// path below the root, which these cases check against realpathSync itself. Real files, directories and symlinks in a
// temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { copyState, PlainTree } from '../src/spec/catalog-cache.js';

const base = mkdtempSync(join(tmpdir(), 'semconf-plain-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

// root/a.yaml, root/profiles/p.yaml; root/linked -> outside (a directory elsewhere); root/alias.yaml -> a.yaml;
// root/fifo; beside.yaml next to the root (also reached from inside it through ..); via -> the root's parent
const outside = join(base, 'outside');
const real = join(base, 'real');
const root = join(real, 'specs');
mkdirSync(join(root, 'profiles'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(root, 'a.yaml'), 'a: 1\n');
writeFileSync(join(root, 'profiles', 'p.yaml'), 'p: 1\n');
writeFileSync(join(outside, 'o.yaml'), 'o: 1\n');
writeFileSync(join(base, 'beside.yaml'), 'b: 1\n');
symlinkSync(outside, join(root, 'linked'));
symlinkSync(join(root, 'a.yaml'), join(root, 'alias.yaml'));
execFileSync('mkfifo', [join(root, 'fifo')]);
symlinkSync(real, join(base, 'via'));

/** What the check means, by realpath itself: the file's real path is the root's joined with the path below it. */
function plainByRealpath(file: string, from: string): boolean {
  const below = relative(from, file);
  if (below === '' || below.startsWith('..')) return false;
  try {
    return realpathSync(file) === join(realpathSync(from), below);
  } catch {
    return false;
  }
}

describe('PlainTree.text', () => {
  const files = {
    'a file in the root': join(root, 'a.yaml'),
    'a file in a directory of the root': join(root, 'profiles', 'p.yaml'),
    'a file in a symlinked directory': join(root, 'linked', 'o.yaml'),
    'a symlink to a file of the root': join(root, 'alias.yaml'),
    'a file beside the root': join(base, 'beside.yaml'),
    'a path through ..': join(root, 'profiles', '..', '..', 'beside.yaml'),
    'a missing file': join(root, 'none.yaml'),
    'the root itself': root,
  };
  test.each(Object.entries(files))('%s: read exactly when realpath says it is plainly inside', (_, file) => {
    const text = new PlainTree(root).text(file);
    expect(text !== undefined).toBe(plainByRealpath(file, root));
  });

  test('the texts read are the files\' own, and the outside ones are not read at all', () => {
    const tree = new PlainTree(root);
    expect(tree.text(join(root, 'a.yaml'))).toBe('a: 1\n');
    expect(tree.text(join(root, 'profiles', 'p.yaml'))).toBe('p: 1\n');
    expect(tree.text(join(root, 'linked', 'o.yaml'))).toBeUndefined();
    expect(tree.text(join(root, 'alias.yaml'))).toBeUndefined();
  });

  test('a FIFO is not read (nor waited on)', () => {
    expect(new PlainTree(root).text(join(root, 'fifo'))).toBeUndefined();
  });

  test('a root reached through a symlinked parent still reads its own files', () => {
    const via = join(base, 'via', 'specs');
    expect(new PlainTree(via).text(join(via, 'a.yaml'))).toBe('a: 1\n');
    expect(new PlainTree(via).text(join(via, 'linked', 'o.yaml'))).toBeUndefined();
  });

  test('copyState: absent, a digest, or undefined for a copy that is not plainly readable', () => {
    const tree = new PlainTree(root);
    expect(copyState(join(root, 'gone.txt'), tree)).toBe('absent');
    expect(copyState(join(root, 'a.yaml'), tree)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(copyState(join(root, 'alias.yaml'), tree)).toBeUndefined();
  });
});
