// npm run bench: speed figures, each as a ratio against a baseline measured in the same invocation, never as a timed
// assertion in a test. Figures: the full native suite against a bare node start-up; the marginal cost of one case in
// a shared worker (the slope between running N and 5N cases); the gVisor run; `semconf merge` of 1,000 synthetic
// results files of 100 cases each (time and peak memory); the HTML report of a 1,000-target matrix (time, size, peak
// memory) against 250 targets; `semconf --help`, `--version` and `lint` cold and warm (bench/startup.ts); and how each
// figure grows when the work grows; what exploration costs per target (sequences per second). The full bench writes
// its figures to bench/results.json (bench/results-file.ts), which `npm run readme` copies into README's speed table. `--only merge`: the merge figures alone, printed only.
// Issue 13's figures: the suite with reused workers against every case fresh (run --fresh-processes), both in this
// invocation; what one lean worker pins and what mlockall costs in it against a worker with Node's defaults
// (src/worker/lean.ts); `--only suite`: those and the suite figures alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan, type PlanItem } from '../src/plan.js';
import { readResults, type Results, writeResults } from '../src/results.js';
import { loadCatalog } from '../src/spec/lint.js';
import { explore } from '../src/explore/explore.js';
import { runOnTarget, TARGETS, targetProblem } from '../src/target.js';
import { workerCommand } from '../src/worker/lean.js';
import { runItems } from '../src/worker/pool.js';
import { describeFolios, nodeBinaryFolios } from './page-cache.js';
import { BENCH_SCHEMA, type Figure, timeTarget, writeBenchResults } from './results-file.js';
import { Beside, benchBaselineMs, figureLine, startupFigures } from './startup.js';
import { syntheticCases, syntheticResults } from './synthetic.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');
/** The figures of the last full bench, committed: README's speed table is generated from them. */
const RESULTS_FILE = join(ROOT, 'bench/results.json');

/** Wall time of a command. `semconf run` exits 1 when a case broke on the target (gVisor breaks one): that run still
 * completed and is timed; anything else (bad usage 2, a crash) stops the benchmark. */
function timeCommand(args: string[], okCodes: readonly number[] = [0]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status === null || !okCodes.includes(r.status)) throw new Error(`${args.join(' ')} exited ${r.status ?? r.signal}`);
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function repeat(n: number, f: () => number): number {
  return median(Array.from({ length: n }, f));
}

/** A suite's time as every suite figure gives it (native, and each target launched elsewhere): a first run apart, then
 * the median of 3, each run after a bare node start-up (the baseline beside it). One run of a sandbox or a VM swings by
 * a fifth on this machine. And the first run after a while reads back what this machine paged out: it pages out file
 * pages that went unused for a minute (DAMON, `pageout` of unmapped file memory aged 60 s: /sys/kernel/mm/damon/admin),
 * such as runsc, the i386 root or the kernel image; measured, 80 s after the last gVisor run runsc had 14.9 of its
 * 22.9 MB in memory, and that run took 3.24 s against 2.65-2.80 s. */
function afterFirstRun(runOnce: () => number): Timed & { firstMs: number } {
  const beside = new Beside();
  const firstMs = runOnce();
  const ms = repeat(3, () => beside.before(runOnce));
  return { ms, baselineMs: beside.ms, firstMs };
}

/** `f` run `n` times; the median of each of its figures, apart. */
function repeatEach<T extends Record<string, number>>(n: number, f: (k: number) => T): T {
  const runs = Array.from({ length: n }, (_, k) => f(k));
  const first = runs[0];
  if (first === undefined) throw new Error('repeatEach needs at least one run');
  return Object.fromEntries(Object.keys(first).map((key) => [key, median(runs.map((r) => r[key] as number))])) as T;
}

async function timeItems(items: PlanItem[]): Promise<number> {
  const t = performance.now();
  const r = await runItems(items, { jobs: 1 });
  if (r.reports.some((x) => x.outcome.status === 'error')) throw new Error('a benchmark case broke');
  return performance.now() - t;
}

/** One worker process started as the pool starts a whole-process worker, lean or with Node's defaults: how long until
 * its runner is ready, what a whole-process lock would pin (lockableBytes), and what mlockall(MCL_CURRENT) costs. */
function workerFigures(lean: boolean): { startMs: number; lockableMiB: number; mlockallMs: number } {
  const cmd = workerCommand(lean);
  const runners = join(ROOT, 'dist/runners/index.js');
  const script = `const { createRunner } = await import(${JSON.stringify(runners)});
const runner = createRunner();
const lockable = runner.probes.lockableBytes();
const t = performance.now();
const r = runner.call('mlockall', [runner.constants.MCL_CURRENT]);
const ms = performance.now() - t;
runner.call('munlockall', []);
process.stdout.write(JSON.stringify({ lockable, ms, ok: r.ret === 0 }));
runner.exitNow(0);`;
  const t = performance.now();
  const r = spawnSync(cmd.execPath ?? process.execPath, [...cmd.execArgv, '--input-type=module', '-e', script], { env: cmd.env, encoding: 'utf8' });
  const wall = performance.now() - t;
  const out = JSON.parse(r.stdout) as { lockable: number; ms: number; ok: boolean };
  if (r.status !== 0 || !out.ok) throw new Error(`worker figures: exited ${r.status ?? r.signal}: ${r.stderr}`);
  return { startMs: wall - out.ms, lockableMiB: out.lockable / 1048576, mlockallMs: out.ms };
}

function medianWorker(lean: boolean): { startMs: number; lockableMiB: number; mlockallMs: number } {
  return repeatEach(5, () => workerFigures(lean));
}

/** SYNTHETIC results files for the merge benchmark (bench/synthetic.ts), one per target. */
function writeSyntheticResults(dir: string, template: Results, files: number, cases: number): string[] {
  mkdirSync(dir, { recursive: true });
  const caseList = syntheticCases(template, cases);
  return Array.from({ length: files }, (_, k) => {
    const file = join(dir, `t${k}.json`);
    writeResults(file, syntheticResults(template, caseList, k));
    return file;
  });
}

/** The HTML report of a synthetic matrix, in its own process (bench/synthetic.ts builds the matrix in memory, the
 * pure report layer): the render's wall time (the writing of the chunks included, the building of the matrix not),
 * the file's size and the process's peak resident memory. */
function timeHtml(template: string, targets: number, out: string): { ms: number; bytes: number; maxRssMiB: number } {
  const dist = join(ROOT, 'dist');
  const script = `const { readResults } = await import(${JSON.stringify(join(dist, 'src/results.js'))});
const { writeFileAtomicChunks } = await import(${JSON.stringify(join(dist, 'src/atomic-file.js'))});
const { syntheticMatrix } = await import(${JSON.stringify(join(dist, 'bench/synthetic.js'))});
const { renderHtmlChunks } = await import(${JSON.stringify(join(dist, 'src/report/html.js'))});
const { statSync } = await import('node:fs');
const matrix = syntheticMatrix(readResults(${JSON.stringify(template)}), ${targets}, 100);
const t = performance.now();
writeFileAtomicChunks(${JSON.stringify(out)}, renderHtmlChunks(matrix, { required: ['linux'] }));
const ms = performance.now() - t;
process.stdout.write(JSON.stringify({ ms, bytes: statSync(${JSON.stringify(out)}).size, maxRss: process.resourceUsage().maxRSS }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`html render exited ${r.status ?? r.signal}: ${r.stderr}`);
  const last = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { ms: number; bytes: number; maxRss: number };
  return { ms: last.ms, bytes: last.bytes, maxRssMiB: last.maxRss / 1024 };
}

/** Run `semconf merge` in its own process; its wall time and peak resident memory. Its output (~0.24 GB for 1,000
 * files) is removed once it is known to be there: left behind, the outputs of the runs before made each later run
 * pay for reclaiming their page cache. Measured on this machine kind, four merges of 1,000 files in a row, each
 * output kept: 1.95, 2.26, 2.44, 2.68 s, sys 0.87 to 1.18 s; each removed: 1.3-1.6 s, sys ~0.3 s. */
function timeMerge(files: string[], out: string): { ms: number; maxRssMiB: number } {
  const script = `const { main } = await import(${JSON.stringify(CLI)});
const code = await main(${JSON.stringify(['merge', ...files, '--out', out])});
process.stdout.write(JSON.stringify({ code, maxRss: process.resourceUsage().maxRSS }));`;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const ms = performance.now() - t;
  const last = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { code: number; maxRss: number };
  if (last.code !== 0) throw new Error(`merge exited ${last.code}: ${r.stderr}`);
  if (!existsSync(out)) throw new Error(`merge exited 0 but wrote no ${out}`);
  rmSync(out);
  return { ms, maxRssMiB: last.maxRss / 1024 };
}

/** Merge's target: its time as a ratio (timeTarget), and at most 300 MiB of peak memory. */
function mergeTarget(all: { ms: number; maxRssMiB: number }, nodeStart: number): Pick<Figure, 'target' | 'met' | 'note'> {
  const t = timeTarget(all.ms, 2000, nodeStart);
  return { ...t, target: `${t.target}; 300 MiB`, met: t.met && all.maxRssMiB <= 300 };
}

/** `semconf merge` of 500 and 1,000 synthetic results files: wall time and peak memory, each in its own process; the
 * lines printed, and the 1,000-file figure for bench/results.json. */
function mergeFigures(dir: string, template: Results): { lines: string[]; figure: Figure } {
  const many = writeSyntheticResults(join(dir, 'synthetic'), template, 1000, 100);
  // each the median of 3 runs (time and peak memory apart), each into a file that does not exist yet
  const half = repeatEach(3, (k) => timeMerge(many.slice(0, 500), join(dir, `m500-${k}.json`)));
  const beside = new Beside();
  const all = repeatEach(3, (k) => beside.before(() => timeMerge(many, join(dir, `m1000-${k}.json`))));
  const nodeStart = beside.ms;
  const figure: Figure = {
    id: 'merge',
    what: '`semconf merge` of 1,000 synthetic results files × 100 cases (median of 3)',
    measured: `${(all.ms / 1000).toFixed(2)} s, ${all.maxRssMiB.toFixed(0)} MiB peak (500 files: ${(half.ms / 1000).toFixed(2)} s, ${half.maxRssMiB.toFixed(0)} MiB)`,
    ratio: all.ms / nodeStart,
    baselineMs: nodeStart,
    ...mergeTarget(all, nodeStart),
  };
  return {
    lines: [
      `merge     500 vs 1,000 synthetic results x 100 cases:  ${half.ms.toFixed(1)} ms vs ${all.ms.toFixed(1)} ms  = ${(all.ms / nodeStart).toFixed(1)} x node start-up (${nodeStart.toFixed(1)} ms beside it); growth x${(all.ms / half.ms).toFixed(2)} for x2 work  (target: 20 x node start-up, 2000 ms at 100 ms)`,
      `merge     peak memory, 500 vs 1,000 files:             ${half.maxRssMiB.toFixed(0)} MiB vs ${all.maxRssMiB.toFixed(0)} MiB  growth x${(all.maxRssMiB / half.maxRssMiB).toFixed(2)} for x2 work  (target: under 300 MiB)`,
    ],
    figure,
  };
}

/** The figures of the whole native suite and of the targets launched elsewhere, for bench/results.json. */
/** A time and node start-up timed beside its runs (Beside). */
interface Timed {
  ms: number;
  baselineMs: number;
}

/** A target launched elsewhere: its time (and its first run's, apart), or why it could not run. */
interface Elsewhere extends Timed {
  target: string;
  problem: string | null;
  firstMs: number;
}

function suiteFigures(cases: number, suite: Timed & { firstMs: number }, elsewhere: readonly Elsewhere[]): Figure[] {
  return [
    { id: 'suite', what: `whole native suite, \`semconf run\` of ${cases} cases (median of 3, after a first run)`, measured: `${(suite.ms / 1000).toFixed(2)} s (first run ${(suite.firstMs / 1000).toFixed(2)} s, with the specs loaded cold)`, ratio: suite.ms / suite.baselineMs, baselineMs: suite.baselineMs, ...timeTarget(suite.ms, 1000, suite.baselineMs) },
    ...elsewhere.map((e): Figure =>
      e.problem === null
        ? { id: `suite-${e.target}`, what: `\`semconf run --target ${e.target}\`, ${cases} cases (median of 3, after a first run)`, measured: `${(e.ms / 1000).toFixed(2)} s = ${(e.ms / suite.ms).toFixed(1)} × the native suite (first run ${(e.firstMs / 1000).toFixed(2)} s)`, ratio: e.ms / e.baselineMs, baselineMs: e.baselineMs, ...(e.target === 'gvisor' ? timeTarget(e.ms, 2500, e.baselineMs) : {}) }
        : { id: `suite-${e.target}`, what: `\`semconf run --target ${e.target}\``, measured: 'not measured', note: e.problem },
    ),
  ];
}

/** The HTML report of 250 vs 1,000 synthetic targets, for bench/results.json. */
function htmlFigure(quarter: { ms: number; bytes: number; maxRssMiB: number }, all: { ms: number; bytes: number; maxRssMiB: number }, nodeStart: number): Figure {
  return {
    id: 'html',
    what: 'HTML report of 1,000 synthetic targets × 100 cases',
    measured: `${(all.ms / 1000).toFixed(2)} s, ${(all.bytes / 1e6).toFixed(1)} MB, ${all.maxRssMiB.toFixed(0)} MiB peak (250 targets: ${(quarter.ms / 1000).toFixed(2)} s, ${(quarter.bytes / 1e6).toFixed(1)} MB, ${quarter.maxRssMiB.toFixed(0)} MiB)`,
    ratio: all.ms / nodeStart,
    baselineMs: nodeStart,
    target: 'under 150 MB, linear',
    met: all.bytes <= 150e6,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-bench-'));
  try {
    // `--only merge`: the merge figures alone (one fresh run as the synthetic files' template), not the whole bench
    if (process.argv.slice(2).join(' ') === '--only merge') {
      timeCommand([CLI, 'run', '--out', join(dir, 'r.json')]);
      for (const line of mergeFigures(dir, readResults(join(dir, 'r.json'))).lines) console.log(line);
      return;
    }
    const only = process.argv.slice(2).join(' ') === '--only suite';
    // looked at before anything here has run a whole-process case, then never touched (bench/page-cache.ts)
    const pageCache = describeFolios(await nodeBinaryFolios(ROOT));
    const catalog = loadCatalog(join(ROOT, 'specs'));
    // the marginal case is an ordinary one (no whole-process lock) that a reused worker runs itself: not one it hands
    // back for a fresh process (a soft limit above the hard one), found by running each once
    const candidates = plan(catalog).filter((i) => !i.isolated && !i.wholeProcess);
    const tried = await runItems(candidates, { jobs: 1 });
    const shared = tried.reports.filter((r) => r.process === 'reused').map((r) => r.item);
    const planned = plan(catalog);
    const cases = planned.length;
    const startup = startupFigures(CLI);
    // after the build, the first run also loads the specs cold (the catalog cache is keyed on the build:
    // src/spec/catalog-cache.ts)
    const suite = afterFirstRun(() => timeCommand([CLI, 'run', '--out', join(dir, 'r.json')]));
    const reusedResults = readResults(join(dir, 'r.json'));
    const reusedCount = reusedResults.cases.filter((c) => c.process === 'reused').length;
    const forkedIds = reusedResults.cases.filter((c) => c.process === 'forked').map((c) => c.id);
    const freshSuite = timeCommand([CLI, 'run', '--fresh-processes', '--out', join(dir, 'fresh.json')]);
    // The cases that need a process of their own, alone: in forked copies of a reused worker (the default) and in
    // fresh Node processes, each the median of 3
    const ownFilter = forkedIds.join(',');
    const ownForked = forkedIds.length === 0 ? NaN : repeat(3, () => timeCommand([CLI, 'run', '--filter', ownFilter, '--out', join(dir, 'own.json')], [0, 1]));
    const ownFresh = forkedIds.length === 0 ? NaN : repeat(3, () => timeCommand([CLI, 'run', '--fresh-processes', '--filter', ownFilter, '--out', join(dir, 'own.json')], [0, 1]));
    const leanWorker = medianWorker(true);
    const plainWorker = medianWorker(false);
    const copies = (n: number): PlanItem[] =>
      Array.from({ length: n }, (_, k) => {
        const base = shared[k % shared.length] as PlanItem;
        return { ...base, key: `${base.key}#${k}` };
      });
    // The slope between n and 5n cases: the worker's start and the pool's set-up cancel out, and over 4n more cases the
    // run-to-run noise of this machine (tens of ms) moves the slope by hundredths of a ms (between n and 2n it moved it
    // by tenths: 0.8 to 2.1 ms for the same code). Runs of n and of 5n alternate, and the figure is the median of the
    // five pairs' slopes: this machine's speed drifts over seconds, and three runs of n then three of 5n counted the
    // drift as work (five such figures for one build: 0.55 to 1.29 ms; four of the alternating kind: 0.69 to 0.77 ms).
    const n = 100;
    const more = 5 * n;
    const pairs: { once: number; twice: number }[] = [];
    const marginalBeside = new Beside();
    for (let k = 0; k < 5; k += 1) {
      marginalBeside.sample();
      pairs.push({ once: await timeItems(copies(n)), twice: await timeItems(copies(more)) });
    }
    const once = median(pairs.map((p) => p.once));
    const twice = median(pairs.map((p) => p.twice));
    const perCase = median(pairs.map((p) => (p.twice - p.once) / (more - n)));
    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    // the figures with no start-ups of their own (the fresh suite, the forked copies): against every one so far
    const soFar = benchBaselineMs();
    const suiteLines = [
      `machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}; ${pageCache}`,
      `baseline  bare node start-up, beside the suite's runs: ${ms(suite.baselineMs)}; so far in this bench: ${ms(soFar)}`,
      `suite     semconf run, ${cases} cases (median of 3, after a first run of ${ms(suite.firstMs)}):     ${ms(suite.ms)}  = ${(suite.ms / suite.baselineMs).toFixed(1)} x node start-up  (target: 10 x node start-up, 1000 ms at 100 ms)`,
      `reuse     every case fresh (run --fresh-processes):    ${ms(freshSuite)}  = ${(freshSuite / soFar).toFixed(1)} x node start-up; reused workers ${(suite.ms / freshSuite).toFixed(2)} x of it (${reusedCount} of ${reusedResults.cases.length} cases reused, ${forkedIds.length} in forked copies)`,
      `own       the ${forkedIds.length} cases needing a process of their own, forked copies vs fresh processes: ${ms(ownForked)} vs ${ms(ownFresh)}  = ${(ownForked / ownFresh).toFixed(2)} x`,
      `worker    lean vs Node's defaults, start to runner:    ${ms(leanWorker.startMs)} vs ${ms(plainWorker.startMs)}  = ${(leanWorker.startMs / plainWorker.startMs).toFixed(2)} x`,
      `worker    lockable (what mlockall pins), lean vs not:  ${leanWorker.lockableMiB.toFixed(1)} MiB vs ${plainWorker.lockableMiB.toFixed(1)} MiB  = ${(leanWorker.lockableMiB / plainWorker.lockableMiB).toFixed(2)} x`,
      `worker    mlockall(MCL_CURRENT), lean vs not:          ${ms(leanWorker.mlockallMs)} vs ${ms(plainWorker.mlockallMs)}  = ${(leanWorker.mlockallMs / plainWorker.mlockallMs).toFixed(2)} x`,
      `worker    ${n} vs ${more} ordinary cases in one reused worker (medians of 5, alternating): ${ms(once)} vs ${ms(twice)}  growth x${(twice / once).toFixed(2)} for x${more / n} work`,
      `marginal  cost of one more case in a reused worker (median of 5 pairs): ${ms(perCase)}  = ${(perCase / marginalBeside.ms).toFixed(3)} x node start-up (${ms(marginalBeside.ms)} beside it)  (target: 0.01 x node start-up, 1 ms at 100 ms)`,
    ];
    // Every target launched elsewhere (gVisor, a VM, ia32), as a ratio against the native suite: one mechanism, so one
    // loop; a target that cannot run here says why instead.
    const elsewhere: Elsewhere[] = [];
    for (const t of TARGETS.filter((name) => name !== 'native')) {
      const out = join(dir, `${t}.json`);
      const problem = await targetProblem(t);
      const timed = problem === null ? afterFirstRun(() => timeCommand([CLI, 'run', '--target', t, '--out', out], [0, 1])) : null;
      // exit 1 is also a run that wrote nothing (a launch that failed): its time is no figure
      const failed = problem === null && !existsSync(out) ? 'the run wrote no results file, so it failed (run it by hand to see why)' : null;
      elsewhere.push({ target: t, problem: problem ?? failed, ms: timed?.ms ?? NaN, firstMs: timed?.firstMs ?? NaN, baselineMs: timed?.baselineMs ?? NaN });
    }
    for (const line of suiteLines) console.log(line);
    for (const e of elsewhere) {
      console.log(e.problem === null
        ? `${e.target.padEnd(9)} semconf run --target ${e.target}, ${cases} cases (median of 3, after a first run of ${ms(e.firstMs)}): ${ms(e.ms)}  = ${(e.ms / suite.ms).toFixed(1)} x the native suite, ${(e.ms / e.baselineMs).toFixed(1)} x node start-up (${ms(e.baselineMs)} beside it)`
        : `${e.target.padEnd(9)} not measured: ${e.problem}`);
    }
    if (only) return;

    const merged = mergeFigures(dir, readResults(join(dir, 'r.json')));
    const nodeStart = benchBaselineMs();
    const htmlQuarter = timeHtml(join(dir, 'r.json'), 250, join(dir, 'h250.html'));
    const htmlAll = timeHtml(join(dir, 'r.json'), 1000, join(dir, 'h1000.html'));

    for (const f of startup) console.log(figureLine(f));
    for (const line of merged.lines) console.log(line);
    const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
    console.log(`html      250 vs 1,000 synthetic targets x 100 cases:  ${ms(htmlQuarter.ms)} vs ${ms(htmlAll.ms)}  = ${(htmlAll.ms / nodeStart).toFixed(1)} x node start-up; growth x${(htmlAll.ms / htmlQuarter.ms).toFixed(2)} for x4 work`);
    console.log(`html      size and peak memory, 250 vs 1,000 targets:  ${mb(htmlQuarter.bytes)} vs ${mb(htmlAll.bytes)} (x${(htmlAll.bytes / htmlQuarter.bytes).toFixed(2)}), ${htmlQuarter.maxRssMiB.toFixed(0)} MiB vs ${htmlAll.maxRssMiB.toFixed(0)} MiB  (bound: under 150 MB, linear)`);
    // Exploration: 20 generated sequences on native (and gVisor where it runs), generation and comparison only (no
    // shrinking), as sequences per second per target.
    const exploreTargets = ['native', ...((await targetProblem('gvisor')) === null ? ['gvisor'] : [])];
    const explored = await explore({
      targets: exploreTargets.length > 1 ? exploreTargets : ['native', 'native-again'],
      seed: 1,
      runs: 20,
      batchSize: 20,
      specs: join(ROOT, 'specs'),
      profiles: catalog.profiles.map((p) => p.value.id),
      run: (target, c, d) => runOnTarget(target === 'native-again' ? 'native' : target, c, d, { jobs: 2, profiles: ['linux'] }),
      shrink: { width: 1, maxSteps: 0 },
      maxShrunk: 0,
    });
    const exploreFigures = explored.costs.map((c): Figure => ({
      id: `explore-${c.target}`,
      what: `\`semconf explore\` on ${c.target}: ${c.sequences} generated sequences, run and compared (no shrinking)`,
      measured: `${((c.sequences * 1000) / c.ms).toFixed(1)} sequences/s`,
      ratio: c.ms / c.sequences / nodeStart,
      baselineMs: nodeStart,
      note: 'ratio: one sequence\'s share of the run against node start-up',
    }));
    for (const f of exploreFigures) console.log(figureLine(f));
    const reuseFigure: Figure = {
      id: 'reuse',
      what: `whole native suite with every case in a fresh process (\`run --fresh-processes\`)`,
      measured: `${(freshSuite / 1000).toFixed(2)} s; reused workers take ${(suite.ms / freshSuite).toFixed(2)} × of it (${reusedCount} of ${reusedResults.cases.length} cases reused, ${forkedIds.length} in forked copies)`,
      ratio: freshSuite / soFar,
      baselineMs: soFar,
    };
    const ownFigure: Figure = {
      id: 'own-process',
      what: `the ${forkedIds.length} cases that need a process of their own (\`run --filter\` of them), in forked copies of a reused worker`,
      measured: `${ms(ownForked)}; in fresh Node processes (run --fresh-processes) ${ms(ownFresh)}: copies take ${(ownForked / ownFresh).toFixed(2)} × of it`,
      ratio: ownForked / soFar,
      baselineMs: soFar,
    };
    const marginal: Figure = { id: 'marginal', what: 'one more case in a reused worker (the slope between 100 and 500 cases, the median of 5 alternating pairs)', measured: ms(perCase), ratio: perCase / marginalBeside.ms, baselineMs: marginalBeside.ms, ...timeTarget(perCase, 1, marginalBeside.ms) };
    writeBenchResults(RESULTS_FILE, {
      schema: BENCH_SCHEMA,
      measuredAt: new Date().toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.version, pageCache },
      baselineMs: nodeStart,
      figures: [...startup, ...suiteFigures(cases, suite, elsewhere), reuseFigure, ownFigure, marginal, merged.figure, htmlFigure(htmlQuarter, htmlAll, nodeStart), ...exploreFigures],
    });
    console.log(`figures written to ${RESULTS_FILE} (npm run readme copies them into README)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
