// The results file: validated on write and on read, written atomically. Uses a constructed (fake) results object:
// nothing here runs a case.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Results, readResults, ResultsFileError, summarise, writeResults } from '../src/results.js';

const probe = { available: true, method: 'fake' };
export const fakeResults = (): Results => ({
  schema: 'semconf-results/1',
  tool: { name: 'semconf', version: '0.0.0' },
  target: { id: 'fake-target', os: 'fake', release: '1', kernel: '1', arch: 'x', libc: 'fake', runtime: 'native', pageSize: 4096, node: 'v20', koffi: '3' },
  probes: { lockState: probe, residency: probe, lockedTotal: probe, forkChild: probe, execChild: probe },
  specDigest: 'sha256:00',
  profiles: [{ id: 'alpha', name: 'Alpha', version: '1', kind: 'live' }],
  startedAt: '2026-11-23T10:00:00.000Z',
  finishedAt: '2026-11-23T10:00:01.000Z',
  complete: true,
  cases: [
    {
      id: 'mlock.x', function: 'mlock', title: 'x',
      context: { name: 'privileged', spec: 'privileged', established: true, credentials: null },
      status: 'ran', durationMs: 1,
      observed: { before: [], call: { text: 'mlock(buf, 0)', ret: 0, errno: null }, effects: { mappings: {}, lockedBytes: 0 } },
      verdicts: { alpha: { verdict: 'diverges', expected: 'fails EINVAL', observed: 'returns 0' } },
    },
  ],
  summary: { alpha: { conforms: 0, diverges: 1, inconclusive: 0, unspecified: 0, unsupported: 0, skipped: 0, error: 0 } },
});

describe('results files (fake results object)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-results-'));

  it('round-trips through write and read, leaving no temporary file', () => {
    const file = join(dir, 'r.json');
    writeResults(file, fakeResults());
    expect(readResults(file)).toEqual(fakeResults());
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to write an invalid results object and leaves the old file intact', () => {
    const file = join(dir, 'keep.json');
    writeResults(file, fakeResults());
    const before = readFileSync(file, 'utf8');
    const bad = { ...fakeResults(), schema: 'other/9' } as unknown as Results;
    expect(() => writeResults(file, bad)).toThrow();
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses a truncated file with a message naming it', () => {
    const file = join(dir, 'truncated.json');
    writeFileSync(file, JSON.stringify(fakeResults()).slice(0, 200));
    expect(() => readResults(file)).toThrow(ResultsFileError);
    expect(() => readResults(file)).toThrow(/truncated\.json: not a readable JSON results file/);
  });

  it('refuses a hand-edited file with the path of the bad field', () => {
    const file = join(dir, 'edited.json');
    const edited = fakeResults() as unknown as { cases: { verdicts: { alpha: { verdict: string } } }[] };
    (edited.cases[0] as { verdicts: { alpha: { verdict: string } } }).verdicts.alpha.verdict = 'passes';
    writeFileSync(file, JSON.stringify(edited));
    expect(() => readResults(file)).toThrow(/edited\.json: not a valid semconf-results\/1 file: at cases\.0\.verdicts\.alpha\.verdict/);
  });

  it('names the allowed verdict words, and the nearest one, for a misspelt verdict', () => {
    const file = join(dir, 'misspelt.json');
    const edited = fakeResults() as unknown as { cases: { verdicts: { alpha: { verdict: string } } }[] };
    (edited.cases[0] as { verdicts: { alpha: { verdict: string } } }).verdicts.alpha.verdict = 'conform';
    writeFileSync(file, JSON.stringify(edited));
    expect(() => readResults(file)).toThrow(
      `${file}: not a valid semconf-results/1 file: at cases.0.verdicts.alpha.verdict: got "conform"; did you mean "conforms"? expected one of "conforms", "diverges", "inconclusive", "unspecified", "unsupported", "skipped", "error"`,
    );
  });

  it('summarise counts each verdict per profile', () => {
    expect(summarise(fakeResults().cases, ['alpha', 'beta'])).toEqual({
      alpha: { conforms: 0, diverges: 1, inconclusive: 0, unspecified: 0, unsupported: 0, skipped: 0, error: 0 },
      beta: { conforms: 0, diverges: 0, inconclusive: 0, unspecified: 0, unsupported: 0, skipped: 0, error: 0 },
    });
  });
});

describe('a results file must judge every case against exactly its profiles (constructed results)', () => {
  const file = (r: unknown): string => {
    const f = join(mkdtempSync(join(tmpdir(), 'semconf-prof-')), 'r.json');
    writeFileSync(f, JSON.stringify(r));
    return f;
  };

  it('a verdict for a profile the file does not list is refused, naming the case', () => {
    const r = fakeResults();
    const c0 = r.cases[0];
    if (c0 === undefined) throw new Error('fixture has a case');
    c0.verdicts = { beta: c0.verdicts.alpha ?? { verdict: 'conforms', expected: 'x' } };
    const f = file(r);
    expect(() => readResults(f)).toThrow(`${f}: not a valid semconf-results/1 file: at cases.0.verdicts: case mlock.x is judged against beta, but the file lists the profiles alpha`);
  });

  it('a summary of other profiles is refused', () => {
    const r = { ...fakeResults(), profiles: [{ id: 'alpha', name: 'Alpha', version: '1', kind: 'live' }] };
    const f = file({ ...r, summary: {} });
    expect(() => readResults(f)).toThrow(/at summary: the summary counts no profile, but the file lists alpha/);
  });
});

describe('reading a results file', () => {
  it('reads only a regular file: a FIFO is refused at once, never waited on', () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'semconf-fifo-')), 'r.json');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(() => readResults(fifo)).toThrow(`${fifo}: not a regular file; expected a JSON results file`);
  });
});
