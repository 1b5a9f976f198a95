// A results file parsed a case at a time (src/results-lines.ts) is the value JSON.parse makes of the whole text, or
// nothing (then the caller parses the whole): on the committed results, on texts with one edit each anywhere (around
// the line breaks and brackets the split relies on most of all), and on the layouts it must not be fooled by.
import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeResults, resultsFileText } from '../src/results-codec.js';
import { parseCaseLines } from '../src/results-lines.js';
import { readResults, summarise, type Results } from '../src/results.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const committed = readdirSync(RESULTS).filter((f) => f.endsWith('.json'));

/** What the split gives for `text`, and what JSON.parse of the whole gives (or `throws`). */
function both(text: string): { split: unknown; whole: unknown } {
  const bytes = Buffer.from(text, 'utf8');
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = 'throws';
  }
  return { split: parseCaseLines(bytes, isAscii(bytes))?.value, whole };
}

/** The property: nothing, or the whole's value, key for key in the same order. Whether the split gave a value. */
function agrees(text: string): boolean {
  const { split, whole } = both(text);
  if (split === undefined) return false;
  expect(whole).not.toBe('throws');
  expect(JSON.stringify(split)).toBe(JSON.stringify(whole));
  return true;
}

function smallFile(n: number): string {
  const r = readResults(join(RESULTS, committed[0] as string));
  const cases = r.cases.slice(0, n);
  const small: Results = { ...r, cases, summary: summarise(cases, r.profiles.map((p) => p.id)) };
  return resultsFileText(encodeResults(small));
}

describe('a results file parsed a case at a time', () => {
  it('gives JSON.parse\'s value for every committed results file (and is taken, not left to the whole parse)', () => {
    expect(committed.length).toBeGreaterThan(0);
    for (const f of committed) {
      const bytes = readFileSync(join(RESULTS, f));
      const split = parseCaseLines(bytes, isAscii(bytes))?.value;
      expect(split, f).toBeDefined();
      expect(JSON.stringify(split), f).toBe(JSON.stringify(JSON.parse(bytes.toString('utf8'))));
    }
  });

  it('non-ASCII text, decoded as UTF-8 line by line', () => {
    const text = smallFile(3).replace('"title":"', '"title":"é 日本 👍 \u2028 ');
    expect(isAscii(Buffer.from(text))).toBe(false);
    const { split, whole } = both(text);
    expect(split).toBeDefined();
    expect(JSON.stringify(split)).toBe(JSON.stringify(whole));
  });

  it('leaves to the whole parse a layout it cannot tell from the whole', () => {
    const text = smallFile(3);
    const lines = text.split('\n');
    const first = lines.findIndex((l) => l.startsWith('    {"id"'));
    const cases = [
      // a second key `cases`, literal or escaped, after the first: JSON keeps the last
      text.replace(/\n}\n$/, ',\n  "cases": []\n}\n'),
      text.replace(/\n}\n$/, ',\n  "ca\\u0073es": []\n}\n'),
      // `cases` inside another object, laid out the same way
      text.replace('\n  "cases": [\n', '\n  "x": {\n  "cases": [\n').replace(/\n  \],\n/, '\n  ]},\n'),
      // a case over two lines; two cases on one line; a blank line between cases
      [...lines.slice(0, first), lines[first]?.replace('"function":', '\n"function":'), ...lines.slice(first + 1)].join('\n'),
      [...lines.slice(0, first), `${lines[first] ?? ''}${lines[first + 1]?.trim() ?? ''}`, ...lines.slice(first + 2)].join('\n'),
      [...lines.slice(0, first + 1), '', ...lines.slice(first + 1)].join('\n'),
      // no cases (written on one line), and a file of another layout
      text.replace(/\n {2}"cases": \[\n[^]*?\n {2}\],\n/, '\n  "cases": [],\n'),
      JSON.stringify(JSON.parse(text), null, 2),
    ];
    for (const t of cases) {
      const { split } = both(t);
      expect(split, t.slice(0, 80)).toBeUndefined();
      agrees(t);
    }
  });

  it('one edit anywhere: nothing, or the value of the whole', () => {
    const text = smallFile(4);
    const snippets = [',', '\n', ']', '  ]', '\n  ]', '[', '{', '}', '"', ' ', '\\u0063', '"cases": [', '\n  "cases": [\n', '{"cases":[]}', '"cases"', '\n    {"id":"x"},', 'x'];
    // positions near the structure the split reads are drawn more often than the rest
    const marks = [...text.matchAll(/\n|\[|\]|,/g)].map((m) => m.index);
    const position = fc.oneof(fc.nat(text.length), fc.constantFrom(...marks).chain((m) => fc.integer({ min: Math.max(0, m - 2), max: Math.min(text.length, m + 2) })));
    let parsed = 0;
    fc.assert(
      fc.property(position, fc.oneof(fc.constantFrom(...snippets), fc.string({ maxLength: 3 })), fc.nat(4), (at, insert, cut) => {
        const edited = text.slice(0, at) + insert + text.slice(at + cut);
        if (agrees(edited) && edited !== text) parsed += 1;
      }),
      { numRuns: 3000, seed: 7 },
    );
    // the property held on edited texts the split did parse, not only on those it left to the whole parse
    expect(parsed).toBeGreaterThan(300);
  });
});
