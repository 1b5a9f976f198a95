// Quote check: every clause's quote must appear verbatim (white space folded) in its document's copy. Documents
// without a copy in the sources directory are listed as unchecked, never passed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalog } from './catalog.js';
import { InputError, type Diagnostic } from './diagnostics.js';
import { manCopy } from './man-pages.js';
import { readInputFile } from './read.js';

export interface QuoteCheck {
  problems: Diagnostic[];
  checked: number;
  /** documents with no copy given, as "profile/document", or "profile/document (why)" for a man page not checked */
  unchecked: string[];
}

/** Fold white space and the typographic variants man-page converters produce, so layout never hides a match. */
export function fold(text: string): string {
  return text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\\/g, '')
    .replace(/\*\*|\*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Where document copies are: `sourcesDir` for documents with `source:` (the seed pages), `manDir` for documents
 * with `man:` (installed man pages, e.g. /usr/share/man). Either may be absent: its documents are then unchecked. */
export interface CopyDirs {
  sourcesDir?: string;
  manDir?: string;
}

export function checkQuotes(catalog: Catalog, dirs: CopyDirs): QuoteCheck {
  const result: QuoteCheck = { problems: [], checked: 0, unchecked: [] };
  for (const p of catalog.profiles) {
    const copies = new Map<string, string | null>();
    p.value.documents.forEach((d, i) => {
      if (d.man !== undefined && dirs.manDir !== undefined) {
        const copy = manCopy(dirs.manDir, d.man, d.date, p.value.version);
        copies.set(d.id, copy.kind === 'text' ? fold(copy.text) : null);
        if (copy.kind === 'unchecked') result.unchecked.push(`${p.value.id}/${d.id} (${copy.why})`);
        return;
      }
      const file = d.source === undefined || dirs.sourcesDir === undefined ? undefined : join(dirs.sourcesDir, d.source);
      if (file === undefined) {
        copies.set(d.id, null);
        result.unchecked.push(`${p.value.id}/${d.id}`);
      } else if (!existsSync(file)) {
        result.problems.push(p.source.at(['documents', i, 'source'], `no copy of the document at ${file}`));
        copies.set(d.id, null);
      } else {
        // `source` comes from the profile: a copy must be a regular file inside the sources directory (no
        // ../../etc/shadow, no /dev/zero), within the size limit.
        try {
          copies.set(d.id, fold(readInputFile(file, dirs.sourcesDir ?? '')));
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          const why = e.diagnostics.map((x) => x.message).join('; ');
          result.problems.push(p.source.at(['documents', i, 'source'], `the copy at ${file} cannot be read: ${why}`));
          copies.set(d.id, null);
        }
      }
    });
    p.value.clauses.forEach((c, i) => {
      const text = copies.get(c.document);
      if (text === null || text === undefined) return;
      result.checked += 1;
      if (!text.includes(fold(c.quote))) {
        result.problems.push(p.source.at(['clauses', i, 'quote'], `quote of ${c.id} does not appear verbatim in its document's copy`));
      }
    });
  }
  return result;
}
