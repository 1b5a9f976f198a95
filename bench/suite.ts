// npm run bench: speed figures, each as a ratio against a baseline measured in the same invocation, never as a timed
// assertion in a test. Figures: the full native suite against a bare node start-up, and the marginal cost of one case
// in a shared worker (the slope between running N and 2N cases).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan, type PlanItem } from '../src/plan.js';
import { loadCatalog } from '../src/spec/lint.js';
import { runItems } from '../src/worker/pool.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');

function timeCommand(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function repeat(n: number, f: () => number): number {
  return median(Array.from({ length: n }, f));
}

async function timeItems(items: PlanItem[]): Promise<number> {
  const t = performance.now();
  const r = await runItems(items, { jobs: 1 });
  if (!r.reports.every((x) => x.outcome.status === 'ran')) throw new Error('a benchmark case did not run');
  return performance.now() - t;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-bench-'));
  try {
    const catalog = loadCatalog(join(ROOT, 'specs'));
    const shared = plan(catalog).filter((i) => !i.isolated);
    const cases = plan(catalog).length;
    const nodeStart = repeat(5, () => timeCommand(['-e', '0']));
    const suite = repeat(3, () => timeCommand([CLI, 'run', '--out', join(dir, 'r.json')]));
    const copies = (n: number): PlanItem[] =>
      Array.from({ length: n }, (_, k) => {
        const base = shared[k % shared.length] as PlanItem;
        return { ...base, key: `${base.key}#${k}` };
      });
    const n = 100;
    const once = median([await timeItems(copies(n)), await timeItems(copies(n)), await timeItems(copies(n))]);
    const twice = median([await timeItems(copies(2 * n)), await timeItems(copies(2 * n)), await timeItems(copies(2 * n))]);
    const perCase = (twice - once) / n;

    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
    console.log(`baseline  bare node start-up (median of 5):           ${ms(nodeStart)}`);
    console.log(`suite     semconf run, ${cases} cases (median of 3):     ${ms(suite)}  = ${(suite / nodeStart).toFixed(1)} x node start-up  (target: whole suite within 1500 ms)`);
    console.log(`worker    ${n} vs ${2 * n} cases in one shared worker:       ${ms(once)} vs ${ms(twice)}  growth x${(twice / once).toFixed(2)} for x2 work`);
    console.log(`marginal  cost of one more case in a shared worker:    ${ms(perCase)}  = ${(perCase / nodeStart).toFixed(3)} x node start-up  (target: under 5 ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
