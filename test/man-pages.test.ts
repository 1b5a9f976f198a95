// Quotes of Linux documents are checked against the Linux man-pages installed here (npm test's pretest installs
// manpages-dev when missing): the shipped quotes must all be found, an altered one must be a located error, and a
// page of another release must leave the document unchecked rather than judged on other text.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/spec/lint.js';
import { titleOf } from '../src/spec/man-pages.js';
import { checkQuotes } from '../src/spec/sources.js';

const CLI = join(process.cwd(), 'dist/src/cli.js');
const MAN = '/usr/share/man';
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function specsCopy(edit: (linux: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-man-'));
  temps.push(dir);
  cpSync('specs', dir, { recursive: true });
  const linux = join(dir, 'profiles', 'linux.yaml');
  writeFileSync(linux, edit(readFileSync(linux, 'utf8')));
  return dir;
}

describe('lint --man-pages', () => {
  test('every quote of a shipped document with `man:` is found verbatim in the installed page', () => {
    const catalog = loadCatalog('specs');
    const quotes = checkQuotes(catalog, { manDir: MAN });
    const manDocs = catalog.profiles.flatMap((p) => p.value.documents.filter((d) => d.man !== undefined).map((d) => `${p.value.id}/${d.id}`));
    expect(manDocs.length).toBeGreaterThan(0);
    expect(quotes.problems).toEqual([]);
    expect(quotes.unchecked.filter((u) => manDocs.some((d) => u.startsWith(`${d} `) || u === d))).toEqual([]);
    const linuxClauses = catalog.profiles.find((p) => p.value.id === 'linux')?.value.clauses.length ?? 0;
    expect(quotes.checked).toBeGreaterThanOrEqual(linuxClauses);
  });

  test('an altered quote is an error at its file, line and column, exit 2', () => {
    const dir = specsCopy((s) => s.replace('(Linux 2.6.9 and later) the caller', '(Linux 2.6.8 and later) the caller'));
    const r = spawnSync('node', [CLI, 'lint', '--specs', dir, '--man-pages', MAN], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/profiles\/linux\.yaml:\d+:\d+: clauses\[\d+\]\.quote: quote of mlock\.errors\.enomem-rlimit does not appear verbatim/);
  });

  test('a page of another release leaves the document unchecked, with the reason', () => {
    const dir = specsCopy((s) => s.replace('date: "2023-02-05"', 'date: "2021-03-22"'));
    const r = spawnSync('node', [CLI, 'lint', '--specs', dir, '--man-pages', MAN], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('linux/linux-mlock-2 (the installed mlock.2 is of 2023-02-05 (Linux man-pages 6.03), not the release the profile cites (2021-03-22');
  });

  test('the .TH line gives the date and the source', () => {
    expect(titleOf('.\\" comment\n.TH madvise 2 2023-02-05 "Linux man-pages 6.03"\n.SH NAME')).toEqual({ date: '2023-02-05', source: 'Linux man-pages 6.03' });
    expect(titleOf('.SH NAME')).toBeUndefined();
  });
});
