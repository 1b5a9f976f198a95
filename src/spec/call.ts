// Call expressions: the tiny language of `call:` and `before:`.
//
//   call  := NAME '(' [ arg { ',' arg } ] ')'
//   arg   := term { ('+' | '-' | '|') term }
//   term  := NUMBER [ 'p' ]            decimal or 0x-hex; the suffix p multiplies by the page size
//          | NAME                      a mapping (its first page's address) or a constant (MCL_FUTURE, SIZE_MAX, NULL)
//
// Arithmetic is modulo 2^w, where w is the target's width of size_t and of an address (64 on x86_64, 32 on an i386
// process), so "SIZE_MAX - 1p + 1" and wrapping ranges mean the same thing on either width. Parsing is pure;
// evaluation needs the target's word size, page size, mapping addresses and constants (see evaluate()).

import { MAX_CALL_NUMBER, MAX_CALL_PAGES } from './memory.js';

export type Term =
  | { kind: 'number'; value: bigint; pages: boolean }
  | { kind: 'name'; name: string };

export interface Arg {
  text: string;
  terms: Term[];
  /** operators between consecutive terms: ops[i] joins terms[i] and terms[i + 1] */
  ops: ('+' | '-' | '|')[];
}

export interface ParsedCall {
  fn: string;
  args: Arg[];
  text: string;
}

export class CallSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based offset into the call text */
    readonly offset: number,
  ) {
    super(message);
  }
}

const TOKEN = /\s*(?:(0x[0-9a-fA-F]+|\d+)(p?)(?![A-Za-z0-9_])|([A-Za-z_][A-Za-z0-9_]*)|([(),+\-|]))/y;

type Token =
  | { t: 'num'; value: bigint; pages: boolean; at: number }
  | { t: 'name'; name: string; at: number }
  | { t: 'punct'; p: string; at: number }
  | { t: 'end'; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) {
      const at = pos + (text.slice(pos).length - text.slice(pos).trimStart().length);
      throw new CallSyntaxError(`unexpected character ${JSON.stringify(text[at])}`, at);
    }
    const at = m.index + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) {
      const value = BigInt(m[1]);
      const pages = m[2] === 'p';
      // A literal is range-checked, never reduced modulo 2^64: 18446744073709551617 is a typo, not 1.
      if (value > (pages ? MAX_CALL_PAGES : MAX_CALL_NUMBER)) {
        throw new CallSyntaxError(
          pages
            ? `number of pages out of range: expected at most ${MAX_CALL_PAGES} pages (so that N × 64 KiB fits in 64 bits)`
            : `number out of range: expected at most ${MAX_CALL_NUMBER} (2^64 - 1, SIZE_MAX)`,
          at,
        );
      }
      tokens.push({ t: 'num', value, pages, at });
    }
    else if (m[3] !== undefined) tokens.push({ t: 'name', name: m[3], at });
    else if (m[4] !== undefined) tokens.push({ t: 'punct', p: m[4], at });
    pos = TOKEN.lastIndex;
  }
  tokens.push({ t: 'end', at: text.length });
  return tokens;
}

export function parseCall(text: string): ParsedCall {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): Token => tokens[i] ?? { t: 'end', at: text.length };
  const expectPunct = (p: string): void => {
    const tok = peek();
    if (tok.t !== 'punct' || tok.p !== p) throw new CallSyntaxError(`expected "${p}"`, tok.at);
    i++;
  };
  const head = peek();
  if (head.t !== 'name') throw new CallSyntaxError('expected a function name', head.at);
  i++;
  expectPunct('(');
  const args: Arg[] = [];
  if (!(peek().t === 'punct' && (peek() as { p: string }).p === ')')) {
    for (;;) {
      args.push(parseArg());
      const tok = peek();
      if (tok.t === 'punct' && tok.p === ',') {
        i++;
        continue;
      }
      break;
    }
  }
  expectPunct(')');
  const tail = peek();
  if (tail.t !== 'end') throw new CallSyntaxError('unexpected text after ")"', tail.at);
  return { fn: head.name, args, text };

  function parseArg(): Arg {
    const start = peek().at;
    const terms: Term[] = [parseTerm()];
    const ops: Arg['ops'] = [];
    for (;;) {
      const tok = peek();
      if (tok.t === 'punct' && (tok.p === '+' || tok.p === '-' || tok.p === '|')) {
        i++;
        ops.push(tok.p);
        terms.push(parseTerm());
        continue;
      }
      return { text: text.slice(start, tok.at).trim(), terms, ops };
    }
  }

  function parseTerm(): Term {
    const tok = peek();
    i++;
    if (tok.t === 'num') return { kind: 'number', value: tok.value, pages: tok.pages };
    if (tok.t === 'name') return { kind: 'name', name: tok.name };
    throw new CallSyntaxError('expected a number, a mapping name or a constant', tok.at);
  }
}

/** Widths of size_t and of an address that targets have: 64-bit ABIs, and 32-bit ones (i386 on an x86_64 kernel). */
export type WordBits = 32 | 64;

export interface EvalEnv {
  /** the target's size_t and address width: the modulus of every argument's arithmetic is 2^wordBits */
  wordBits: WordBits;
  pageSize: bigint;
  /** first-page address of each mapping */
  mappings: Readonly<Record<string, bigint>>;
  constants: Readonly<Record<string, bigint>>;
}

/** The largest number a term may stand for, at any width: a literal or `Np` past it is a typo, not a wrap. */
const MASK64 = (1n << 64n) - 1n;

/** Evaluate one argument modulo 2^wordBits. Throws on a name the environment does not define. */
export function evaluate(arg: Arg, env: EvalEnv): bigint {
  const value = (t: Term): bigint => {
    if (t.kind === 'number') {
      const v = t.pages ? t.value * env.pageSize : t.value;
      // parseCall bounds N for the largest page size; this holds the bound for any page size the target reports.
      if (v > MASK64) throw new RangeError(`${t.value}p is more than 2^64 - 1 bytes with ${env.pageSize}-byte pages`);
      return v;
    }
    // Own properties only: "constructor" or "toString" are not names a spec can define.
    const v = Object.hasOwn(env.mappings, t.name) ? env.mappings[t.name] : Object.hasOwn(env.constants, t.name) ? env.constants[t.name] : undefined;
    if (v === undefined) throw new Error(`"${t.name}" is neither a mapping of this case nor a constant of this target`);
    return v;
  };
  let acc = value(arg.terms[0] as Term);
  arg.ops.forEach((op, k) => {
    const rhs = value(arg.terms[k + 1] as Term);
    acc = op === '+' ? acc + rhs : op === '-' ? acc - rhs : acc | rhs;
  });
  return BigInt.asUintN(env.wordBits, acc);
}

/** Names a call refers to (mappings or constants), for lint. */
export function namesIn(call: ParsedCall): string[] {
  return call.args.flatMap((a) => a.terms.flatMap((t) => (t.kind === 'name' ? [t.name] : [])));
}
