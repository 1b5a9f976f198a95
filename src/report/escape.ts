// Escaping for every output format. Everything a report prints comes from a results file, and results files carry
// text from spec files, which arrive in pull requests: titles, quotes, reasons, even mapping names are untrusted.
// Each format gets one function per context it writes into; renderers never concatenate raw text.

/** Quotes keep the document's line breaks; a report line wants one line. */
export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

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

/** Text or attribute value in XML. */
export const escapeXml = (s: string): string => s.replace(XML_INVALID, '\uFFFD').replace(/[&<>"']/g, (c) => XML[c] ?? c);

/**
 * Inline Markdown text (GitHub flavour, which also renders inline HTML): HTML characters as entities, and the
 * punctuation that starts emphasis, links, code, tables or strikethrough backslash-escaped. Lines of a report never
 * start with untrusted text, so block syntax (#, -, 1.) cannot be triggered.
 */
export function mdText(s: string): string {
  return oneLine(s)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => HTML[c] ?? c);
}

/**
 * A Markdown code span holding any text (its content is literal, so no escaping inside): the fence is longer than
 * any run of backticks inside. Not for table cells, where a pipe would still split the cell; use mdText there.
 */
export function mdCode(s: string): string {
  const text = oneLine(s);
  if (text === '') return '';
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || longest > 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
