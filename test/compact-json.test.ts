// The compactor merge copies results files with (src/compact-json.ts): whitespace between tokens goes, whatever is
// inside strings stays (spaces, escaped quotes, escaped backslashes before a closing quote, non-ASCII), and where the
// copy would be longer than JSON.stringify's it refuses. Pure: bytes in, bytes (or null) out.
import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPACT_MAX_BYTES, compactJson, JsonCompactor } from '../src/compact-json.js';
import { type CaseLines, parseCaseLines } from '../src/results-lines.js';

const compact = (text: string): string | null => {
  const out = compactJson(Buffer.from(text, 'utf8'));
  return out === null ? null : out.toString('utf8');
};

describe('compactJson', () => {
  it('drops whitespace between tokens and keeps it inside strings, past escaped quotes and backslashes', () => {
    // a naive stripper loses the spaces in strings; one that ignores escapes ends the string at \" (and then strips
    // " g"); one that takes every \ before " as an escape runs on past "h\\" into the next key
    const text = '{ "a b" : "c  d",\n\t"e\\"f g": [ "h\\\\" , "i" ],\r\n "j" : { "k\\\\\\"": " } " } }';
    expect(compact(text)).toBe('{"a b":"c  d","e\\"f g":["h\\\\","i"],"j":{"k\\\\\\"":" } "}}');
    expect(JSON.parse(compact(text) ?? '')).toEqual(JSON.parse(text));
  });

  it('copies UTF-8 as it is, numbers as written, and true, false, null', () => {
    expect(compact('{ "é 日本": [ 1.50, -0, 2e3, true, false, null ], "\u2028": "👍 x" }')).toBe('{"é 日本":[1.50,-0,2e3,true,false,null],"\u2028":"👍 x"}');
  });

  it('is what JSON.stringify writes compact, for whatever it wrote pretty-printed (or refuses its \\u escapes)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 1, 2, '\t'), (value, indent) => {
        const compactText = JSON.stringify(value);
        const out = compact(JSON.stringify(value, null, indent));
        if (out === null) expect(compactText).toContain('\\u');
        else expect(out).toBe(compactText);
      }),
      { numRuns: 500 },
    );
  });

  it('finds quotes, escapes and the end of the input at every place in an 8-byte word (strings and indentation go by words)', () => {
    for (let k = 0; k < 20; k += 1) {
      const a = 'a'.repeat(k);
      const value = { [`${a}"`]: [`${a}\\`, `x${a}\\"${a} `, a], [a]: `${' '.repeat(k)}y` };
      for (const indent of [k, '\t'.repeat(k % 3) + ' '.repeat(k)]) {
        const text = JSON.stringify(value, null, indent);
        expect(compact(text)).toBe(JSON.stringify(value));
        // the input ending anywhere in a word
        expect(compact(`${text}${' '.repeat(k)}`)).toBe(JSON.stringify(value));
        expect(compact(`["${a}`)).toBeNull();
      }
    }
  });

  it('refuses what JSON.stringify writes shorter: \\u escapes and "\\/"; and bytes that are not UTF-8', () => {
    expect(compact('["\\u00e9"]')).toBeNull();
    expect(compact('["\\u0001"]')).toBeNull();
    expect(compact('["a\\/b"]')).toBeNull();
    expect(compactJson(Buffer.from([0x22, 0xff, 0x22]))).toBeNull();
    // an escaped backslash before "u" or "/" is no such escape
    expect(compact('["\\\\u0041", "\\\\/"]')).toBe('["\\\\u0041","\\\\/"]');
  });

  it('refuses an unterminated string rather than read past the end', () => {
    expect(compact('["abc')).toBeNull();
    expect(compact('["abc\\')).toBeNull();
  });
});

describe('JsonCompactor', () => {
  it('compacts in its own memory, grown for a larger input, and refuses bytes outside it', () => {
    const c = new JsonCompactor();
    const small = '[ 1, 2 ]';
    const room = c.room(small.length);
    room.set(Buffer.from(small));
    expect(Buffer.from(c.compact(room) ?? []).toString()).toBe('[1,2]');
    // more than the first page (64 KiB): the memory grows, and the bytes read into it are compacted
    const big = JSON.stringify({ list: Array.from({ length: 20_000 }, (_, i) => `item ${i}`) }, null, 2);
    const bigRoom = c.room(big.length);
    bigRoom.set(Buffer.from(big));
    expect(Buffer.from(c.compact(bigRoom) ?? []).toString()).toBe(JSON.stringify(JSON.parse(big)));
    expect(c.compact(Buffer.from(small))).toBeNull();
    // above the limit, a buffer of its own, which it does not compact
    const huge = c.room(COMPACT_MAX_BYTES + 1);
    expect(huge.length).toBe(COMPACT_MAX_BYTES + 1);
    expect(c.compact(huge.subarray(0, 2))).toBeNull();
  });
});

describe('JsonCompactor with case lines (a results file parsed a case at a time)', () => {
  /** `text` read into a compactor's memory and compacted with the case lines parseCaseLines found in it */
  const withLines = (text: string): { lines: string | null; scanned: string | null } => {
    const c = new JsonCompactor();
    const bytes = Buffer.from(text, 'utf8');
    const parsed = parseCaseLines(bytes, isAscii(bytes));
    expect(parsed).toBeDefined();
    const run = (lines: CaseLines | undefined): string | null => {
      const room = c.room(bytes.length);
      room.set(bytes);
      const out = c.compact(room, lines);
      return out === null ? null : Buffer.from(out).toString('utf8');
    };
    return { lines: run(parsed?.lines), scanned: run(undefined) };
  };

  it('gives the bytes compacting the whole gives, JSON.stringify\'s, for every committed results file', () => {
    const dir = fileURLToPath(new URL('../results/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      const { lines, scanned } = withLines(text);
      expect(lines, f).toBe(scanned);
      expect(lines, f).toBe(JSON.stringify(JSON.parse(text)));
    }
  });

  it('copies each line\'s value as it is, without its indent, the spaces around it and its comma, and no case at all', () => {
    const file = (cases: string[]): string => `{\n  "schema": "x",\n  "cases": [\n${cases.map((c) => `    ${c}`).join(',\n')}${cases.length > 0 ? '\n' : ''}  ],\n  "end": [ 1 ]\n}\n`;
    // a line re-spaced inside keeps its spaces (copied, not scanned); around it they go
    const { lines, scanned } = withLines(file(['{"a":1}', '{"b": [ 2 ]}  ', '\t{"c":"d e"}']));
    expect(lines).toBe('{"schema":"x","cases":[{"a":1},{"b": [ 2 ]},{"c":"d e"}],"end":[1]}');
    expect(scanned).toBe('{"schema":"x","cases":[{"a":1},{"b":[2]},{"c":"d e"}],"end":[1]}');
    expect(JSON.parse(lines ?? '')).toEqual(JSON.parse(scanned ?? ''));
    expect(withLines(file([])).lines).toBe('{"schema":"x","cases":[],"end":[1]}');
  });

  it('refuses a \\u or \\/ escape in a line, as compacting it would, and in the rest of the file', () => {
    const file = (line: string, rest = 'x'): string => `{\n  "schema": "${rest}",\n  "cases": [\n    {"a":1},\n    ${line}\n  ]\n}\n`;
    expect(withLines(file('{"b":"\\u0041"}'))).toEqual({ lines: null, scanned: null });
    expect(withLines(file('{"b":"\\/"}'))).toEqual({ lines: null, scanned: null });
    expect(withLines(file('{"b":"\\\\"}')).lines).toBe('{"schema":"x","cases":[{"a":1},{"b":"\\\\"}]}');
    expect(withLines(file('{"b":1}', '\\/')).lines).toBeNull();
  });
});
