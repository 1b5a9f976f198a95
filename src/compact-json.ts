// Compact JSON from JSON's own bytes: what `semconf merge` copies into the matrix for a results file the fast path
// validated as it was parsed (src/merge-read.ts), instead of JSON.stringify of the parsed value. The copy parses to
// the same value (JSON.parse of either keeps the last of duplicate keys); for a file JSON.stringify wrote (semconf
// writes every results file so, pretty-printed) it is the very bytes JSON.stringify would write again.
//
// The loop is WebAssembly, assembled below: the same byte loop in JavaScript costs as much as JSON.stringify (~2.4 ms
// a 640 KB file of 100 cases; stores to a Uint8Array at ~3.5 ns a byte here); in WebAssembly, a byte at a time, ~0.65
// ms; by 8-byte words where it can, ~0.35 ms (against ~1.4 ms for JSON.stringify in the same run). Whitespace cannot
// be skipped natively instead (Buffer.indexOf, copyWithin): a file has ~14,000 lines and ~10,000 `": "`, and each
// native call costs more than the bytes it skips.
//
// The matrix must not outgrow JSON.stringify's (1,000 targets were ~470 M characters compact as semconf-results/1, near
// V8's ~536 M limit on the one string `semconf validate` and `report` read a matrix as; ~242 M as semconf-results/2):
// a \u escape (JSON.stringify writes the character itself, except a control character) or "\/" makes the answer
// null, and the caller stringifies. So does a file that is not UTF-8 (JSON.parse read replacement characters, which
// its bytes are not). Numbers are copied as written.
import { isAscii, isUtf8 } from 'node:buffer';
import { type CaseLines, eachCaseLine } from './results-lines.js';

// ---- a few WebAssembly opcodes and encodings (https://webassembly.github.io/spec/core/binary/) ----
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i32Store8: 0x3a,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i32GeU: 0x4f,
  i64Ne: 0x52,
  i32Add: 0x6a,
  i64Sub: 0x7d,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
} as const;
/** the block type of a block, loop or if that leaves nothing on the stack */
const VOID = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;

function unsignedLeb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function signedLeb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...unsignedLeb(bytes.length), ...bytes];
const name = (s: string): number[] => [...unsignedLeb(s.length), ...Buffer.from(s, 'latin1')];

// ---- compact(end, from, to): the bytes from address `from` to `end` compacted in place, written from address `to`
// (at most `from`); the address after the last byte written, or -1 (see above) ----
const LEN = 0; // the parameter `end`
const IN = 1; // the next byte to read: the parameter `from`
const OUT = 2; // the next byte to write (never past IN: in place is safe): the parameter `to`
const BYTE = 3; // the byte just read
const WORD = 4; // the 8 bytes at IN (i64)
const SCRATCH = 5; // i64
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const get = (l: number): number[] => [OP.localGet, l];
const set = (l: number): number[] => [OP.localSet, l];
const constant = (n: number): number[] => [OP.i32Const, ...signedLeb(BigInt(n))];
/** an i64 constant of the byte `byte` in all 8 places */
const everyByte = (byte: number): number[] => [OP.i64Const, ...signedLeb(BigInt.asIntN(64, BigInt(byte) * 0x0101010101010101n))];
const add = (l: number, n: number): number[] => [...get(l), ...constant(n), OP.i32Add, ...set(l)];
/** BYTE = memory[IN++] */
const take = [...get(IN), OP.i32Load8U, 0, 0, ...set(BYTE), ...add(IN, 1)];
/** memory[OUT++] = BYTE */
const put = [...get(OUT), ...get(BYTE), OP.i32Store8, 0, 0, ...add(OUT, 1)];
/** branch to the enclosing label `depth` when BYTE is (not) `byte` */
const branchIfByte = (byte: number, depth: number): number[] => [...get(BYTE), ...constant(byte), OP.i32Eq, OP.brIf, depth];
const branchIfNotByte = (byte: number, depth: number): number[] => [...get(BYTE), ...constant(byte), OP.i32Ne, OP.brIf, depth];
/** branch to `depth` once every byte is read */
const branchIfAllRead = (depth: number): number[] => [...get(IN), ...get(LEN), OP.i32GeU, OP.brIf, depth];
/** branch to `depth` when fewer than 8 bytes are left to read */
const branchIfNoWord = (depth: number): number[] => [...get(IN), ...constant(8), OP.i32Add, ...get(LEN), OP.i32GtU, OP.brIf, depth];
const loadWord = [...get(IN), OP.i64Load, 0, 0, ...set(WORD)];
/** non-zero when WORD has a byte `byte`: the classic test for a zero byte, ((x - 0x01..) & ~x & 0x80..), of
 * x = WORD ^ byte in every place; exact for whether there is one */
const hasByte = (byte: number): number[] => [
  ...get(WORD), ...everyByte(byte), OP.i64Xor, OP.localTee, SCRATCH,
  ...everyByte(1), OP.i64Sub,
  ...get(SCRATCH), OP.i64Const, ...signedLeb(-1n), OP.i64Xor, OP.i64And,
  ...everyByte(0x80), OP.i64And,
];

// Pretty-printed JSON is mostly string bytes and indentation: both go 8 bytes at a time where they can (a word of
// spaces after a line break is skipped, a word of a string without a quote or backslash copied whole), the rest a
// byte at a time. Labels, innermost first, as the branch depths below count them.
const compactBody = [
  OP.block, VOID, // refuse: answer -1
  OP.block, VOID, // done: answer OUT
  OP.loop, VOID, // token: the next byte outside a string
  ...branchIfAllRead(1),
  ...take,
  // whitespace (and nothing else at or below a space: JSON has no other control character outside strings) is dropped
  ...get(BYTE), ...constant(0x20), OP.i32LeU,
  OP.if, VOID, // [if, token, done, refuse]
  ...get(BYTE), ...constant(0x0a), OP.i32Eq,
  OP.if, VOID, // a line break: skip its indentation by words
  OP.loop, VOID, // [spaces, if, if, token]
  OP.block, VOID, // [not spaces, spaces, ...]
  ...branchIfNoWord(0),
  ...loadWord,
  ...get(WORD), ...everyByte(0x20), OP.i64Ne, OP.brIf, 0,
  ...add(IN, 8),
  OP.br, 1,
  OP.end,
  OP.end,
  OP.end,
  OP.br, 1, // on to the next token
  OP.end,
  ...put,
  ...branchIfNotByte(QUOTE, 0),
  OP.loop, VOID, // string: copied through its closing quote, whitespace in it kept [string, token, done, refuse]
  OP.loop, VOID, // [words, string, token, done, refuse]
  OP.block, VOID, // [bytes, words, ...]: a word holding a quote or backslash is left to the byte loop
  ...branchIfNoWord(0),
  ...loadWord,
  ...hasByte(QUOTE), ...hasByte(BACKSLASH), OP.i64Or, OP.i64Const, 0, OP.i64Ne, OP.brIf, 0,
  ...get(OUT), ...get(WORD), OP.i64Store, 0, 0,
  ...add(IN, 8),
  ...add(OUT, 8),
  OP.br, 1,
  OP.end,
  OP.end,
  OP.loop, VOID, // bytes, to the quote or backslash of the word just left [bytes, string, token, done, refuse]
  ...branchIfAllRead(4), // an unterminated string: not JSON, refused rather than read past its end
  ...take,
  ...put,
  ...get(BYTE), ...constant(BACKSLASH), OP.i32Eq,
  OP.if, VOID, // an escape: its second byte is copied too, whatever it is (\" does not end the string)
  ...branchIfAllRead(5),
  ...take,
  ...put,
  ...branchIfByte(0x75, 5), // \uXXXX
  ...branchIfByte(0x2f, 5), // \/
  OP.br, 2, // on through the string, by words again
  OP.end,
  ...branchIfNotByte(QUOTE, 0),
  OP.end,
  OP.end,
  OP.br, 0,
  OP.end,
  OP.end,
  ...get(OUT), OP.return,
  OP.end,
  ...constant(-1),
  OP.end,
];
const compactCode = [...vector([[1, I32], [2, I64]]), ...compactBody];

const FUNC = 0;
const MEMORY = 2;
const moduleBytes = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32]]), ...vector([[I32]])]])), // type 0: (i32, i32, i32) -> i32
  ...section(3, vector([[0]])), // function 0 has type 0
  ...section(5, vector([[0x00, 1]])), // memory 0: one page to begin with, no maximum
  ...section(7, vector([[...name('compact'), FUNC, 0], [...name('memory'), MEMORY, 0]])),
  ...section(10, vector([[...unsignedLeb(compactCode.length), ...compactCode]])),
]);

// ---- the instance ----
/** The parts of the WebAssembly API used here (the project's types are Node's, which do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { compact: (end: number, from: number, to: number) => number; memory: { buffer: ArrayBuffer; grow: (pages: number) => number } } };
}
const PAGE = 65536;
const COMMA = 0x2c;
const ESCAPE_U = Buffer.from('\\u');
const ESCAPE_SLASH = Buffer.from('\\/');
/** Inputs above this size get a buffer of their own and are left to JSON.stringify: a compactor's memory grows to
 * its largest input and stays so (a matrix merged again may be hundreds of MB). */
export const COMPACT_MAX_BYTES = 64 * 1024 * 1024;

/** One thread's compactor: its memory is where the bytes to compact are read to (room), so that a file goes from the
 * disk to the buffer it is answered in with no buffer of its own (allocating ~1 MB a file, and faulting its pages
 * in, cost more than reading it: 0.35 vs 0.11 ms a 640 KB file). */
export class JsonCompactor {
  private readonly exports: InstanceType<WasmApi['Instance']>['exports'];

  constructor() {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    this.exports = new wasm.Instance(new wasm.Module(moduleBytes)).exports;
  }

  /** Room for `size` bytes: this compactor's memory, valid until the next call of either method; above
   * COMPACT_MAX_BYTES, a new buffer (which `compact` refuses). */
  room(size: number): Uint8Array {
    if (size > COMPACT_MAX_BYTES) return Buffer.allocUnsafe(size);
    const { memory } = this.exports;
    const short = size - memory.buffer.byteLength;
    if (short > 0) memory.grow(Math.ceil(short / PAGE));
    return new Uint8Array(memory.buffer, 0, size);
  }

  /** `json` (JSON that JSON.parse accepted, at the start of `room`'s memory) without whitespace outside strings,
   * compacted in place: a view valid until the next call. Null, and `json` left as it may be, when it holds an escape
   * JSON.stringify writes shorter, is not UTF-8, or is not in this compactor's memory (see above).
   *
   * `lines`: where a results file parsed a case at a time holds its case lines (src/results-lines.ts). Each of them
   * is one case as JSON.stringify wrote it, compact (results-codec.ts resultsFileText), so its value is copied, not
   * scanned: without its indent and the comma after it, joined by commas; only the rest of the file is compacted.
   * Scanning them was ~17% of a merge worker's time per file (0.32 of 1.9 ms, 100 cases). A line someone re-spaced
   * by hand keeps the spaces inside it: the same value, never longer than the file. Any \u or \/ among the lines
   * refuses the whole, as compacting them would have. */
  compact(json: Uint8Array, lines?: CaseLines): Uint8Array | null {
    const { compact, memory } = this.exports;
    if (json.buffer !== memory.buffer || json.byteOffset !== 0 || !(isAscii(json) || isUtf8(json))) return null;
    // the rest, after the case lines (or the whole), is compacted from `rest` on, written from `out` on
    let rest = 0;
    let out = 0;
    if (lines !== undefined && lines.first <= lines.close) {
      const bytes = new Uint8Array(memory.buffer, 0, json.length);
      const body = Buffer.from(memory.buffer, lines.first, lines.close - lines.first);
      if (body.includes(ESCAPE_U) || body.includes(ESCAPE_SLASH)) return null;
      out = compact(lines.first, 0, 0);
      if (out < 0) return null;
      let joined = false;
      eachCaseLine(bytes, lines, (from, to) => {
        if (joined) bytes[out++] = COMMA;
        joined = true;
        bytes.copyWithin(out, from, to);
        out += to - from;
      });
      rest = lines.close;
    }
    const length = compact(json.length, rest, out);
    return length < 0 ? null : new Uint8Array(memory.buffer, 0, length);
  }
}

let shared: JsonCompactor | undefined;

/** `json` (JSON that JSON.parse accepted) compacted (JsonCompactor.compact), as a new buffer; null when refused. */
export function compactJson(json: Uint8Array): Buffer | null {
  shared ??= new JsonCompactor();
  const room = shared.room(json.length);
  room.set(json);
  const out = shared.compact(room);
  return out === null ? null : Buffer.from(out);
}
