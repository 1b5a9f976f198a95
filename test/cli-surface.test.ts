// The command line's surface: --version, did-you-mean, option errors in semconf's words, short flags, --color and
// the colour rules (on a real pseudo-terminal), a reader that closes the pipe early, the exit-code table, and that
// --help / --version load no command module. Real processes of dist/src/cli.js (build first: npx tsc -p .).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs, withShortFlags } from '../src/cli-args.js';
import { COMMAND_NAMES, commandEntry, SHORT_FLAGS } from '../src/cli.js';
import { useColor } from '../src/color.js';
import { EXIT, EXIT_CODES } from '../src/commands/command.js';
import { nearest } from '../src/suggest.js';
import { bundle } from './bundles.js';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const nativeResults = fileURLToPath(new URL('./fixtures/results/native.json', import.meta.url));
const importLog = fileURLToPath(new URL('./fixtures/cli/import-log.mjs', import.meta.url));
const version = (JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

/** The environment of a user with no colour preference (the test runner may set FORCE_COLOR itself). */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
  for (const k of ['FORCE_COLOR', 'NO_COLOR'] as const) if (!Object.hasOwn(extra, k)) delete env[k];
  return env;
}

const semconf = (args: string[], env: NodeJS.ProcessEnv = plainEnv()) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env });

/** Run semconf on a real pseudo-terminal (util-linux `script`), returning what the terminal received. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const quoted = [process.execPath, cli, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qfec', quoted, '/dev/null'], { encoding: 'utf8', env });
  return { status: r.status, output: r.stdout };
}

const ESC = '\x1b';

describe('semconf --version', () => {
  it('--version and -V print the package version and exit 0', () => {
    for (const flag of ['--version', '-V']) {
      const r = semconf([flag]);
      expect(r.status, flag).toBe(EXIT.ok);
      expect(r.stdout, flag).toBe(`${version}\n`);
      expect(r.stderr, flag).toBe('');
    }
  });
});

describe('did-you-mean', () => {
  it('nearest finds a typo (a swap too) and suggests nothing for nonsense', () => {
    const commands = COMMAND_NAMES;
    expect(nearest('rnu', commands)).toBe('run');
    expect(nearest('lnit', commands)).toBe('lint');
    expect(nearest('RUN', commands)).toBe('run');
    expect(nearest('filtr', ['filter', 'format', 'out'])).toBe('filter');
    expect(nearest('frobnicate', commands)).toBeUndefined();
    expect(nearest('du', commands)).toBeUndefined();
    expect(nearest('no-such-flag', ['filter', 'format', 'out', 'jobs', 'specs', 'profile'])).toBeUndefined();
  });

  it('an unknown command is one line with the nearest command and the list, exit 2', () => {
    const r = semconf(['rnu']);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toBe(`semconf: unknown command "rnu"; did you mean "run"? (commands: ${COMMAND_NAMES.join(', ')})\n`);
    const nonsense = semconf(['frobnicate']);
    expect(nonsense.status).toBe(EXIT.usage);
    expect(nonsense.stderr).toBe(`semconf: unknown command "frobnicate" (commands: ${COMMAND_NAMES.join(', ')})\n`);
  });

  it('an unknown option names the option and the command, the nearest option, and the usage line, exit 2', () => {
    const r = semconf(['run', '--filtr', 'x']);
    expect(r.status).toBe(EXIT.usage);
    const [first, second, ...more] = r.stderr.split('\n');
    expect(first).toBe('semconf run: unknown option --filtr; did you mean --filter?');
    expect(second).toMatch(/^usage: semconf run \[--target /);
    expect(more).toEqual(['']);
    expect(r.stderr).not.toContain("'");
    const nonsense = semconf(['run', '--no-such-flag']);
    expect(nonsense.status).toBe(EXIT.usage);
    expect(nonsense.stderr.split('\n')[0]).toBe('semconf run: unknown option --no-such-flag');
    expect(semconf(['lint', '-z']).stderr.split('\n')[0]).toBe('semconf lint: unknown option -z');
  });

  it('a missing value, an option where a value belongs and a value given to a switch are said in our words', () => {
    const cases: [string[], string][] = [
      [['run', '--out'], 'semconf run: --out needs a value'],
      [['run', '-o'], 'semconf run: -o (--out) needs a value'],
      [['run', '--out', '--json'], 'semconf run: --out needs a value, but the next argument is the option --json (for a value that starts with "-", write --out=--json)'],
      [['run', '--json=yes'], 'semconf run: --json is a switch and takes no value (got "yes")'],
      [['report', '--color=blue'], 'semconf report: --color=blue: expected auto, always, never'],
    ];
    for (const [args, line] of cases) {
      const r = semconf(args);
      expect(r.status, args.join(' ')).toBe(EXIT.usage);
      expect(r.stderr.split('\n').slice(0, 1), args.join(' ')).toEqual([line]);
      expect(r.stderr, args.join(' ')).toMatch(/\nusage: semconf \w+ /);
      expect(r.stderr, args.join(' ')).not.toMatch(/Option '|argument missing|ambiguous/);
    }
  });
});

describe('short flags', () => {
  it('the table gives every letter one meaning, and applies to whichever long options a command has', () => {
    const letters = Object.values(SHORT_FLAGS);
    expect(new Set(letters).size).toBe(letters.length);
    const options = withShortFlags({ out: { type: 'string' }, json: { type: 'boolean' } }, SHORT_FLAGS);
    expect(options).toEqual({ out: { type: 'string', short: 'o' }, json: { type: 'boolean' } });
    expect(parseCommandArgs(['-o', 'f.json', '--json'], options)).toEqual({ values: { out: 'f.json', json: true }, positionals: [] });
  });

  it('work on the command line and are listed in each command\'s --help', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-surface-')), 'coverage.json');
    const r = semconf(['coverage', '-f', 'json', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toBeTypeOf('object');
    const req = semconf(['report', '-r', 'nosuch', nativeResults]);
    expect(req.status).toBe(EXIT.usage);
    expect(req.stderr).toContain('--require nosuch: no verdicts for profile "nosuch"');
    const shortForms = (command: string): string[] => /\nshort forms: (.*)\n/.exec(semconf([command, '--help']).stdout)?.[1]?.split(', ') ?? [];
    expect(shortForms('report')).toEqual(expect.arrayContaining(['-f --format', '-r --require', '-o --out']));
    expect(shortForms('run')).toEqual(expect.arrayContaining(['-s --specs', '-p --profile', '-o --out', '-j --jobs', '-t --target']));
    expect(shortForms('lint')).toEqual(['-s --specs', '-f --format']);
    expect(semconf(['lint', '-h']).status).toBe(EXIT.ok);
  });
});

describe('colour', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('useColor: --color first, then FORCE_COLOR, NO_COLOR, TERM=dumb, then whether the stream is a terminal', () => {
    expect(useColor(tty, {}, 'auto')).toBe(true);
    expect(useColor(pipe, {}, 'auto')).toBe(false);
    expect(useColor({}, {}, 'auto')).toBe(false);
    expect(useColor(pipe, {}, 'always')).toBe(true);
    expect(useColor(tty, {}, 'never')).toBe(false);
    expect(useColor(tty, { FORCE_COLOR: '1' }, 'never')).toBe(false);
    expect(useColor(pipe, { NO_COLOR: '1' }, 'always')).toBe(true);
    expect(useColor(pipe, { FORCE_COLOR: '1' }, 'auto')).toBe(true);
    expect(useColor(pipe, { FORCE_COLOR: '' }, 'auto')).toBe(true);
    expect(useColor(tty, { FORCE_COLOR: '0' }, 'auto')).toBe(false);
    expect(useColor(tty, { FORCE_COLOR: 'false' }, 'auto')).toBe(false);
    expect(useColor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1', TERM: 'dumb' }, 'auto')).toBe(true);
    expect(useColor(tty, { NO_COLOR: '1' }, 'auto')).toBe(false);
    expect(useColor(tty, { NO_COLOR: '' }, 'auto')).toBe(true);
    expect(useColor(tty, { TERM: 'dumb' }, 'auto')).toBe(false);
    expect(useColor(tty, { TERM: 'xterm' }, 'auto')).toBe(true);
  });

  it('util-linux script is here to give the tests a real terminal', () => {
    expect(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout).toContain('util-linux');
  });

  it('on a terminal: colour by default; none with NO_COLOR=1, TERM=dumb or --color=never', () => {
    const report = ['report', nativeResults];
    const plain = onTerminal(report, plainEnv());
    expect(plain.status).toBe(EXIT.ok);
    expect(plain.output, 'the terminal run colours (else the checks below prove nothing)').toContain(ESC);
    for (const [what, args, env] of [
      ['NO_COLOR=1', report, plainEnv({ NO_COLOR: '1' })],
      ['TERM=dumb', report, plainEnv({ TERM: 'dumb' })],
      ['--color=never', [...report, '--color=never'], plainEnv()],
      ['--color never', [...report, '--color', 'never'], plainEnv()],
    ] as const) {
      const r = onTerminal([...args], env);
      expect(r.status, what).toBe(EXIT.ok);
      expect(r.output, what).toContain('Divergences from');
      expect(r.output.includes(ESC), what).toBe(false);
    }
  });

  it('piped: no colour by default; colour with FORCE_COLOR=1, --color=always or a bare --color', () => {
    expect(semconf(['report', nativeResults]).stdout).not.toContain(ESC);
    expect(semconf(['report', nativeResults], plainEnv({ FORCE_COLOR: '1' })).stdout).toContain(ESC);
    expect(semconf(['report', nativeResults, '--color=always']).stdout).toContain(ESC);
    const bare = semconf(['report', '--color', nativeResults]);
    expect(bare.status).toBe(EXIT.ok);
    expect(bare.stdout).toContain(ESC);
  });
});

describe('a reader that closes the pipe early', () => {
  /** Start semconf with its stdout (or stderr) a pipe whose reading end is closed before semconf writes a byte;
   * what it wrote on the other stream. */
  function withClosedReader(args: string[], closed: 'stdout' | 'stderr' = 'stdout'): Promise<{ status: number | null; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [cli, ...args], { env: plainEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      child[closed].destroy();
      let other = '';
      child[closed === 'stdout' ? 'stderr' : 'stdout'].setEncoding('utf8').on('data', (s: string) => (other += s));
      child.on('close', (status) => done({ status, stderr: other }));
    });
  }

  it('coverage and report exit with their own code, saying nothing', async () => {
    for (const args of [['coverage', '--format', 'json'], ['report', nativeResults]]) {
      const r = await withClosedReader(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(EXIT.ok);
    }
  });

  it('a closed stderr does not turn a usage error into a crash: exit 2, nothing on stdout', async () => {
    const r = await withClosedReader(['rnu'], 'stderr');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(EXIT.usage);
  });

  it('coverage --format json | head -c1: one byte out, nothing on stderr, exit 0', () => {
    // 80 KB of JSON: more than a pipe holds, so semconf is still writing when head exits
    const script = `set -o pipefail; '${process.execPath}' '${cli}' coverage --format json 2>"$ERR" | head -c1`;
    const err = join(mkdtempSync(join(tmpdir(), 'semconf-surface-')), 'stderr');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: plainEnv({ ERR: err }) });
    expect(r.stdout).toBe('{');
    expect(readFileSync(err, 'utf8')).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('exit codes from one table', () => {
  it('the top-level --help lists every code with its meaning', () => {
    const r = semconf(['--help']);
    expect(r.status).toBe(EXIT.ok);
    for (const e of Object.values(EXIT_CODES)) expect(r.stdout).toContain(`  ${String(e.code).padEnd(3)}  ${e.meaning}\n`);
    expect(r.stdout).not.toContain('exit codes: 0 completed (divergences are findings)');
  });
});

describe('start-up', () => {
  /** The command line is a split bundle (scripts/bundle.ts): a file Node loads from it holds modules, which
   * dist/bundles.json lists (paths relative to the package root). */
  const split = bundle('src/cli.js');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const heldBy = (file: string): string[] => {
    const rel = file.startsWith(root) ? file.slice(root.length) : file;
    const held = rel === 'dist/src/cli.js' ? split.entryInputs : split.chunks?.[rel];
    return held === undefined ? [file] : held.map((f) => `${root}${f}`);
  };
  /** The modules (under dist/ or node_modules) that Node loads for `semconf ...args`, as files of their own or inside
   * the bundle's files. */
  function loadedModules(args: string[]): string[] {
    const r = spawnSync(process.execPath, ['--import', importLog, cli, ...args], { encoding: 'utf8', env: plainEnv() });
    expect(r.status).toBe(EXIT.ok);
    return r.stderr
      .split('\n')
      .filter((l) => l.startsWith('load file://'))
      .flatMap((l) => heldBy(fileURLToPath(l.slice('load '.length))));
  }
  const commandModules = (files: string[]): string[] => files.filter((f) => /dist\/src\/commands\/(?!command\.js)/.test(f)).map((f) => f.replace(/.*\//, ''));

  it('the command line is a split bundle whose files the hook sees', () => {
    expect(split.entryInputs).toContain('dist/src/cli.js');
    expect(loadedModules(['lint', '--help']).some((f) => f.endsWith('dist/src/commands/lint.js'))).toBe(true);
  });

  it('--help and --version load no command module, zod, yaml or koffi', () => {
    for (const args of [['--help'], ['--version']]) {
      const files = loadedModules(args);
      expect(files.some((f) => f.endsWith('dist/src/cli.js')), 'the hook sees the modules').toBe(true);
      expect(commandModules(files), args[0]).toEqual([]);
      expect(files.filter((f) => /node_modules\/(zod|yaml|koffi)\//.test(f)), args[0]).toEqual([]);
    }
  });

  it('a command loads its own module only', () => {
    expect(commandModules(loadedModules(['lint', '--help']))).toEqual(['lint.js']);
  });

  it('the top-level help shows each command\'s own summary', async () => {
    for (const name of COMMAND_NAMES) {
      const entry = commandEntry(name);
      expect(entry, name).toBeDefined();
      if (entry !== undefined) expect((await entry.load()).summary, name).toBe(entry.summary);
    }
  });
});
