// semconf merge: results files of many machines (or earlier matrices) → one semconf-matrix/2 file.
import { resolve } from 'node:path';
import { type MergeFile, mergeFiles } from '../merge-files.js';
import { toolVersion } from '../package-info.js';
import { terminalText } from '../report/escape.js';
import { type Command, EXIT, str, UsageError } from './command.js';

export const mergeCommand: Command = {
  summary: 'merge results files from many machines into one cross-target matrix (semconf-matrix/2)',
  usage: `semconf merge FILE... --out MATRIX.json [--prefer FILE]... [--specs DIR] [--expect NAME[=FILE],...]...

  FILE          results files (semconf-results/2 or /1) or matrices to merge again; each is validated
  --out FILE    the matrix to write (atomically)
  --prefer F    when several files hold results for one target id, F wins; repeatable. Without it such a clash is
                refused (exit 2)
  --specs DIR   compare every target's spec digest with this catalog's (default: the digest most targets ran,
                or the newest run's on a tie). A target run against another spec is kept and marked stale
  --expect E    what the matrix should hold, comma-separated, repeatable: NAME=FILE (a CI job whose results are
                FILE, one of the FILEs merged) or NAME (a job that sent none, or a target id). A name nothing
                satisfies is recorded and reported as "missing: no results"; the matrix is then not complete`,
  positionals: true,
  options: { out: { type: 'string' }, prefer: { type: 'string', multiple: true }, specs: { type: 'string' }, expect: { type: 'string', multiple: true } },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('merge takes one or more results files');
    const out = str(values.out);
    if (out === undefined) throw new UsageError('merge needs --out MATRIX.json');
    const seen = new Map<string, string>();
    const files: MergeFile[] = [];
    for (const file of positionals) {
      const path = resolve(file);
      const twice = seen.get(path);
      if (twice !== undefined) throw new UsageError(`${file}: given twice (also as ${twice})`);
      seen.set(path, file);
      files.push({ file, path });
    }
    const prefer = Array.isArray(values.prefer) ? values.prefer.map((p) => resolve(p)) : [];
    const specs = str(values.specs);
    const expect = expectations(values.expect, seen);
    const matrix = await mergeFiles(files, out, {
      prefer,
      ...(expect !== undefined ? { expect } : {}),
      // the catalog (YAML, the spec schemas) is loaded only when asked for: merge's own start is its workers'
      ...(specs !== undefined ? { specsDigest: (await import('../spec/lint.js')).loadCatalog(specs).digest } : {}),
      createdAt: new Date().toISOString(),
      toolVersion: toolVersion(),
    });
    process.stdout.write(`${out}: ${matrix.targets.length} target(s), spec reference ${matrix.specDigest.value.slice(0, 19)} (${matrix.specDigest.basis})\n`);
    for (const t of matrix.targets) {
      const r = t.facts.target;
      const state = [t.complete ? 'complete' : 'INCOMPLETE', t.stale ? 'STALE' : ''].filter((s) => s !== '').join(', ');
      // Target facts and notes come from the results files: printed as text, never as terminal commands.
      const s = terminalText;
      const facts = `${s(t.id)}  ${s(r.os)} ${s(r.release)}, ${s(r.libc)}, ${s(r.arch)}, runtime ${s(r.runtime)}`;
      process.stdout.write(`  ${facts}: ${t.facts.caseIds.length} cases, ${state}  (${terminalText(t.source)})\n`);
      for (const n of t.notes) process.stdout.write(`    ${terminalText(n)}\n`);
    }
    for (const e of matrix.expected ?? []) {
      process.stdout.write(`  expected ${e.name}: ${e.targets.length > 0 ? e.targets.join(', ') : 'MISSING: no results'}\n`);
    }
    return EXIT.ok;
  },
};

/** --expect values: NAME or NAME=FILE, comma-separated; FILE must be one of the files merged (`merged`: absolute
 * path → as given). undefined when --expect was not given. */
export function expectations(values: unknown, merged: ReadonlyMap<string, string>): { name: string; path?: string }[] | undefined {
  if (!Array.isArray(values)) return undefined;
  return values
    .flatMap((v) => String(v).split(','))
    .filter((v) => v.trim() !== '')
    .map((v) => {
      const eq = v.indexOf('=');
      const name = (eq === -1 ? v : v.slice(0, eq)).trim();
      if (name === '') throw new UsageError(`--expect ${v}: no name before "="`);
      if (eq === -1) return { name };
      const path = resolve(v.slice(eq + 1));
      if (!merged.has(path)) throw new UsageError(`--expect ${v}: ${v.slice(eq + 1)} is not one of the files being merged`);
      return { name, path };
    });
}
