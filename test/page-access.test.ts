// The page-access tracker behind the touch builtin (src/worker/page-access.ts): pure, on made-up addresses.
import { describe, expect, it } from 'vitest';
import { accessOfProt, PageAccess } from '../src/worker/page-access.js';

const PS = 4096n;
const BASE = 0x10000000n;
const bits = { read: 1n, write: 2n };
const tracker = () => new PageAccess([{ name: 'buf', base: BASE, layout: ['rw', 'none', 'r', 'hole'] }], PS, bits);

describe('PageAccess (pure)', () => {
  it('allows a touch of writable pages of the case only', () => {
    const t = tracker();
    expect(t.touchProblem(BASE, 1n, 64)).toBeNull();
    expect(t.touchProblem(BASE, PS + 1n, 64)).toMatch(/page 1 of "buf", which is PROT_NONE at this step/);
    expect(t.touchProblem(BASE + 2n * PS, 1n, 64)).toMatch(/page 2 of "buf", which is read-only/);
    expect(t.touchProblem(BASE + 3n * PS, 1n, 64)).toMatch(/page 3 of "buf", which is unmapped/);
    expect(t.touchProblem(BASE - PS, 1n, 64)).toMatch(/^touch's range reaches 0xffff000, which is not a page of the case's mappings/);
    expect(t.touchProblem(BASE, 0n, 64)).toBeNull(); // a zero length touches nothing
    expect(t.touchProblem((1n << 64n) - 1n, 2n, 64)).toMatch(/wraps past the top/);
  });

  it('follows mprotect and munmap that succeeded, and ignores those that failed', () => {
    const t = tracker();
    t.apply('mprotect', [BASE + PS, PS, 3n], 'failed');
    expect(t.touchProblem(BASE + PS, 1n, 64)).not.toBeNull();
    t.apply('mprotect', [BASE + PS, PS, 3n], 'succeeded');
    expect(t.touchProblem(BASE + PS, 1n, 64)).toBeNull();
    t.apply('munmap', [BASE, PS], 'succeeded');
    expect(t.touchProblem(BASE, 1n, 64)).toMatch(/unmapped/);
    t.apply('mlock', [BASE + PS, PS], 'succeeded');
    expect(t.touchProblem(BASE + PS, 1n, 64)).toBeNull();
  });

  it('an mprotect that starts on a guard page still changes the case\'s pages it covers', () => {
    const t = tracker();
    t.apply('mprotect', [BASE - PS, 2n * PS, 0n], 'succeeded');
    expect(t.touchProblem(BASE, 1n, 64)).toMatch(/PROT_NONE/);
  });

  it('an outcome lint cannot know leaves the pages to the worker', () => {
    const t = tracker();
    t.apply('mprotect', [BASE + PS, PS, 0n], 'unknown');
    expect(t.touchProblem(BASE + PS, 1n, 64)).toBeNull();
  });

  it('reads an mprotect protection by its bits: write makes a page writable, read alone read-only', () => {
    expect(accessOfProt(3n, bits)).toBe('writable');
    expect(accessOfProt(2n, bits)).toBe('writable');
    expect(accessOfProt(1n, bits)).toBe('readable');
    expect(accessOfProt(4n, bits)).toBe('none');
  });
});

describe('PageAccess defaults (pure)', () => {
  it('a function it does not follow makes the pages of its range untracked, and touch refuses them', () => {
    const t = tracker();
    t.apply('mremap', [BASE, PS, 2n * PS], 'succeeded');
    expect(t.touchProblem(BASE, 1n, 64)).toMatch(/reached by a call whose effect on protections touch does not follow/);
    t.apply('mremap', [BASE, PS, 2n * PS], 'unknown');
    expect(t.touchProblem(BASE, 1n, 64)).not.toBeNull();
  });
});
