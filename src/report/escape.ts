// Escaping for every output format. Everything a report prints comes from a results file, and results files carry
// text from spec files, which arrive in pull requests: titles, quotes, reasons, even mapping names are untrusted.
// Each format gets one function per context it writes into; renderers never concatenate raw text.

/** Quotes keep the document's line breaks; a report line wants one line. */
export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

// Characters no text report may carry raw: C0 controls but tab and line feed (ESC starts the sequences that move a
// terminal's cursor, erase lines, retitle the window or set the clipboard (OSC 52); CR rewrites a line; NUL and BEL
// are invalid in XML and noise elsewhere), DEL, the C1 controls (U+0080-U+009F: 8-bit CSI and OSC to some
// terminals), and the bidirectional overrides that make text read differently from what it is ("Trojan source").
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Each unsafe character as its visible escape, `\x1b` or `\u202e`: the reader sees that it was there, and no
 * terminal or renderer acts on it. Tab and line feed are kept; one-line contexts fold them with oneLine. */
export const visibleControls = (s: string): string =>
  s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });

/** Untrusted text on one terminal line: white space (line breaks included, which could forge report lines) folded,
 * controls made visible. Every field of the terminal report goes through this. */
export const terminalText = (s: string): string => visibleControls(oneLine(s));

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value (always double-quoted) in HTML. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML[c] ?? c);

/**
 * JSON to embed in a <script type="application/json">: `<`, `>` and `&` as \u escapes, so no `</script>` or `<!--`
 * can end or change the script element; U+2028/2029 too, for readers that eval it as JavaScript.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// XML 1.0 allows tab, LF, CR and most of the BMP and astral planes; anything else (NUL, other C0 controls, lone
// surrogates, U+FFFE/U+FFFF) makes the whole document ill-formed, so it becomes U+FFFD.
const XML_INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text or attribute value in XML: controls made visible first (so NUL, ESC and the C1 controls, which XML 1.0
 * forbids or a CI log would pass to a terminal, survive as `\x00`), then what XML still rejects as U+FFFD. */
export const escapeXml = (s: string): string =>
  visibleControls(s).replace(XML_INVALID, '\uFFFD').replace(/[&<>"']/g, (c) => XML[c] ?? c);

// GitHub turns `@name` into a mention (a notification to that user or team) and `#123` / `GH-123` into a link to
// an issue; a results file must not ping people or cross-link issues from a job summary. Neutralised as Dependabot
// does, with a zero-width space after the sigil written as the entity `&#8203;`: the text reads the same and the
// Markdown source shows why. (Code spans are never linked, so mdCode needs nothing.)
const MENTION = /[&<>]|@(?=[A-Za-z0-9_-])|#(?=[0-9])|(?<=\bGH)-(?=[0-9])/gi;

/**
 * Inline Markdown text (GitHub flavour, which also renders inline HTML): controls made visible, HTML characters as
 * entities, the punctuation that starts emphasis, links, code, tables or strikethrough backslash-escaped, and
 * mentions and issue references neutralised. Lines of a report never start with untrusted text, so block syntax
 * (#, -, 1.) cannot be triggered.
 */
export function mdText(s: string): string {
  return terminalText(s)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(MENTION, (c) => HTML[c] ?? `${c}&#8203;`);
}

/**
 * A Markdown code span holding any text (its content is literal, so no escaping inside but the controls, made
 * visible): the fence is longer than any run of backticks inside. Not for table cells, where a pipe would still
 * split the cell; use mdText there.
 */
export function mdCode(s: string): string {
  const text = terminalText(s);
  if (text === '') return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || longest > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
