// `semconf lint --format github`: one GitHub workflow command per problem, escaped so that no text from a spec file
// can end an annotation or start a command of its own; the exit code is the one of the text format.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/commands/command.js';
import { escapeGithubData, escapeGithubProperty, githubAnnotation } from '../src/spec/annotations.js';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/spec-errors/', import.meta.url));
const lint = (...args: string[]) => spawnSync(process.execPath, [cli, 'lint', ...args], { encoding: 'utf8', timeout: 60_000 });

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** base with the named fixtures laid over it, as in spec-errors.test.ts */
function specsDir(...fixtures: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-lint-format-'));
  tempDirs.push(dir);
  cpSync(join(FIXTURES, 'base'), dir, { recursive: true });
  for (const f of fixtures) cpSync(join(FIXTURES, f), dir, { recursive: true });
  return dir;
}

describe('GitHub workflow-command escaping', () => {
  it('escapes % CR LF in the message, and also : and , in a property', () => {
    expect(escapeGithubData('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext: a, b');
    expect(escapeGithubProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A');
  });

  it('one diagnostic is one ::error line with file, line, col and path: message', () => {
    const line = githubAnnotation({ file: 'specs/a,b:c.yaml', line: 3, col: 7, path: 'cases[0].id', message: 'got "x\ny"; 50%' });
    expect(line).toBe('::error file=specs/a%2Cb%3Ac.yaml,line=3,col=7::cases[0].id: got "x%0Ay"; 50%25');
  });
});

describe('semconf lint --format github', () => {
  it('prints one ::error line per problem on stdout and exits 2, as the text format does', () => {
    const dir = specsDir('profile-bad-kind', 'pages-zero');
    const text = lint('--specs', dir);
    const github = lint('--specs', dir, '--format', 'github');
    expect([text.status, github.status]).toEqual([EXIT.usage, EXIT.usage]);
    expect(github.stdout.split('\n').filter((l) => l !== '')).toEqual([
      `::error file=${join(dir, 'profiles/beta.yaml')},line=6,col=7::kind: got "paper"; expected one of "live", "document-only"`,
      `::error file=${join(dir, 'mlock.yaml')},line=7,col=21::cases[0].memory.buf.pages: got 0; expected at least 1`,
    ]);
    // The text format is the default and is unchanged.
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain(`${join(dir, 'mlock.yaml')}:7:21: cases[0].memory.buf.pages: got 0; expected at least 1`);
  });

  it('a key holding a line break cannot start a workflow command of its own', () => {
    const dir = specsDir();
    const spec = join(dir, 'mlock.yaml');
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('    title: locking zero bytes\n', '    title: locking zero bytes\n    "x\\n::add-mask::secret\\n::warning::forged": 1\n'));
    const r = lint('--specs', dir, '--format', 'github');
    expect(r.status).toBe(EXIT.usage);
    const lines = r.stdout.split(/\r?\n|\r/).filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error file=.*,line=6,col=5::cases\[0\]\.x%0A::add-mask::secret%0A::warning::forged: unknown key "x\\n::add-mask::secret\\n::warning::forged"; expected one of the keys id,/);
  });

  it('an uncited clause is an annotation at its id in the profile file, exit 1', () => {
    // base's profile beta has a clause no case cites (mlock.errors.enomem): lint's coverage rule fails on it.
    const dir = specsDir();
    const r = lint('--specs', dir, '--format', 'github');
    expect(r.status).toBe(EXIT.failed);
    expect(r.stdout).toContain(`::error file=${join(dir, 'profiles/beta.yaml')},line=15,col=9::clauses[1].id: clause "mlock.errors.enomem" is neither cited by a case nor marked untestable\n`);
  });

  it('an unknown format is a usage error naming the formats', () => {
    const r = lint('--specs', specsDir(), '--format', 'json');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toBe('semconf: --format json: expected one of text, github\n');
  });
});
