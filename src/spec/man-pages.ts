// Copies of documents that are man pages installed on the checking machine (Linux man-pages, package manpages-dev
// on Debian): a profile document with `man: "madvise.2"` is checked against the page rendered by man(1), but only
// when the installed page is the same release the document cites (its .TH date and source), so that a machine with
// another man-pages release reports the quotes as unchecked instead of passing or failing them on other text.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export type ManCopy =
  | { kind: 'text'; text: string }
  /** no such page, or a page of another release: the document's quotes are unchecked, for this reason */
  | { kind: 'unchecked'; why: string };

/** What a .TH line says: `.TH madvise 2 2023-02-05 "Linux man-pages 6.03"`. */
export interface ManTitle {
  date: string;
  source: string;
}

export function titleOf(roff: string): ManTitle | undefined {
  const line = roff.split('\n').find((l) => l.startsWith('.TH '));
  if (line === undefined) return undefined;
  const fields = [...line.slice(4).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return { date: fields[2] ?? '', source: fields[3] ?? '' };
}

/** The page `name.section` under `manDir` (man<section>/, plain or gzip), rendered as plain text, when its release is
 * the one the document names: `date` is the document's date, `version` the profile's version text, which must
 * contain the page's source string ("Linux man-pages 6.03"). */
export function manCopy(manDir: string, page: string, date: string | undefined, version: string): ManCopy {
  const dot = page.lastIndexOf('.');
  const section = page.slice(dot + 1);
  const base = join(manDir, `man${section.charAt(0)}`, page);
  const file = [`${base}.gz`, base].find((f) => existsSync(f));
  if (file === undefined) return { kind: 'unchecked', why: `no page ${page} under ${manDir}` };
  const raw = readFileSync(file);
  const roff = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const title = titleOf(roff);
  if (title === undefined) return { kind: 'unchecked', why: `${file} has no .TH line` };
  if ((date !== undefined && title.date !== date) || !version.includes(title.source)) {
    return { kind: 'unchecked', why: `the installed ${page} is of ${title.date} (${title.source}), not the release the profile cites (${date ?? '?'}, ${version})` };
  }
  // A wide line keeps man(1) from hyphenating words across lines; the quote check folds white space anyway.
  const text = execFileSync('man', ['-l', '-P', 'cat', file], {
    encoding: 'utf8',
    env: { ...process.env, MANWIDTH: '1000', MAN_KEEP_FORMATTING: '', LC_ALL: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return { kind: 'text', text };
}
