// Every text format (terminal, Markdown, diff Markdown, audit Markdown, JUnit XML, the merge summary) fed the
// constructed results file whose every free-text string carries terminal escape sequences, NUL, BEL, CR, DEL, C1
// controls, a bidi override, an @mention and issue references (test/fixtures/results/make-constructed.mjs, 4b).
// No control character may survive as itself: each is shown as its escape (`\x1b`), and GitHub references are
// neutralised in Markdown with a zero-width space written as `&#8203;` (as Dependabot does).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import { diffResults } from '../src/diff.js';
import { asMatrix } from '../src/merge.js';
import { renderAuditMarkdown } from '../src/report/audit-markdown.js';
import { renderCompact } from '../src/report/compact.js';
import { renderDiffMarkdown } from '../src/report/diff-markdown.js';
import { renderDiffTerminal } from '../src/report/diff-terminal.js';
import { mdCode, mdText, terminalText, visibleControls } from '../src/report/escape.js';
import { renderJunit } from '../src/report/junit.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { renderTerminal } from '../src/report/terminal.js';
import { readResults, type Results } from '../src/results.js';
import { fixture, load, scratch, semconf } from './report-fixtures.js';

const hostile = load('constructed-hostile-controls.json');
const native = load('native.json');
const single = (r: Results) => asMatrix({ kind: 'results', results: r }, 'r.json');

// C0 but tab and line feed, DEL, C1 (as code points), and the bidi overrides.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/u;

function firstForbidden(text: string): string | undefined {
  const m = FORBIDDEN.exec(text);
  return m === null ? undefined : `U+${(m[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 10))}`;
}

const FORMATS: Record<string, () => string> = {
  terminal: () => renderTerminal(hostile),
  markdown: () => renderMarkdown(single(hostile), { required: ['hpux'] }),
  'diff markdown': () => renderDiffMarkdown(diffResults(native, hostile, { required: ['linux'], oldFile: 'a.json', newFile: 'b.json' })),
  'diff terminal': () => renderDiffTerminal(diffResults(native, hostile, { required: ['linux'], oldFile: 'a.json', newFile: 'b.json' })),
  'terminal, every verdict listed': () => renderTerminal(hostile, { filter: { verdicts: ['conforms', 'diverges', 'inconclusive', 'unspecified', 'error'] } }),
  'compact, every verdict': () => renderCompact(single(hostile), { filter: { verdicts: ['conforms', 'diverges', 'inconclusive', 'unspecified', 'unsupported', 'skipped', 'error'] } }),
  'audit markdown': () => renderAuditMarkdown(audit(hostile, { from: 'hpux', to: 'linux' })),
  'junit xml': () => renderJunit(single(hostile)),
};

describe('the fixture is hostile where it matters', () => {
  it('carries every control class in titles, reasons, quotes and target facts', () => {
    const c = hostile.cases[0];
    expect(c?.title).toContain('\u001b[2K');
    expect(c?.title).toContain('\u001b]52;');
    expect(hostile.target.os).toContain('\u0000');
    expect(hostile.profiles[0]?.name).toContain('\u009b');
    expect(JSON.stringify(hostile)).toContain('@octocat #123');
  });
});

describe('no control character survives in any text format', () => {
  it.each(Object.keys(FORMATS))('%s', (name) => {
    const text = (FORMATS[name] as () => string)();
    expect(text.length).toBeGreaterThan(1000);
    expect(firstForbidden(text)).toBeUndefined();
    // What was there is still visible, as its escape (Markdown backslash-escapes the backslash and the bracket).
    expect(text).toMatch(/\\\\?x1b\\?\[2K/);
  });

  it('terminal with colour: the only escape sequences are the report\'s own SGR colours', () => {
    const text = renderTerminal(hostile, { color: true });
    const escapes = text.match(/\u001b[^m]*m?/g) ?? [];
    expect(escapes.length).toBeGreaterThan(0);
    for (const e of escapes) expect(e).toMatch(/^\u001b\[\d+m$/);
  });

  it('diff terminal and compact with colour: the only escape sequences are their own SGR colours', () => {
    const texts = [
      renderDiffTerminal(diffResults(native, hostile, { required: ['linux'] }), { color: true }),
      renderCompact(single(hostile), { color: true, filter: { verdicts: ['diverges', 'error'] } }),
    ];
    for (const text of texts) {
      const escapes = text.match(/\u001b[^m]*m?/g) ?? [];
      expect(escapes.length).toBeGreaterThan(0);
      for (const e of escapes) expect(e).toMatch(/^\u001b\[\d+m$/);
    }
  });

  it('terminal: the flaky section escapes what differed too (constructed flaky entry on the hostile file, FAKE)', () => {
    const flaky = structuredClone(hostile);
    const first = flaky.cases[0];
    if (first === undefined) throw new Error('no case');
    first.flaky = { repetitions: 2, differed: [{ what: 'buf\u001b[2K locked', values: ['L\u001b]52;c;eA==\u0007', 'U'] }] };
    const text = renderTerminal(flaky);
    expect(text).toContain('Flaky (behaviour varied between');
    expect(firstForbidden(text)).toBeUndefined();
    expect(text).toContain('buf\\x1b[2K locked L\\x1b]52;c;eA==\\x07 / U');
  });

  it('terminal: a title cannot add or overwrite lines (CR and LF folded, each case one line)', () => {
    const text = renderTerminal(hostile);
    expect(text).not.toContain('\r');
    const titled = text.split('\n').filter((l) => l.includes('owned'));
    for (const l of titled) expect(l).toContain('\\x1b]0;owned\\x07');
  });

  it('the merge summary on stdout', () => {
    const dir = scratch();
    const out = join(dir, 'm.json');
    const r = semconf('merge', fixture('constructed-hostile-controls.json'), '--out', out);
    expect(r.status).toBe(0);
    expect(firstForbidden(r.stdout)).toBeUndefined();
    expect(r.stdout).toContain('\\x00');
  });

  it('every command that prints a text report, through the CLI', () => {
    const file = fixture('constructed-hostile-controls.json');
    for (const args of [
      ['report', file],
      ['report', '--format', 'md', file],
      ['report', '--format', 'junit', file],
      ['audit', '--from', 'hpux', file],
      ['diff', fixture('native.json'), file],
      ['diff', '--format', 'terminal', fixture('native.json'), file],
      ['report', '--compact', '--verdict', 'conforms,diverges,unspecified,error', file],
    ]) {
      const r = semconf(...args);
      expect(r.stdout.length, args.join(' ')).toBeGreaterThan(100);
      expect(firstForbidden(r.stdout), args.join(' ')).toBeUndefined();
      expect(firstForbidden(r.stderr), args.join(' ')).toBeUndefined();
    }
  });
});

describe('GitHub references are neutralised in Markdown', () => {
  const formats = ['markdown', 'diff markdown', 'audit markdown'];
  it.each(formats)('%s: no live @mention, #123 or GH-42', (name) => {
    const text = (FORMATS[name] as () => string)();
    // Outside code spans (never linked by GitHub), no sigil is directly followed by a name or a number.
    const prose = text.replace(/(`+)[\s\S]*?\1/g, '');
    expect(prose).not.toMatch(/(^|[^\w&])@[A-Za-z0-9]/);
    expect(prose).not.toMatch(/(^|[^&])#[0-9]/);
    expect(prose).not.toMatch(/\bGH-[0-9]/i);
    expect(prose).toContain('@&#8203;octocat #&#8203;123 GH-&#8203;42 @&#8203;org/team');
  });
});

describe('the escaping module', () => {
  it('shows each control as its escape, keeping tab and line feed', () => {
    expect(visibleControls('a\u001b[2Kb\u0000\u0007\r\u007f\u0085\u202e\tc\nd')).toBe('a\\x1b[2Kb\\x00\\x07\\x0d\\x7f\\x85\\u202e\tc\nd');
    expect(terminalText('a\r\nb\u001b]0;t\u0007')).toBe('a b\\x1b]0;t\\x07');
  });

  it('Markdown text: references neutralised, an e-mail address and an entity left alone', () => {
    expect(mdText('ping @octocat about #12 and GH-3')).toBe('ping @&#8203;octocat about #&#8203;12 and GH-&#8203;3');
    expect(mdText('root@localhost & <b>')).toBe('root@&#8203;localhost &amp; &lt;b&gt;');
    expect(mdText('issue # 1, C#, x#y')).toBe('issue # 1, C#, x#y');
    expect(mdCode('@octocat \u001b[1A')).toBe('`@octocat \\x1b[1A`');
  });
});

describe('results files are bounded', () => {
  it('a 10 MB title is refused on read, with the field named', () => {
    const data = JSON.parse(readFileSync(fixture('native.json'), 'utf8')) as { cases: { title: string }[] };
    (data.cases[3] as { title: string }).title = 'x'.repeat(10 * 1024 * 1024);
    const file = join(scratch(), 'big-title.json');
    writeFileSync(file, JSON.stringify(data));
    expect(() => readResults(file)).toThrow(/at cases\.3\.title: expected at most 4096 characters/);
    const r = semconf('validate', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/big-title\.json: not a valid semconf-results\/1 file: at cases\.3\.title: expected at most 4096 characters/);
  });

  it('a 10 MB reason likewise (prose fields allow 256 KiB)', () => {
    const data = JSON.parse(readFileSync(fixture('native.json'), 'utf8')) as { cases: { verdicts: Record<string, { reason?: string }> }[] };
    const v = Object.values(data.cases[0]?.verdicts ?? {})[0] as { reason?: string };
    v.reason = 'y'.repeat(10 * 1024 * 1024);
    const file = join(scratch(), 'big-reason.json');
    writeFileSync(file, JSON.stringify(data));
    expect(() => readResults(file)).toThrow(/at cases\.0\.verdicts\.\w+\.reason: expected at most 262144 characters/);
  });

  it('the committed results still validate', () => {
    for (const f of ['linux-x86_64-glibc.json', 'linux-x86_64-glibc-gvisor.json']) {
      expect(() => readResults(join('results', f))).not.toThrow();
    }
  });
});
