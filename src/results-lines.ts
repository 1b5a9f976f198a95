// JSON.parse of a results file as semconf writes it (src/results-codec.ts resultsFileText: each case on a line of its
// own), a case at a time. The value is JSON.parse's of the whole text; the time is not. The text of a whole file
// (~0.24 MB for 100 cases) is a string of V8's large-object space, given fresh pages each time and freed at the next
// collection: making it cost ~0.35 ms a file here, ~40% of JSON.parse's own time, and a merge makes one per file (its
// workers are ~2 ms a file in all). A case line (~2.4 KB) is an ordinary young string: the 100 of them cost ~0.03 ms.
//
// Any other layout (a file written by hand, pretty-printed by a tool, of version 1) is undefined here, and the caller
// parses the whole text, which also words the error of a text that is not JSON. So is a text in which the split could
// be told from the whole: a line that is not one value, a second key that JSON would read as `cases` (the last of
// duplicate keys wins), a `cases` that is not the top level's.

/** The line that opens the cases, as resultsFileText writes it: a key of the top level, indented by two. */
const OPEN = Buffer.from('\n  "cases": [\n');
/** The line that closes them, `  ]`: a JSON string holds no raw line break, so the first one after the opening is it. */
const CLOSE = Buffer.from('\n  ]');
const COMMA = 0x2c;
const NEWLINE = 0x0a;
/** JSON's whitespace that can stand in a line: space, tab, carriage return */
const isLineSpace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0d;

/** Where the case lines are in a text parseCaseLines took: `first`, the first byte of the first case's line; `close`,
 * the line break that ends the last one (the one before `  ]`; first - 1 when there is no case). Each line from one to
 * the other holds one case's JSON after its indent, and, but the last, a comma after it. */
export interface CaseLines {
  first: number;
  close: number;
}

/** Each case line's value, from `lines.first` to `lines.close` of `text`: `visit(from, to)` with the span of its JSON,
 * without the whitespace around it and the comma after it. False, having stopped there, at a line (but the last)
 * that does not end with its comma. */
export function eachCaseLine(text: Uint8Array, lines: CaseLines, visit: (from: number, to: number) => void): boolean {
  for (let line = lines.first; line <= lines.close; ) {
    const end = text.indexOf(NEWLINE, line);
    // every case but the last ends with the comma that separates it from the next
    const last = end === lines.close;
    if (!last && text[end - 1] !== COMMA) return false;
    let from = line;
    let to = last ? end : end - 1;
    while (from < to && isLineSpace(text[from])) from++;
    while (to > from && isLineSpace(text[to - 1])) to--;
    visit(from, to);
    line = end + 1;
  }
  return true;
}

/** `text` (the bytes of a JSON file; `ascii`: all of them are) parsed as JSON.parse would parse the whole, with where
 * its case lines are; undefined when it is not laid out a case per line (then the caller parses the whole). */
export function parseCaseLines(text: Buffer, ascii: boolean): { value: unknown; lines: CaseLines } | undefined {
  const encoding = ascii ? 'latin1' : 'utf8';
  const open = text.indexOf(OPEN);
  if (open < 0) return undefined;
  const first = open + OPEN.length;
  // the line break that ends the last case (or the opening line, when there is none)
  const close = text.indexOf(CLOSE, first - 1);
  if (close < 0) return undefined;
  try {
    // The rest of the file first, with the cases' array empty (`[` then `  ]`): a file it does not fit costs no case
    // parsed in vain before the whole is.
    const head = text.toString(encoding, 0, first - 1);
    const skeleton = head + text.toString(encoding, close + 1);
    // One key spelled `cases` (a \u escape could spell another), and it is the top level's: its empty array.
    const key = head.length - '"cases": ['.length;
    if (skeleton.indexOf('"cases"') !== key || skeleton.indexOf('"cases"', key + 1) >= 0 || skeleton.includes('\\u')) return undefined;
    const top: unknown = JSON.parse(skeleton);
    if (typeof top !== 'object' || top === null || !Object.hasOwn(top, 'cases')) return undefined;
    const held = (top as { cases: unknown }).cases;
    if (!Array.isArray(held) || held.length !== 0) return undefined;
    const cases: unknown[] = [];
    const lines = { first, close };
    if (!eachCaseLine(text, lines, (from, to) => cases.push(JSON.parse(text.toString(encoding, from, to))))) return undefined;
    (top as { cases: unknown }).cases = cases;
    return { value: top, lines };
  } catch {
    return undefined;
  }
}
