// The parent's own fixed cost, for npm run bench (bench/suite.ts): `semconf --help`, `--version`, and `lint` of the
// shipped specs cold (--no-cache) and warm (a cache filled by the run before), each the median of several runs in a
// fresh process, against the bare node start-up measured in the same invocation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, timeTarget } from './results-file.js';

/** Wall time of `node ...args` with `env`; a non-zero exit stops the benchmark. */
function wall(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const RUNS = 7;
const medianOf = (f: () => number): number => median(Array.from({ length: RUNS }, f));

/** The bare node start-up: the baseline of every ratio. */
export function nodeStartMs(): number {
  return medianOf(() => wall(['-e', '0']));
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** --help, --version, lint cold and warm: each as measured and as a ratio to `baseline`. */
export function startupFigures(cli: string, baseline: number): Figure[] {
  // A cache of its own, so a warm lint is warm because of the run before it, not because of whatever ~/.cache holds.
  const cacheHome = mkdtempSync(join(tmpdir(), 'semconf-bench-cache-'));
  try {
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
    const help = medianOf(() => wall([cli, '--help']));
    const version = medianOf(() => wall([cli, '--version']));
    const cold = medianOf(() => wall([cli, 'lint', '--no-cache'], env));
    wall([cli, 'lint'], env);
    const warm = medianOf(() => wall([cli, 'lint'], env));
    const ratio = (x: number): number => x / baseline;
    return [
      { id: 'help', what: '`semconf --help`', measured: ms(help), ratio: ratio(help), target: 'within 1.5 × node start-up', met: ratio(help) <= 1.5 },
      { id: 'version', what: '`semconf --version`', measured: ms(version), ratio: ratio(version), target: 'within 1.5 × node start-up', met: ratio(version) <= 1.5 },
      { id: 'lint-cold', what: '`semconf lint` of the shipped specs, cold (`--no-cache`)', measured: ms(cold), ratio: ratio(cold) },
      { id: 'lint-warm', what: '`semconf lint` of the shipped specs, warm cache', measured: ms(warm), ratio: ratio(warm), ...timeTarget(warm, 200, baseline) },
    ];
  } finally {
    rmSync(cacheHome, { recursive: true, force: true });
  }
}

/** One line of the bench's printed output for a figure. */
export function figureLine(f: Figure): string {
  const ratio = f.ratio !== undefined ? `  = ${f.ratio.toFixed(2)} x node start-up` : '';
  const target = f.target !== undefined ? `  (target: ${f.target}${f.met === undefined ? '' : f.met ? ', met' : ', NOT met'})` : '';
  return `${f.id.padEnd(12)} ${f.what}: ${f.measured}${ratio}${target}`;
}
