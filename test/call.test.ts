// Unit tests for the call-expression language of `call:` and `before:` (src/spec/call.ts).
import { describe, expect, test } from 'vitest';
import { type Arg, CallSyntaxError, type EvalEnv, evaluate, namesIn, parseCall } from '../src/spec/call.js';

const TWO64 = 1n << 64n;
const SIZE_MAX = TWO64 - 1n;

const env = (over: Partial<EvalEnv> = {}): EvalEnv => ({
  wordBits: 64,
  pageSize: 4096n,
  mappings: { buf: 0x7f00_0000_0000n, other: 0x1000n },
  constants: { SIZE_MAX, UINTPTR_MAX: SIZE_MAX, NULL: 0n, MCL_CURRENT: 1n, MCL_FUTURE: 2n, MCL_ONFAULT: 4n, PROT_READ: 1n, PROT_WRITE: 2n },
  ...over,
});

/** Parse `f(<text>)` and evaluate its only argument. */
function value(text: string, e: EvalEnv = env()): bigint {
  const call = parseCall(`f(${text})`);
  expect(call.args).toHaveLength(1);
  return evaluate(call.args[0] as Arg, e);
}

/** The CallSyntaxError that parsing `text` throws, as { message, offset }. */
function syntaxError(text: string): { message: string; offset: number } {
  try {
    parseCall(text);
  } catch (e) {
    expect(e).toBeInstanceOf(CallSyntaxError);
    const err = e as CallSyntaxError;
    return { message: err.message, offset: err.offset };
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe('parseCall', () => {
  test('splits a call into function, arguments, terms and operators', () => {
    const call = parseCall('mlock(buf + 1, 2p)');
    expect(call).toEqual({
      fn: 'mlock',
      text: 'mlock(buf + 1, 2p)',
      args: [
        { text: 'buf + 1', terms: [{ kind: 'name', name: 'buf' }, { kind: 'number', value: 1n, pages: false }], ops: ['+'] },
        { text: '2p', terms: [{ kind: 'number', value: 2n, pages: true }], ops: [] },
      ],
    });
  });

  test('a call with no arguments', () => {
    expect(parseCall('munlockall()')).toEqual({ fn: 'munlockall', args: [], text: 'munlockall()' });
  });

  test('white space is free around every token, and argument texts are trimmed', () => {
    const call = parseCall('  mprotect ( buf ,1p,PROT_READ|PROT_WRITE )  ');
    expect(call.fn).toBe('mprotect');
    expect(call.args.map((a) => a.text)).toEqual(['buf', '1p', 'PROT_READ|PROT_WRITE']);
    expect(call.args[2]?.ops).toEqual(['|']);
  });

  test('hex literals, with and without the page suffix', () => {
    const call = parseCall('mlock(0x10, 0xFFp)');
    expect(call.args.map((a) => a.terms)).toEqual([
      [{ kind: 'number', value: 16n, pages: false }],
      [{ kind: 'number', value: 255n, pages: true }],
    ]);
  });

  test('a parse does not depend on the previous one (the tokenizer regex is shared)', () => {
    expect(() => parseCall('mlock(buf;)')).toThrow(CallSyntaxError);
    expect(parseCall('munlock(buf, 1p)').args).toHaveLength(2);
  });

  test('the function name is not checked at parse time (that is lint)', () => {
    expect(parseCall('system(0)').fn).toBe('system');
  });

  test('namesIn lists every name term, constants and mappings alike, in order', () => {
    expect(namesIn(parseCall('mprotect(buf + 1p, SIZE_MAX - other, PROT_READ | 2)'))).toEqual([
      'buf',
      'SIZE_MAX',
      'other',
      'PROT_READ',
    ]);
    expect(namesIn(parseCall('mlock(0, 1p)'))).toEqual([]);
  });
});

describe('parseCall syntax errors carry a 0-based offset into the text', () => {
  test.each([
    // text, message, offset
    ['', 'expected a function name', 0],
    ['   ', 'expected a function name', 3],
    ['(buf, 1p)', 'expected a function name', 0],
    ['42(buf)', 'expected a function name', 0],
    ['mlock', 'expected "("', 5],
    ['mlock buf', 'expected "("', 6],
    ['mlock(buf', 'expected ")"', 9],
    ['mlock(buf 1p)', 'expected ")"', 10],
    ['mlock(buf,, 1p)', 'expected a number, a mapping name or a constant', 10],
    ['mlock(buf, )', 'expected a number, a mapping name or a constant', 11],
    ['mlock(buf +, 1p)', 'expected a number, a mapping name or a constant', 11],
    ['mlock(buf, -1)', 'expected a number, a mapping name or a constant', 11],
    ['mlock(buf, 1p) x', 'unexpected text after ")"', 15],
    ['mlock(buf, 1p))', 'unexpected text after ")"', 14],
    ['mlock(buf; 1p)', 'unexpected character ";"', 9],
    ['mlock(buf,   *2)', 'unexpected character "*"', 13],
    ['mlock(buf, 1q)', 'unexpected character "1"', 11],
    ['mlock(buf, 1P)', 'unexpected character "1"', 11],
    ['mlock(buf, 0x)', 'unexpected character "0"', 11],
    ['mlock(buf, 0X10)', 'unexpected character "0"', 11],
    ['mlock(buf, 2pp)', 'unexpected character "2"', 11],
  ] as const)('%j: %s at %i', (text, message, offset) => {
    expect(syntaxError(text)).toEqual({ message, offset });
  });

  test('CallSyntaxError is an Error', () => {
    const e = new CallSyntaxError('x', 3);
    expect(e).toBeInstanceOf(Error);
    expect(e.offset).toBe(3);
  });
});

describe('evaluate', () => {
  test('decimal and hex numbers', () => {
    expect(value('0')).toBe(0n);
    expect(value('4096')).toBe(4096n);
    expect(value('0x1000')).toBe(4096n);
    expect(value('0xdeadBEEF')).toBe(0xdeadbeefn);
  });

  test('the page suffix multiplies by the target page size', () => {
    expect(value('1p')).toBe(4096n);
    expect(value('3p')).toBe(3n * 4096n);
    expect(value('0x2p')).toBe(2n * 4096n);
    expect(value('0p')).toBe(0n);
    expect(value('3p', env({ pageSize: 16384n }))).toBe(3n * 16384n);
    expect(value('3p', env({ pageSize: 65536n }))).toBe(3n * 65536n);
  });

  test('a mapping name is its first page address; a constant name is its value', () => {
    expect(value('buf')).toBe(0x7f00_0000_0000n);
    expect(value('SIZE_MAX')).toBe(SIZE_MAX);
    expect(value('NULL')).toBe(0n);
  });

  test('+, - and |', () => {
    expect(value('buf + 1p')).toBe(0x7f00_0000_1000n);
    expect(value('buf + 1')).toBe(0x7f00_0000_0001n);
    expect(value('buf - 1')).toBe(0x7eff_ffff_ffffn);
    expect(value('MCL_CURRENT | MCL_FUTURE')).toBe(3n);
    expect(value('MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT')).toBe(7n);
    expect(value('0x10 | 0x10')).toBe(0x10n);
    expect(value('other + 2p - 1')).toBe(0x1000n + 8192n - 1n);
  });

  test('operators have equal precedence and apply left to right', () => {
    expect(value('10 - 2 - 3')).toBe(5n);
    expect(value('3 | 1 + 1')).toBe(4n); // (3 | 1) + 1, not 3 | (1 + 1)
    expect(value('1 + 1 | 4')).toBe(6n);
  });

  test('SIZE_MAX - 1p + 1 is the start of the last page of the address space', () => {
    expect(value('SIZE_MAX - 1p + 1')).toBe(TWO64 - 4096n);
    expect(value('SIZE_MAX - 1p + 1')).toBe(0xffff_ffff_ffff_f000n);
    expect(value('SIZE_MAX - 1p + 1', env({ pageSize: 16384n }))).toBe(0xffff_ffff_ffff_c000n);
  });

  test('arithmetic wraps modulo 2^64 in both directions', () => {
    expect(value('SIZE_MAX + 1')).toBe(0n);
    expect(value('SIZE_MAX + 2')).toBe(1n);
    expect(value('SIZE_MAX + SIZE_MAX')).toBe(SIZE_MAX - 1n);
    expect(value('0 - 1')).toBe(SIZE_MAX);
    expect(value('NULL - 1p')).toBe(TWO64 - 4096n);
    expect(value('other - 2p')).toBe(TWO64 - 0x1000n);
    // a wrapped intermediate result: 0 - 1 is SIZE_MAX, and SIZE_MAX + 2 is 1
    expect(value('0 - 1 + 2')).toBe(1n);
    expect(value('SIZE_MAX + 1 - 1')).toBe(SIZE_MAX);
    // | of a wrapped (negative) intermediate behaves as on the 64-bit value
    expect(value('0 - 1 | 0x10')).toBe(SIZE_MAX);
    expect(value('0 - 0x100 | 0xff')).toBe(SIZE_MAX);
  });

  test('every result lies in [0, 2^64)', () => {
    for (const text of ['0 - 1p', 'SIZE_MAX + SIZE_MAX + SIZE_MAX', '0 - SIZE_MAX - SIZE_MAX', '0xffffffffffffffff + 0xffffffffffffffff']) {
      const v = value(text);
      expect(v >= 0n && v < TWO64, `${text} = ${v}`).toBe(true);
    }
  });

  test('a literal is range-checked, never reduced: over 2^64 - 1, or over 2^48 - 1 pages, is a syntax error', () => {
    expect(() => parseCall('mlock(buf, 0xffffffffffffffffff)')).toThrow('number out of range: expected at most 18446744073709551615 (2^64 - 1, SIZE_MAX)');
    expect(() => parseCall('mlock(buf, 281474976710656p)')).toThrow('number of pages out of range: expected at most 281474976710655 pages');
    expect(parseCall('mlock(buf, 0xffffffffffffffff)').args[1]?.terms[0]).toEqual({ kind: 'number', value: TWO64 - 1n, pages: false });
  });

  test('each argument of a call evaluates on its own', () => {
    const call = parseCall('mprotect(buf + 1p, 2p, PROT_READ | PROT_WRITE)');
    expect(call.args.map((a) => evaluate(a, env()))).toEqual([0x7f00_0000_1000n, 8192n, 3n]);
  });

  test('a mapping shadows nothing: mappings and constants are looked up by exact name', () => {
    const e = env({ mappings: { size_max: 5n }, constants: { SIZE_MAX } });
    expect(value('size_max', e)).toBe(5n);
    expect(value('SIZE_MAX', e)).toBe(SIZE_MAX);
  });

  test('a name the environment does not define throws', () => {
    expect(() => value('nope')).toThrow('"nope" is neither a mapping of this case nor a constant of this target');
    expect(() => value('buf + nope')).toThrow(/"nope" is neither a mapping/);
    expect(() => value('MCL_FUTURE | nope')).toThrow(/"nope" is neither a mapping/);
    // a constant the spec language knows but this target lacks
    expect(() => value('MCL_ONFAULT', env({ constants: { SIZE_MAX } }))).toThrow(/"MCL_ONFAULT" is neither a mapping/);
    // names are case-sensitive
    expect(() => value('BUF')).toThrow(/"BUF" is neither a mapping/);
  });

  test('names inherited from Object.prototype are not mappings or constants either', () => {
    // mappings and constants are plain objects (the worker builds them with Object.fromEntries), so a lookup
    // must not see toString, constructor or __proto__ through the prototype chain
    for (const name of ['toString', 'constructor', 'valueOf', '__proto__', 'hasOwnProperty']) {
      expect(() => value(name), name).toThrow(`"${name}" is neither a mapping of this case nor a constant of this target`);
      expect(() => value(`${name} + 1`), name).toThrow(`"${name}" is neither a mapping of this case nor a constant of this target`);
    }
  });
});

// The same expressions on a 32-bit target (an i386 process, `--target ia32`): the runner supplies its width at
// evaluation time and its own SIZE_MAX and UINTPTR_MAX (runners/posix-common.ts widthConstants), so each case means
// the same thing on either width.
describe('evaluate at a 32-bit word', () => {
  const TWO32 = 1n << 32n;
  const MAX32 = TWO32 - 1n;
  const env32 = (over: Partial<EvalEnv> = {}): EvalEnv =>
    env({ wordBits: 32, mappings: { buf: 0xf7a0_0000n }, constants: { SIZE_MAX: MAX32, UINTPTR_MAX: MAX32, NULL: 0n }, ...over });

  test('SIZE_MAX and the top of the address space are the 32-bit ones', () => {
    expect(value('SIZE_MAX', env32())).toBe(0xffff_ffffn);
    expect(value('UINTPTR_MAX - 1p + 1', env32())).toBe(0xffff_f000n);
    expect(value('UINTPTR_MAX - 1p + 1', env32({ pageSize: 16384n }))).toBe(0xffff_c000n);
    // the same text at 64 bits keeps its 64-bit meaning exactly (the spec used SIZE_MAX - 1p + 1 for it)
    expect(value('UINTPTR_MAX - 1p + 1')).toBe(0xffff_ffff_ffff_f000n);
    expect(value('UINTPTR_MAX - 1p + 1')).toBe(value('SIZE_MAX - 1p + 1'));
  });

  test('"SIZE_MAX - 1p + 1" is minus one page at 32 bits', () => {
    expect(value('SIZE_MAX - 1p + 1', env32())).toBe(TWO32 - 4096n);
    // buf + 1p + (SIZE_MAX - 1p + 1) wraps to buf: the wrap-to-start case
    expect((value('buf + 1p', env32()) + value('SIZE_MAX - 1p + 1', env32())) % TWO32).toBe(value('buf', env32()));
  });

  test('arithmetic wraps modulo 2^32, in both directions, and never leaves [0, 2^32)', () => {
    expect(value('SIZE_MAX + 1', env32())).toBe(0n);
    expect(value('0 - 1', env32())).toBe(MAX32);
    expect(value('NULL - 1p', env32())).toBe(TWO32 - 4096n);
    expect(value('buf + 0x10000000', env32())).toBe(0x07a0_0000n);
    expect(value('0 - 1 | 0x10', env32())).toBe(MAX32);
    // a literal wider than the word is cut as a C conversion to uintptr_t would cut it
    expect(value('0xfffffffffffff000', env32())).toBe(0xffff_f000n);
    expect(value('0x100000000', env32())).toBe(0n);
    for (const text of ['0 - 1p', 'SIZE_MAX + SIZE_MAX + SIZE_MAX', '0xffffffffffffffff', 'buf - 2p']) {
      const v = value(text, env32());
      expect(v >= 0n && v < TWO32, `${text} = ${v}`).toBe(true);
    }
  });

  test('the width is the environment\'s, not the process\'s: one process evaluates both', () => {
    const call = parseCall('mlock(buf - 1p, SIZE_MAX - 1p + 1)');
    expect(call.args.map((a) => evaluate(a, env32()))).toEqual([0xf79f_f000n, 0xffff_f000n]);
    expect(call.args.map((a) => evaluate(a, env()))).toEqual([0x7eff_ffff_f000n, 0xffff_ffff_ffff_f000n]);
  });
});
