// semconf merge on real results files (native, gVisor, a --filter subset, a run against a changed spec; the
// constructed copies only carry other target ids so they can sit side by side).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Matrix, readMatrix, readReportInput } from '../src/matrix.js';
import { factsOf, merge, mergeFacts, type MergeInput, referenceDigest } from '../src/merge.js';
import { encodeResults } from '../src/results-codec.js';
import { readResults, ResultsFileError, writeResults } from '../src/results.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

const input = (name: string): MergeInput => ({ source: name, path: fixture(name), results: load(name) });
const options = { createdAt: '2026-11-23T12:00:00.000Z', toolVersion: '0.0.0' };

describe('merge', () => {
  it('keeps every target whole, sorted by id, with its environment and probes', () => {
    const m = merge([input('constructed-gvisor-relabelled.json'), input('native.json')], options);
    expect(Matrix.parse(m)).toEqual(m);
    expect(m.targets.map((t) => t.id)).toEqual(['linux-x86_64-glibc', 'linux-x86_64-glibc-gvisor']);
    expect(m.targets[1]?.results.target).toMatchObject({ release: '4.4.0', runtime: 'gvisor' });
    expect(m.targets[1]?.results.probes.residency.available).toBe(false);
    expect(m.targets[0]?.results).toEqual(load('native.json'));
    expect(m).toMatchObject({ complete: true, specDigest: { basis: 'majority', value: load('native.json').specDigest } });
  });

  it('refuses two results for one target id unless --prefer names the winner', () => {
    expect(() => merge([input('native.json'), input('gvisor.json')], options)).toThrow(
      new ResultsFileError('native.json and gvisor.json both hold results for target "linux-x86_64-glibc"; pass --prefer FILE to say which one wins'),
    );
    const m = merge([input('native.json'), input('gvisor.json')], { ...options, prefer: [fixture('gvisor.json')] });
    expect(m.targets).toHaveLength(1);
    expect(m.targets[0]).toMatchObject({ source: 'gvisor.json', notes: ['preferred over native.json (results for the same target)'] });
    expect(() => merge([input('native.json'), input('gvisor.json')], { ...options, prefer: [fixture('gvisor.json'), fixture('native.json')] })).toThrow(
      /--prefer names more than one of them/,
    );
    expect(() => merge([input('native.json')], { ...options, prefer: [fixture('gvisor.json')] })).toThrow(/not one of the files being merged/);
  });

  it('marks a target run against another spec stale, and one lacking cases incomplete, without dropping either', () => {
    const m = merge(
      [input('native.json'), input('constructed-gvisor-relabelled.json'), input('constructed-partial-relabelled.json'), input('constructed-oldspec-relabelled.json')],
      options,
    );
    const byId = Object.fromEntries(m.targets.map((t) => [t.id, t]));
    expect(m.specDigest).toEqual({ value: load('native.json').specDigest, basis: 'majority', detail: 'held by 3 of 4 targets' });
    expect(byId['linux-x86_64-glibc-oldspec']).toMatchObject({ stale: true, complete: true });
    expect(byId['linux-x86_64-glibc-oldspec']?.notes[0]).toMatch(/^stale: run against spec sha256:\w+, not the reference/);
    expect(byId['linux-x86_64-glibc-partial']).toMatchObject({ stale: false, complete: false });
    expect(byId['linux-x86_64-glibc-partial']?.notes[0]).toMatch(/^incomplete: 16 case\(s\) of the reference set missing: munlock\.whole-mapping, /);
    expect(byId['linux-x86_64-glibc']).toMatchObject({ stale: false, complete: true, notes: [] });
    expect(m.complete).toBe(false);
  });

  it('the reference digest: the catalog’s when given, else the majority, else the newest run on a tie', () => {
    const native = load('native.json');
    const changed = load('spec-changed.json');
    expect(referenceDigest([native, changed]).basis).toBe('newest');
    const newest = [native, changed].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
    expect(referenceDigest([native, changed]).value).toBe(newest?.specDigest);
    expect(referenceDigest([native, changed], 'sha256:catalog')).toMatchObject({ value: 'sha256:catalog', basis: 'specs' });
    const m = merge([input('native.json')], { ...options, specsDigest: 'sha256:catalog' });
    expect(m.targets[0]).toMatchObject({ stale: true, complete: true });
  });

  it('--expect: a job satisfied by its file, one that sent nothing is recorded as missing, a bare target id matches that target', () => {
    const m = merge([input('native.json'), input('constructed-gvisor-relabelled.json')], {
      ...options,
      expect: [
        { name: 'linux-x64', path: fixture('native.json') },
        { name: 'freebsd' },
        { name: 'linux-x86_64-glibc-gvisor' },
        { name: 'linux-x64', path: fixture('constructed-gvisor-relabelled.json') },
      ],
    });
    expect(Matrix.parse(m)).toEqual(m);
    expect(m.expected).toEqual([
      { name: 'linux-x64', targets: ['linux-x86_64-glibc', 'linux-x86_64-glibc-gvisor'] },
      { name: 'freebsd', targets: [] },
      { name: 'linux-x86_64-glibc-gvisor', targets: ['linux-x86_64-glibc-gvisor'] },
    ]);
    // every target itself is complete: only the missing one makes the matrix incomplete
    expect(m.targets.every((t) => t.complete && !t.stale)).toBe(true);
    expect(m.complete).toBe(false);
    const all = merge([input('native.json')], { ...options, expect: [{ name: 'linux-x64', path: fixture('native.json') }] });
    expect(all).toMatchObject({ complete: true, expected: [{ name: 'linux-x64', targets: ['linux-x86_64-glibc'] }] });
    expect(merge([input('native.json')], options)).not.toHaveProperty('expected');
  });

  it('--expect with a file that is not merged is refused; a matrix naming a target it lacks does not validate', () => {
    expect(() => merge([input('native.json')], { ...options, expect: [{ name: 'macos', path: fixture('gvisor.json') }] })).toThrow(
      new ResultsFileError(`--expect macos=${fixture('gvisor.json')}: not one of the files being merged`),
    );
    const m = merge([input('native.json')], { ...options, expect: [{ name: 'macos' }] });
    const forged = { ...m, expected: [{ name: 'macos', targets: ['darwin-arm64-libsystem'] }] };
    expect(Matrix.safeParse(forged).error?.issues[0]?.message).toBe('expected "macos" names target "darwin-arm64-libsystem", which the matrix lacks');
  });

  it('a run that did not complete stays, marked incomplete', () => {
    const r = load('native.json');
    const m = merge([{ source: 'x', path: 'x', results: { ...r, complete: false } }], options);
    expect(m.targets[0]).toMatchObject({ complete: false, notes: ['incomplete: the run did not complete (complete: false in its results file)'] });
  });

  it('mergeFacts decides from each target’s facts alone: the matrix merge() makes, each target carrying what stood for its results', () => {
    const inputs = [input('native.json'), input('constructed-partial-relabelled.json'), input('constructed-oldspec-relabelled.json'), input('gvisor.json')];
    const opts = { ...options, prefer: [fixture('gvisor.json')], expect: [{ name: 'x64', path: fixture('native.json') }, { name: 'bsd' }] };
    const full = merge(inputs, opts);
    // the command's stand-in for results is where they were spooled; here, the input's index
    const planned = mergeFacts(inputs.map((i, k) => ({ source: i.source, path: i.path, facts: factsOf(i.results), results: k })), opts);
    const { targets, ...envelope } = planned;
    expect(targets.map(({ facts: _facts, results, ...t }) => ({ ...t, results: inputs[results]?.results }))).toEqual(full.targets);
    expect({ ...envelope, targets: full.targets }).toEqual(full);
    expect(targets.map((t) => t.results)).toEqual([3, 2, 1]);
  });
});

describe('semconf merge (CLI)', () => {
  it('writes a valid matrix that reads back and feeds the reports', () => {
    const dir = scratch();
    const out = join(dir, 'matrix.json');
    const r = semconf('merge', fixture('native.json'), fixture('constructed-gvisor-relabelled.json'), fixture('constructed-partial-relabelled.json'), '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${out}: 3 target(s), spec reference sha256:`);
    expect(r.stdout).toContain('linux-x86_64-glibc-partial  linux 6.18.44-fc-v669, glibc 2.36, x86_64, runtime native: 21 cases, INCOMPLETE');
    expect(readdirSync(dir)).toEqual(['matrix.json']);
    const m = readMatrix(out);
    expect(m.schema).toBe('semconf-matrix/1');
    expect(m.targets.map((t) => t.source)).toEqual([fixture('native.json'), fixture('constructed-gvisor-relabelled.json'), fixture('constructed-partial-relabelled.json')]);
    expect(semconf('report', '--format', 'html', '--out', join(dir, 'm.html'), out).status).toBe(0);
    const md = semconf('report', '--format', 'md', out);
    expect(md.stdout).toContain('| linux-x86\\_64-glibc-partial | linux 6.18.44-fc-v669 | glibc 2.36 | x86\\_64 | native | 21 | INCOMPLETE |');
  });

  it('--expect: the matrix records every expected job; merge and the Markdown report show a missing one as missing', () => {
    const dir = scratch();
    const out = join(dir, 'matrix.json');
    const gv = fixture('constructed-gvisor-relabelled.json');
    const r = semconf('merge', fixture('native.json'), gv, '--expect', `linux-x64=${fixture('native.json')},freebsd`, '--expect', `gvisor=${gv}`, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  expected linux-x64: linux-x86_64-glibc\n  expected freebsd: MISSING: no results\n  expected gvisor: linux-x86_64-glibc-gvisor\n');
    expect(readMatrix(out)).toMatchObject({ complete: false, expected: [{ name: 'linux-x64' }, { name: 'freebsd', targets: [] }, { name: 'gvisor' }] });
    const md = semconf('report', '--format', 'md', out).stdout;
    expect(md).toContain('Expected 3 target(s), **1 missing**:\n\n- linux-x64: `linux-x86_64-glibc`\n- ❗ freebsd: **missing: no results**\n- gvisor: `linux-x86_64-glibc-gvisor`\n');
    const none = semconf('report', '--format', 'md', fixture('native.json')).stdout;
    expect(none).not.toContain('Expected');
    const bad = semconf('merge', fixture('native.json'), '--expect', `macos=${gv}`, '--out', join(dir, 'x.json'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`--expect macos=${gv}: ${gv} is not one of the files being merged`);
  });

  it('merges a matrix again with more results', () => {
    const dir = scratch();
    const first = join(dir, 'a.json');
    const second = join(dir, 'b.json');
    expect(semconf('merge', fixture('native.json'), '--out', first).status).toBe(0);
    expect(semconf('merge', first, fixture('constructed-gvisor-relabelled.json'), '--out', second).status).toBe(0);
    expect(readMatrix(second).targets.map((t) => [t.id, t.source])).toEqual([
      ['linux-x86_64-glibc', `${first}#linux-x86_64-glibc`],
      ['linux-x86_64-glibc-gvisor', fixture('constructed-gvisor-relabelled.json')],
    ]);
  });

  it('--prefer settles a clash; --specs compares with the catalog', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const r = semconf('merge', fixture('native.json'), fixture('gvisor.json'), '--prefer', fixture('native.json'), '--out', out);
    expect(r.status).toBe(0);
    expect(readMatrix(out).targets[0]?.notes).toEqual([`preferred over ${fixture('gvisor.json')} (results for the same target)`]);
    const specs = fixture('../cli/good');
    const s = semconf('merge', fixture('native.json'), '--specs', specs, '--out', out);
    expect(s.status).toBe(0);
    expect(readMatrix(out)).toMatchObject({ specDigest: { basis: 'specs' }, complete: false, targets: [{ stale: true }] });
  });

  it.each([
    [['merge', fixture('native.json'), fixture('gvisor.json'), '--out', 'OUT'], 'both hold results for target "linux-x86_64-glibc"; pass --prefer FILE to say which one wins'],
    [['merge', fixture('native.json'), fixture('native.json'), '--out', 'OUT'], 'native.json: given twice'],
    [['merge', fixture('native.json'), fixture('constructed-truncated.json'), '--out', 'OUT'], 'constructed-truncated.json: not a readable JSON results file'],
    [['merge', fixture('native.json')], 'merge needs --out MATRIX.json'],
    [['merge', '--out', 'OUT'], 'merge takes one or more results files'],
    [['merge', fixture('native.json'), '--prefer', fixture('gvisor.json'), '--out', 'OUT'], 'not one of the files being merged'],
  ])('exit 2 and nothing written: %j', (args, message) => {
    const dir = scratch();
    const r = semconf(...args.map((a) => (a === 'OUT' ? join(dir, 'm.json') : a)));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a matrix that fails validation is named with the field', () => {
    const dir = scratch();
    const bad = join(dir, 'bad.json');
    const out = join(dir, 'm.json');
    expect(semconf('merge', fixture('native.json'), '--out', out).status).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8')) as { targets: { id: string }[] };
    m.targets[0] = { ...m.targets[0], id: 'somebody-else' };
    writeFileSync(bad, JSON.stringify(m));
    expect(() => readReportInput(bad)).toThrow(`${bad}: not a valid semconf-matrix/2 file: at targets.0.id: "somebody-else" is not the id of its results ("linux-x86_64-glibc")`);
    expect(semconf('report', '--format', 'md', bad).status).toBe(2);
  });

  it('many files: each read and validated on its own, the matrix in target order with every results exactly as validated, no scratch file left', () => {
    const dir = scratch();
    const native = load('native.json');
    // ids in the reverse of the argument order, so the matrix's order is not the order the files were read in
    const files = Array.from({ length: 12 }, (_, k) => {
      const file = join(dir, `in-${k}.json`);
      writeResults(file, { ...native, target: { ...native.target, id: `t-${String(11 - k).padStart(2, '0')}` } });
      return file;
    });
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const out = join(outDir, 'm.json');
    const r = semconf('merge', ...files, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(outDir)).toEqual(['m.json']);
    const m = readMatrix(out);
    expect(m.targets.map((t) => t.source)).toEqual([...files].reverse());
    for (const t of m.targets) expect(t.results).toEqual(readResults(t.source));
    // each results a line, in the order read, as compact JSON of what was validated; then a target a line, in
    // target order, naming its results
    const text = readFileSync(out, 'utf8').split('\n');
    const results = text.filter((l) => l.startsWith('    {"schema":'));
    expect(results).toHaveLength(12);
    // (a boolean each: a mismatch would otherwise print two 40 kB lines)
    const exact = results.map((line, i) => line.trim().replace(/,$/, '') === JSON.stringify(encodeResults(readResults(files[i] ?? ''))));
    expect(exact).toEqual(results.map(() => true));
    const targets = text.filter((l) => l.startsWith('    {"id":')).map((l) => JSON.parse(l.replace(/,$/, '')) as { id: string; results: number });
    expect(targets.map((t) => [t.id, t.results])).toEqual(files.map((_, k) => [`t-${String(k).padStart(2, '0')}`, 11 - k]));
  });

  it('many files with two bad ones: the first bad one in argument order is named, exit 2, nothing written', () => {
    const dir = scratch();
    const native = load('native.json');
    const files = Array.from({ length: 10 }, (_, k) => {
      const file = join(dir, `in-${k}.json`);
      writeResults(file, { ...native, target: { ...native.target, id: `t-${k}` } });
      return file;
    });
    const text = readFileSync(files[3] ?? '', 'utf8');
    // in-3 fails only at validation, after the whole file is parsed; in-8 at once: a later file may fail sooner
    expect(text).toContain('"status":"ran"');
    writeFileSync(files[3] ?? '', text.replace('"status":"ran"', '"status":"walked"'));
    writeFileSync(files[8] ?? '', '{');
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const r = semconf('merge', ...files, '--out', join(outDir, 'm.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${files[3]}: not a valid semconf-results/2 file: at cases.`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('a first file that is bad at once, while the matrix is still being opened: exit 2, nothing left behind', () => {
    const dir = scratch();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{');
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    // the bad file's answer can come before the main thread has loaded the matrix's module and opened the output
    for (let k = 0; k < 3; k++) {
      const r = semconf('merge', bad, fixture('native.json'), '--out', join(outDir, 'm.json'));
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${bad}: not a readable JSON results file`);
      expect(readdirSync(outDir)).toEqual([]);
    }
  });

  it('an output directory that is not there: a bad input is still the error (exit 2), else the output is (exit 1)', () => {
    const dir = scratch();
    const out = join(dir, 'missing', 'm.json');
    const bad = semconf('merge', fixture('native.json'), fixture('constructed-truncated.json'), '--out', out);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('constructed-truncated.json: not a readable JSON results file');
    const good = semconf('merge', fixture('native.json'), '--out', out);
    expect(good.status).toBe(1);
    expect(good.stderr).toContain(`could not write ${out}`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
