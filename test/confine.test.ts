// Confinement (src/worker/confine.ts) as pure arithmetic, on both word widths; and the budget held after every step,
// driven through executeCase by a FAKE runner (labelled: it stands in for the OS only where a real system cannot be
// made to lock more than the case's confined memory; the real-syscall side is in runner.test.ts).
import { describe, expect, it } from 'vitest';
import { parseCall } from '../src/spec/call.js';
import { type AddressSpace, confinementProblem, describeConfinement, lengthProblem, nameArgumentProblem, type Region, touchedPages } from '../src/worker/confine.js';
import { executeCase } from '../src/worker/execute.js';
import { c, itemsFor, ledgerRunner } from './helpers.js';

const PS = 4096n;
const SPACE64: AddressSpace = { wordBits: 64, nullEnd: 0x10000n, userEnd: 1n << 63n };
const SPACE32: AddressSpace = { wordBits: 32, nullEnd: 0x10000n, userEnd: 0xffffe000n };
const buf: Region = { name: 'buf', start: 0x7f0000000000n, end: 0x7f0000000000n + 4n * PS }; // guard, 2 pages, guard
const first = buf.start + PS;
const problem = (fn: string, args: bigint[], space = SPACE64): string | null => {
  const p = confinementProblem(fn, args, [buf], space, PS);
  return p === null ? null : describeConfinement(p, true);
};

describe('the pages a call can touch', () => {
  it('from the page holding addr to the page holding the last byte, at least that first page', () => {
    expect(touchedPages(first, 2n * PS, PS, 64)).toEqual({ start: first, end: first + 2n * PS, wraps: false });
    expect(touchedPages(first + 1n, PS, PS, 64)).toEqual({ start: first, end: first + 2n * PS, wraps: false });
    expect(touchedPages(first + 1n, 0n, PS, 64)).toEqual({ start: first, end: first + PS, wraps: false });
  });

  it('a range past the top of the word wraps: only its first page can be touched, on either width', () => {
    expect(touchedPages(first, (1n << 64n) - 1n, PS, 64)).toEqual({ start: first, end: first + PS, wraps: true });
    expect(touchedPages(0x1000n, 0xffffffffn, PS, 32)).toEqual({ start: 0x1000n, end: 0x2000n, wraps: true });
    expect(touchedPages(0x1000n, 0xffffffffn, PS, 64).wraps).toBe(false); // the same numbers do not wrap on 64 bits
  });
});

describe('confinement', () => {
  it('the case\'s own pages and guards, the NULL page, the kernel\'s part and wrapping ranges are allowed', () => {
    expect(problem('mlock', [first, 2n * PS])).toBeNull();
    expect(problem('mlock', [buf.start, 4n * PS])).toBeNull(); // guard pages are the case's too
    expect(problem('mlock', [0n, PS])).toBeNull();
    expect(problem('mlock', [(1n << 64n) - PS, 2n * PS])).toBeNull();
    expect(problem('munlock', [first + PS, (1n << 64n) - PS])).toBeNull();
    expect(problem('mlockall', [1n])).toBeNull(); // no range
  });

  it('a range that leaves the region, or lies elsewhere, is refused with what it would reach', () => {
    expect(problem('mlock', [first, 0x10000000n])).toBe(
      'mlock\'s range starts in "buf" and reaches 65533 page(s) past its fenced region (its pages and one guard page on each side) (0x7f0000001000-0x7f0010001000; its fenced region ends at 0x7f0000004000); a spec may touch only its own mappings',
    );
    expect(problem('munmap', [0xdd3000n, PS])).toBe(
      "munmap's range 0xdd3000-0xdd4000 is not in the case's mappings, the NULL page (below 0x10000) or the kernel's part (from 0x8000000000000000); a spec may touch only its own mappings",
    );
    expect(problem('mprotect', [first - 2n * PS, PS, 0n])).toMatch(/^mprotect's range 0x7efffffff000-0x7f0000000000 is not in the case's mappings/);
  });

  it('on a 32-bit ABI the top of the address space is the last pages below 4 GiB, and 0xfffff000 is out of user space', () => {
    expect(problem('mlock', [0xfffff000n, 2n * PS], SPACE32)).toBeNull();
    expect(problem('mlock', [0xfffff000n, 2n * PS], SPACE64)).toMatch(/is not in the case's mappings/); // mappable on 64 bits
    expect(problem('mlock', [0xff000000n, PS], SPACE32)).toMatch(/is not in the case's mappings/); // a 32-bit stack lives there
  });

  it('a 32-bit process on a 64-bit kernel: a range that wraps only at 32 bits cannot be confined, and says so', () => {
    const IA32: AddressSpace = { wordBits: 64, processWordBits: 32, nullEnd: 0x10000n, userEnd: 0xffffe000n };
    const low: Region = { name: 'buf', start: 0x10000000n, end: 0x10000000n + 4n * PS };
    const p = confinementProblem('mlock', [low.start + PS, 0xffffffffn], [low], IA32, PS);
    expect(p?.kind).toBe('wraps-only-in-process');
    expect(p && describeConfinement(p, false)).toBe(
      `mlock's range wraps at this process's 32-bit width from "buf", but the 64-bit kernel does not wrap it: it would run on over the process's own memory, so the case cannot be confined on this target`,
    );
    // The same numbers where kernel and process share the width: a wrap, confined to its first page.
    expect(confinementProblem('mlock', [low.start + PS, 0xffffffffn], [low], SPACE32, PS)).toBeNull();
    // A range that does not wrap even at 32 bits and leaves the case is still the spec's error, not the target's.
    expect(confinementProblem('mlock', [low.start + PS, 8n * PS], [low], IA32, PS)?.kind).toBe('past-region');
  });

  it('an unknown end of user space leaves no kernel-part form', () => {
    expect(problem('mlock', [(1n << 64n) - PS, PS], { ...SPACE64, userEnd: null })).toMatch(/not in the case's mappings, the NULL page \(below 0x10000\); a spec/);
  });
});

describe('the lock budget after every step (FAKE runner: an OS whose locks pin more than the case asked for)', () => {

  it('over the case budget: everything is unlocked at once, the case is an error and the worker retired', () => {
    const [item] = itemsFor('mlock', [c('mlock.t', 'mlock(buf, 2p)')]);
    if (item === undefined) throw new Error('planned');
    const { runner, calls } = ledgerRunner(item.budgetBytes + 4096);
    const outcome = executeCase(runner, item);
    expect(outcome.status).toBe('error');
    expect(outcome.reason).toBe('after mlock(buf, 2p) the worker had 64.0 MiB more locked, over the budget of 64.0 MiB; everything was unlocked');
    expect(outcome.retire).toBe(outcome.reason);
    expect(calls).toEqual(['mlock', 'munlockall']);
  });

  it('within it, the case runs', () => {
    const [item] = itemsFor('mlock', [c('mlock.t', 'mlock(buf, 2p)')]);
    if (item === undefined) throw new Error('planned');
    const outcome = executeCase(ledgerRunner(8192).runner, item);
    expect(outcome.status).toBe('ran');
    expect(outcome.retire).toBeUndefined();
  });
});

describe('name and length arguments (mmap, ftruncate): only a name of the case, of the right kind', () => {
  const named = { buf: { file: false, deferred: false }, late: { file: false, deferred: true }, f: { file: true, deferred: false } };
  const problem = (text: string): string | null => {
    const call = parseCall(text);
    return nameArgumentProblem(call.fn, call.args, named);
  };

  it('a deferred mapping for mmap and a file-backed one for ftruncate pass', () => {
    expect(problem('mmap(late)')).toBeNull();
    expect(problem('ftruncate(f, 1p)')).toBeNull();
    expect(problem('mlock(buf, 1p)')).toBeNull(); // no name parameter
  });

  it('a number, an expression or a name of the wrong kind is refused, with the names that would do', () => {
    expect(problem('ftruncate(0, 0)')).toBe('ftruncate\'s argument 1 must be the name of a file-backed mapping of this case (backing: file-private or file-shared) (f), got "0"');
    expect(problem('ftruncate(f + 1, 0)')).toMatch(/got "f \+ 1"$/);
    expect(problem('ftruncate(buf, 0)')).toMatch(/\(f\), got "buf"$/);
    expect(problem('mmap(buf)')).toBe('mmap\'s argument 1 must be the name of a mapping of this case declared `deferred: true` (late), got "buf"');
    expect(problem('mmap(0x1000)')).toMatch(/got "0x1000"$/);
    // an own property of the object machinery is not a mapping
    expect(problem('mmap(constructor)')).toMatch(/got "constructor"$/);
  });

  it('a length that is no range (ftruncate\'s) is held to the case budget; a range\'s length is confinement\'s', () => {
    expect(lengthProblem('ftruncate', [3n, 4096n], 8192)).toBeNull();
    expect(lengthProblem('ftruncate', [3n, 8193n], 8192)).toBe('ftruncate\'s argument 2 is 8193 bytes, over the case budget of 8192 bytes');
    expect(lengthProblem('mlock', [0x10000n, 1n << 40n], 8192)).toBeNull();
  });
});
