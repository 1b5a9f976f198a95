// semconf diff on real results files (two runs of the suite, a run against a changed spec) and on constructed,
// labelled copies that regress or drift. Both exit codes, and 2 for bad input.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultDiffFormat } from '../src/commands/diff.js';
import { type Diff, diffResults } from '../src/diff.js';
import { renderDiffMarkdown } from '../src/report/diff-markdown.js';
import { renderDiffTerminal } from '../src/report/diff-terminal.js';
import type { CaseResult, Results } from '../src/results.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

/** (constructed) a copy of a real results file with one case edited: FAKE, for the pure diff only. */
function edited(name: string, id: string, edit: (c: CaseResult) => void): Results {
  const r = structuredClone(load(name));
  const c = r.cases.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no case ${id} in ${name}`);
  edit(c);
  return r;
}
const effectsOf = (c: CaseResult): NonNullable<CaseResult['observed']>['effects'] => {
  if (c.observed === undefined) throw new Error(`${c.id} has no observation`);
  return c.observed.effects;
};

describe('diffResults', () => {
  it('real native and gVisor runs: what gVisor cannot observe is visibility, not a change of behaviour', () => {
    const d = diffResults(load('native.json'), load('gvisor.json'));
    const parts = new Set(d.changed.flatMap((c) => c.observation.map((o) => o.part)));
    expect(d.changed.length).toBeGreaterThan(0);
    expect(parts).toEqual(new Set(['visibility']));
    expect(d.changed.flatMap((c) => c.observation).every((o) => o.new === '?' && o.old !== '?')).toBe(true);
    expect(d.unexplained).toEqual([]);
  });

  it('two real runs of the same suite on the same machine: nothing changed', () => {
    const d = diffResults(load('native.json'), load('native-rerun.json'), { required: ['linux'] });
    expect(d).toMatchObject({ specChanged: false, facts: [], added: [], removed: [], changed: [], flaky: [], regressions: [], unexplained: [], failing: false });
    expect(d.environment.map((e) => e.what)).toContain('duration');
  });

  it('a real run against a changed spec: the observation change is explained, expectation changes are listed', () => {
    const d = diffResults(load('native.json'), load('spec-changed.json'));
    expect(d.specChanged).toBe(true);
    expect(d.facts.map((f) => f.field)).toEqual(['specDigest']);
    expect(d.failing).toBe(false);
    const zero = d.changed.find((c) => c.id === 'mlock.zero-length');
    expect(zero?.unexplained).toBe(false);
    expect(zero?.observation).toEqual([
      { part: 'call', what: 'call', old: 'mlock(buf, 0)', new: 'mlock(buf, 1)' },
      { part: 'effect', what: 'buf locked', old: 'UU', new: 'LU' },
      { part: 'effect', what: 'buf resident', old: 'NN', new: 'RN' },
    ]);
    // The worker's own locked total moved with the page that is now locked: environment, shown apart.
    expect(d.environment).toContainEqual({ id: 'mlock.zero-length', what: 'process locked total', old: '0 B', new: '4096 B' });
    expect(zero?.verdicts.map((v) => `${v.profile} ${v.old}→${v.new}`)).toEqual(['linux conforms→diverges', 'posix conforms→diverges', 'qnx conforms→diverges']);
    const nullZero = d.changed.find((c) => c.id === 'mlock.null-zero-length');
    expect(nullZero).toMatchObject({ expectationChanged: true, observation: [], unexplained: false });
    expect(nullZero?.verdicts).toEqual([
      { profile: 'hpux', old: 'diverges', new: 'conforms', expectationChanged: true, oldExpected: 'fails EINVAL or ENOMEM', newExpected: 'returns 0', required: false, regression: false },
    ]);
  });

  it('the same spec change is a regression once linux is required', () => {
    const d = diffResults(load('native.json'), load('spec-changed.json'), { required: ['linux'] });
    expect(d.regressions).toEqual([{ id: 'mlock.zero-length', profile: 'linux', old: 'conforms', new: 'diverges' }]);
    expect(d.failing).toBe(true);
  });

  it('(constructed) an observation that changed under the same spec and expectations fails even with nothing required', () => {
    const d = diffResults(load('native.json'), load('constructed-observation-drift.json'));
    expect(d.changed).toEqual([
      {
        id: 'mlock.zero-length',
        function: 'mlock',
        title: 'zero length at a mapped, page-aligned address',
        observation: [{ part: 'effect', what: 'buf resident', old: 'NN', new: 'RN' }],
        verdicts: [],
        expectationChanged: false,
        unexplained: true,
      },
    ]);
    expect(d.unexplained).toEqual(['mlock.zero-length']);
    expect(d.failing).toBe(true);
  });

  it('(constructed) regression: conforms → diverges and conforms → error for required profiles, and the new kernel', () => {
    const d = diffResults(load('native.json'), load('constructed-regression.json'), { required: ['posix', 'illumos'] });
    expect(d.regressions).toEqual([
      { id: 'mlock.whole-mapping', profile: 'posix', old: 'conforms', new: 'diverges' },
      { id: 'munlock.whole-mapping', profile: 'posix', old: 'conforms', new: 'error' },
    ]);
    expect(d.facts).toEqual([
      { field: 'target.release', old: '6.18.44-fc-v669', new: '6.19.0-constructed' },
      { field: 'target.kernel', old: '#1 SMP PREEMPT_DYNAMIC @0', new: '#2 SMP PREEMPT_DYNAMIC constructed' },
    ]);
    const broken = d.changed.find((c) => c.id === 'munlock.whole-mapping');
    expect(broken?.observation[0]).toEqual({ part: 'status', what: 'status', old: 'ran', new: 'error' });
    // illumos is required but was unspecified, not conforming: unspecified → error is listed, not a regression.
    expect(broken?.verdicts.find((v) => v.profile === 'illumos')).toMatchObject({ old: 'unspecified', new: 'error', regression: false, required: true });
  });

  it('new and removed cases (a real --filter run against the full run), and the gVisor target’s facts', () => {
    const grown = diffResults(load('mlock-only.json'), load('native.json'));
    expect(grown.added.map((c) => c.id)).toEqual(load('native.json').cases.filter((c) => c.function === 'munlock').map((c) => c.id));
    expect(grown.removed).toEqual([]);
    expect(grown.failing).toBe(false);
    const shrunk = diffResults(load('native.json'), load('mlock-only.json'));
    expect(shrunk.removed).toHaveLength(16);
    const gvisor = diffResults(load('native.json'), load('gvisor.json'));
    expect(gvisor.facts.map((f) => f.field)).toEqual(expect.arrayContaining(['target.release', 'target.kernel', 'probes.residency', 'probes.lockedTotal']));
    // Same spec, other kernel: what the probes can no longer see is listed, but is not a change of behaviour.
    expect(gvisor.changed.length).toBeGreaterThan(0);
    expect(gvisor.unexplained).toEqual([]);
  });
});

describe('diffResults: behaviour, environment, flaky (constructed edits of full-suite.json, FAKE)', () => {
  it('the worker’s whole-process locked total after mlockall moved: environment, no change, no failure', () => {
    const moved = edited('full-suite.json', 'mlockall.current', (c) => {
      effectsOf(c).lockedBytes = (effectsOf(c).lockedBytes ?? 0) - 270_336;
    });
    const d = diffResults(load('full-suite.json'), moved);
    expect(d).toMatchObject({ changed: [], flaky: [], unexplained: [], failing: false });
    expect(d.environment).toEqual([{ id: 'mlockall.current', what: 'process locked total', old: '1067315200 B', new: '1067044864 B' }]);
    const md = renderDiffMarkdown(d);
    expect(md).toContain('**✅ no regression and no unexplained behaviour change**');
    expect(md).not.toContain('## Changed cases');
    expect(md).toContain('- process locked total: 1 case(s), e.g. mlockall.current `1067315200 B` → `1067044864 B`\n');
  });

  it('a forked child’s locked total is judged as none/some: 0 → 8192 B is a behaviour change, 8192 → 12288 B is not', () => {
    const some = edited('full-suite.json', 'mlockall.current-not-inherited', (c) => {
      const child = effectsOf(c).child;
      if (child) child.lockedBytes = 8192;
    });
    const d = diffResults(load('full-suite.json'), some);
    expect(d.unexplained).toEqual(['mlockall.current-not-inherited']);
    expect(d.changed[0]?.observation).toEqual([{ part: 'effect', what: 'child locked total', old: 'none', new: 'some' }]);
    expect(d.environment).toContainEqual({ id: 'mlockall.current-not-inherited', what: 'child locked bytes', old: '0 B', new: '8192 B' });
    const more = edited('full-suite.json', 'mlockall.current-not-inherited', (c) => {
      const child = effectsOf(c).child;
      if (child) child.lockedBytes = 12288;
    });
    expect(diffResults(some, more)).toMatchObject({ changed: [], failing: false });
  });

  it('a page state of the case’s own memory is behaviour, whatever the process total does', () => {
    const d = diffResults(
      load('full-suite.json'),
      edited('full-suite.json', 'mlockall.current', (c) => {
        const later = effectsOf(c).mappings.later;
        if (later) later.locked = 'LU';
      }),
    );
    expect(d.unexplained).toEqual(['mlockall.current']);
    expect(d.changed[0]?.observation).toEqual([{ part: 'effect', what: 'later locked', old: 'UU', new: 'LU' }]);
  });

  it('a case flaky in the new run is listed apart with what differed, and its change and regression do not fail', () => {
    const flaky = edited('full-suite.json', 'mlockall.current', (c) => {
      const buf = effectsOf(c).mappings.buf;
      if (buf) buf.locked = 'LU';
      const linux = c.verdicts.linux;
      if (linux) linux.verdict = 'diverges';
      c.flaky = { repetitions: 3, differed: [{ what: 'buf locked', values: ['LL', 'LU', 'LL'] }] };
    });
    const d = diffResults(load('full-suite.json'), flaky, { required: ['linux'] });
    expect(d).toMatchObject({ changed: [], regressions: [], unexplained: [], failing: false });
    expect(d.flaky).toHaveLength(1);
    expect(d.flaky[0]).toMatchObject({
      id: 'mlockall.current',
      old: null,
      new: { repetitions: 3 },
      observation: [{ part: 'effect', what: 'buf locked', old: 'LL', new: 'LU' }],
      verdicts: [{ profile: 'linux', old: 'conforms', new: 'diverges', regression: true }],
    });
    const md = renderDiffMarkdown(d);
    expect(md).toContain('0 case(s) changed, 1 flaky, 0 new, 0 removed; same spec.');
    expect(md).toContain(
      '## Flaky cases (their behaviour varied between repetitions of a run: never a failure)\n\n- **mlockall.current**: ' +
        'MCL\\_CURRENT locks a mapping that exists at the call, and not one made after it\n' +
        '  - flaky in the new run over 3 repetitions: buf locked `LL` / `LU` / `LL`\n  - buf locked: `LL` → `LU`\n' +
        '  - linux: conforms → diverges (required, **regression**)',
    );
  });
});

describe('semconf diff (CLI)', () => {
  it('exit 0: nothing changed', () => {
    const r = semconf('diff', '--require', 'linux', fixture('native.json'), fixture('native-rerun.json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**✅ no regression and no unexplained behaviour change** (required: linux).');
  });

  it('exit 0: a spec change explains the changes, no profile required', () => {
    const r = semconf('diff', fixture('native.json'), fixture('spec-changed.json'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  - call: `mlock(buf, 0)` → `mlock(buf, 1)` (the case changed)');
    expect(r.stdout).toContain('  - hpux: diverges → conforms (expectation changed)');
  });

  it('exit 1: a regression of a required profile', () => {
    const r = semconf('diff', '--require', 'linux', fixture('native.json'), fixture('spec-changed.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('## Regressions\n\n- **mlock.zero-length** linux: conforms → diverges');
    expect(r.stderr).toBe('semconf diff: 1 regression(s) in required profiles\n');
  });

  it('exit 1: (constructed) unexplained behaviour change, reported first', () => {
    const r = semconf('diff', fixture('native.json'), fixture('constructed-observation-drift.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('**the behaviour changed with the same spec and the same expectations: the target behaves differently**');
    expect(r.stderr).toBe('semconf diff: 1 unexplained behaviour change(s): mlock.zero-length\n');
  });

  it('--format json --out: the whole diff, written atomically', () => {
    const dir = scratch();
    const out = join(dir, 'diff.json');
    const r = semconf('diff', '--format', 'json', '--out', out, '--require', 'posix', fixture('native.json'), fixture('constructed-regression.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const d = JSON.parse(readFileSync(out, 'utf8')) as Diff;
    expect(d.schema).toBe('semconf-diff/1');
    expect(d.regressions).toHaveLength(2);
    expect(readdirSync(dir)).toEqual(['diff.json']);
  });

  it.each([
    [['diff', fixture('native.json')], 'diff takes two results files: OLD NEW'],
    [['diff', fixture('native.json'), fixture('constructed-truncated.json')], 'constructed-truncated.json: not a readable JSON results file'],
    [['diff', fixture('constructed-wrong-schema.json'), fixture('native.json')], 'constructed-wrong-schema.json: not a semconf file'],
    [['diff', '--require', 'macos', fixture('native.json'), fixture('native-rerun.json')], '--require macos: no verdicts for profile "macos"'],
    [['diff', '--format', 'pdf', fixture('native.json'), fixture('native-rerun.json')], '--format pdf: expected one of terminal, md, json, html'],
  ])('exit 2 on bad input %j', (args, message) => {
    const r = semconf(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});

const committed = (name: string): string => fileURLToPath(new URL(`../results/${name}`, import.meta.url));
const cliPath = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));

/** The CLI with its standard output on a pseudo-terminal (util-linux script(1)), as a person at a shell runs it. */
function semconfOnTty(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string } {
  const quoted = [process.execPath, cliPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, ...env } });
  // the terminal turns each line feed into CR LF
  return { status: r.status, stdout: r.stdout.replace(/\r\n/g, '\n') };
}

describe('semconf diff --format terminal', () => {
  it('prints probe text as it is: no Markdown, no HTML entities (clone(&pause), /proc/<pid>/smaps)', () => {
    const args = [committed('linux-x86_64-glibc.json'), committed('linux-x86_64-glibc-gvisor.json')];
    const r = semconf('diff', '--format', 'terminal', ...args);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ {2}probes\.forkChild: +yes \(clone\(&pause\) child of the worker; its \/proc\/<pid>\/smaps VmFlags and VmLck.* → /m);
    expect(r.stdout).toContain('semconf diff: ');
    expect(r.stdout).not.toMatch(/&amp;|&lt;|&#8203;|\*\*|\\_|<details>|^#/m);
    // the same diff in Markdown escapes them, which is why a terminal wants its own form
    expect(semconf('diff', '--format', 'md', ...args).stdout).toContain('clone(&amp;pause)');
  });

  it('aligns each case’s rows, and says what fails first', () => {
    const text = renderDiffTerminal(diffResults(load('native.json'), load('spec-changed.json'), { required: ['linux'], oldFile: 'a.json', newFile: 'b.json' }));
    expect(text).toContain('FAIL: 1 regression(s) in required profiles (required: linux)\n');
    expect(text).toContain('Regressions: 1\n  mlock.zero-length  linux: conforms → diverges\n');
    expect(text).toContain(
      [
        '  mlock.zero-length  zero length at a mapped, page-aligned address',
        '    call:          mlock(buf, 0) → mlock(buf, 1) (the case changed)',
        '    buf locked:    UU → LU',
        '    buf resident:  NN → RN',
        '    linux:         conforms → diverges (required, regression)',
        '    posix:         conforms → diverges',
        '    qnx:           conforms → diverges',
        '  mlock.null-zero-length  zero length at the NULL address (page 0 is not mapped in the test process)',
        '    hpux:           diverges → conforms (expectation changed)',
        '    hpux expected:  fails EINVAL or ENOMEM → returns 0',
      ].join('\n'),
    );
  });

  it('colour only when asked, and then only its own SGR sequences', () => {
    const d = diffResults(load('native.json'), load('spec-changed.json'), { required: ['linux'] });
    expect(renderDiffTerminal(d)).not.toContain('\u001b');
    const coloured = renderDiffTerminal(d, { color: true });
    expect(coloured).toContain('\u001b[31mFAIL: 1 regression(s) in required profiles\u001b[0m');
    for (const e of coloured.match(/\u001b[^m]*m?/g) ?? []) expect(e).toMatch(/^\u001b\[\d+m$/);
  });

  it('the default: terminal on a terminal, Markdown when piped or with --out (FAKE streams: the rule is pure)', () => {
    expect(defaultDiffFormat({ isTTY: true }, undefined)).toBe('terminal');
    expect(defaultDiffFormat({ isTTY: true }, 'diff.md')).toBe('md');
    expect(defaultDiffFormat({ isTTY: false }, undefined)).toBe('md');
    expect(defaultDiffFormat({}, undefined)).toBe('md');
  });

  it('the default through the CLI: plain text on a real pseudo-terminal, coloured unless NO_COLOR; Markdown into --out', () => {
    const args = ['diff', '--require', 'linux', fixture('native.json'), fixture('native-rerun.json')];
    const plain = semconfOnTty(args, { NO_COLOR: '1' });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('OK: no regression and no unexplained behaviour change (required: linux)\n');
    expect(plain.stdout).not.toContain('**');
    expect(plain.stdout).not.toContain('\u001b');
    expect(semconfOnTty(args).stdout).toContain('\u001b[32mOK: no regression');
    const out = join(scratch(), 'diff.md');
    expect(semconfOnTty([...args, '--out', out]).stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('**✅ no regression and no unexplained behaviour change** (required: linux).');
  });
});
