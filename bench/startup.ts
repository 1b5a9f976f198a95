// The parent's own fixed cost, for npm run bench (bench/suite.ts): `semconf --help`, `--version`, and `lint` of the
// shipped specs cold (--no-cache) and warm (a cache filled by the run before), each the median of several runs in a
// fresh process, against the bare node start-up timed in turns with its runs (Beside: every timed figure of the bench
// takes its baseline so).
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

/** Every bare node start-up the bench timed, wherever: their median is the baseline of a figure without one of its own. */
const allStarts: number[] = [];

/** The median of every node start-up timed so far in this bench. */
export function benchBaselineMs(): number {
  return median(allStarts);
}

/** A figure's baseline: bare node start-ups (`node -e 0`) timed in turns with the figure's own runs, `k` before each,
 * so that the ratio is against node start-up timed beside it. The host's speed drifts over a bench of minutes (node
 * start-up took 54.7, 81.7 and 88.4 ms in three benches of one hour), and a baseline timed once at the start, for a
 * figure measured minutes later, counted that drift as the figure's. */
export class Beside {
  private readonly starts: number[] = [];

  constructor(private readonly k = 3) {}

  /** `run`, after `k` node start-ups. */
  before<T>(run: () => T): T {
    this.sample();
    return run();
  }

  /** `k` node start-ups, for runs that `before` cannot wrap (async ones). */
  sample(): void {
    for (let i = 0; i < this.k; i += 1) {
      const ms = wall(['-e', '0']);
      this.starts.push(ms);
      allStarts.push(ms);
    }
  }

  /** The median of the start-ups timed beside the figure. */
  get ms(): number {
    return median(this.starts);
  }
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** --help, --version, lint cold and warm: each as measured and as a ratio to node start-up timed beside its runs (one
 * start-up before each run). */
export function startupFigures(cli: string): Figure[] {
  // A cache of its own, so a warm lint is warm because of the run before it, not because of whatever ~/.cache holds.
  const cacheHome = mkdtempSync(join(tmpdir(), 'semconf-bench-cache-'));
  try {
    const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
    /** The median of RUNS runs of `args`, with its baseline. */
    const timed = (args: string[], runEnv: NodeJS.ProcessEnv = process.env): { ms: number; baselineMs: number } => {
      const beside = new Beside(1);
      const t = medianOf(() => beside.before(() => wall(args, runEnv)));
      return { ms: t, baselineMs: beside.ms };
    };
    const figure = (id: string, what: string, t: { ms: number; baselineMs: number }): Figure => ({ id, what, measured: ms(t.ms), ratio: t.ms / t.baselineMs, baselineMs: t.baselineMs });
    const within = (f: Figure): Figure => ({ ...f, target: 'within 1.5 × node start-up', met: (f.ratio ?? Infinity) <= 1.5 });
    const help = timed([cli, '--help']);
    const version = timed([cli, '--version']);
    const cold = timed([cli, 'lint', '--no-cache'], env);
    wall([cli, 'lint'], env);
    const warm = timed([cli, 'lint'], env);
    return [
      within(figure('help', '`semconf --help`', help)),
      within(figure('version', '`semconf --version`', version)),
      figure('lint-cold', '`semconf lint` of the shipped specs, cold (`--no-cache`)', cold),
      { ...figure('lint-warm', '`semconf lint` of the shipped specs, warm cache', warm), ...timeTarget(warm.ms, 200, warm.baselineMs) },
    ];
  } finally {
    rmSync(cacheHome, { recursive: true, force: true });
  }
}

/** One line of the bench's printed output for a figure. */
export function figureLine(f: Figure): string {
  const ratio = f.ratio !== undefined ? `  = ${f.ratio.toFixed(2)} x node start-up${f.baselineMs !== undefined ? ` (${f.baselineMs.toFixed(1)} ms beside it)` : ''}` : '';
  const target = f.target !== undefined ? `  (target: ${f.target}${f.met === undefined ? '' : f.met ? ', met' : ', NOT met'})` : '';
  return `${f.id.padEnd(12)} ${f.what}: ${f.measured}${ratio}${target}`;
}
