// semconf run: the whole suite against this machine → results file → terminal report.
//
// A native run starts its reused workers first, before it loads anything heavy (the specs, the schemas, the report
// renderer): a worker's Node start is the longest wait before the first case and needs nothing from the plan. A run
// on another target starts its sandbox, VM or chroot first for the same reason (startOnTarget). So this module
// imports only what the options need; the rest is imported once the workers or the launch are on their way.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Results } from '../results.js';
import { type EarlyLaunch, isTarget, startOnTarget, TARGETS, targetProblem } from '../target.js';
import type { StartedLaunch } from '../targets/launcher.js';
import { parseShard, type Shard } from '../selection.js';
import { type Command, DEFAULT_SPECS, EXIT, str, UsageError } from './command.js';
import { useColor } from '../color.js';
import { defaultResultsFile } from '../results-home.js';
import type { CaseProgress } from '../run.js';
import { StartedWorkers } from '../worker/pool.js';
import { SELECTION_OPTIONS, SELECTION_USAGE, strings } from './selection-flags.js';

/** Write the results where asked; if that fails (a path that cannot be written), save them in a temporary
 * directory instead, so no completed case is lost, and say so. Returns where they were written. */
async function saveResults(wanted: string, results: Results): Promise<string> {
  const { OutputError, writeResults } = await import('../results.js');
  try {
    mkdirSync(dirname(resolve(wanted)), { recursive: true });
    writeResults(wanted, results);
    return wanted;
  } catch (e) {
    const fallback = join(mkdtempSync(join(tmpdir(), 'semconf-results-')), basename(wanted));
    writeResults(fallback, results);
    const why = e instanceof OutputError ? e.message : `could not write ${wanted} (${(e as Error).message})`;
    process.stderr.write(`semconf: ${why}; the results are saved in ${fallback}\n`);
    return fallback;
  }
}

export const runCommand: Command = {
  summary: 'run every case against this machine, write the results file and print the report',
  usage: `semconf run [--target ${TARGETS.join('|')}] [--kernel FILE|DIR] [--specs DIR] [--profile P]... [--filter PATTERN]... [--exclude PATTERN]... [--shard K/N] [--out FILE] [--jobs N] [--repeat N] [--json] [--progress] [--allow-skipped] [--fresh-processes]

  --target T        where the system calls run: native (default, this machine's kernel), gvisor (the whole suite
                    inside gVisor: runsc --network=none --ignore-cgroups do), ia32 (an i386 Node on this x86_64
                    kernel, in a chroot built by ci/ia32-root.sh), vm (the whole suite in a qemu virtual machine
                    booting another Linux kernel) or another launcher (docs/targets.md)
  --kernel FILE     --target vm only: the kernel to boot, a vmlinux or vmlinuz (modules from ../lib/modules/
                    <release> beside it, else /lib/modules/<release>) or a DIR with an unpacked kernel package
                    (default: the kernel ci/fetch-kernel.sh put in ~/.cache/semconf/kernels/current)
  --specs DIR       spec directory (default: the specs/ shipped with semconf)
  --no-cache        load the specs from scratch, not from the cache semconf lint shares ($XDG_CACHE_HOME/semconf)
  --profile P       judge against profile P only; repeatable (default: every profile)
${SELECTION_USAGE}
  --out FILE        results file (default: $XDG_STATE_HOME/semconf/results/<target-id>.json, XDG_STATE_HOME
                    defaulting to ~/.local/state; the committed results/ are refreshed by npm run results)
  --jobs N          worker lanes run in parallel (default 2)
  --repeat N        run every case N times (default 1); a case whose behaviour differs between its repetitions is
                    marked flaky in the results file, with what differed (durations and the worker's own locked
                    total are environment and never make a case flaky)
  --json            print the results JSON instead of the terminal report
  --progress        print each case to stderr as it completes: its verdicts and how long it took
  --allow-skipped   exit 0 although no case could run or a required context could not be established (exit 3)
  --fresh-processes --target native only: every case in a fresh worker process of its own, none reused (slower; the
                    reference the reuse-equivalence test compares the default against)`,
  options: {
    specs: { type: 'string' },
    'no-cache': { type: 'boolean' },
    profile: { type: 'string', multiple: true },
    ...SELECTION_OPTIONS,
    'allow-skipped': { type: 'boolean' },
    'fresh-processes': { type: 'boolean' },
    out: { type: 'string' },
    jobs: { type: 'string' },
    repeat: { type: 'string' },
    json: { type: 'boolean' },
    progress: { type: 'boolean' },
    target: { type: 'string' },
    kernel: { type: 'string' },
  },
  async run(values) {
    // The checks that need no catalog come first; those that do (profiles, the selection) follow once the workers are
    // starting, and whatever ends the run (a usage error too) stops them.
    const target = str(values.target) ?? 'native';
    if (!isTarget(target)) throw new UsageError(`unknown target "${target}"; expected one of ${TARGETS.join(', ')}`);
    const kernel = str(values.kernel);
    if (kernel !== undefined && target !== 'vm') throw new UsageError('--kernel is an option of --target vm only');
    const fresh = values['fresh-processes'] === true;
    if (fresh && target !== 'native') throw new UsageError('--fresh-processes is an option of --target native only');
    const targetOptions = kernel !== undefined ? { kernel } : {};
    const unavailable = await targetProblem(target, targetOptions);
    if (unavailable !== null) throw new UsageError(unavailable);
    const jobs = Number(str(values.jobs) ?? 2);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError('--jobs takes a whole number from 1 to 64');
    const repeat = Number(str(values.repeat) ?? 1);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) throw new UsageError('--repeat takes a whole number from 1 to 100');
    const interrupt = stopOnSignals();
    // A reused worker for each of the first two lanes (lanes.ts), started now: a Node start overlaps the specs' load.
    const started = target === 'native' && !fresh ? new StartedWorkers(Math.min(jobs, 2)) : undefined;
    let launched: StartedLaunch | null = null;
    try {
      // Elsewhere the sandbox's or VM's start is the long wait: it begins now, while the specs load here.
      if (target !== 'native') launched = await startOnTarget(target, earlyLaunch(values, jobs, repeat), targetOptions);
      return await runStarted(values, { target, targetOptions, fresh, jobs, repeat, started, launched, interrupt });
    } finally {
      await started?.stop();
      await launched?.cancel();
    }
  },
};

/** What the run elsewhere is started with, from the options as given: the profiles and the selection are checked
 * against the catalog afterwards (a usage error then cancels the launch). A shard that does not parse starts
 * nothing here; the check after says what is wrong with it. */
function earlyLaunch(values: Parameters<Command['run']>[0], jobs: number, repeat: number): EarlyLaunch {
  const filter = strings(values.filter);
  const exclude = strings(values.exclude);
  const profiles = values.profile as string[] | undefined;
  const shardText = str(values.shard);
  let shard: Shard | undefined;
  try {
    shard = shardText === undefined ? undefined : parseShard(shardText);
  } catch {
    shard = undefined;
  }
  return {
    specs: resolve(str(values.specs) ?? DEFAULT_SPECS),
    jobs,
    ...(profiles ? { profiles } : {}),
    ...(filter !== undefined ? { filter } : {}),
    ...(exclude !== undefined ? { exclude } : {}),
    ...(shard !== undefined ? { shard } : {}),
    ...(repeat > 1 ? { repeat } : {}),
    ...(values.progress === true ? { progress: true } : {}),
    // the run elsewhere plans from this run's catalog cache (the launcher's default), or, with --no-cache, loads the
    // specs cold as this one does
    ...(values['no-cache'] === true ? { cache: null } : {}),
  };
}

/** SIGINT (Ctrl-C) and SIGTERM stop the run: no new case starts, the one in flight is left out, and every completed
 * case is saved. A second signal cannot skip the save or the exit code that says what happened: the handlers stay
 * until the process ends (a signal handler does not keep Node's event loop alive). Installed before anything starts. */
function stopOnSignals(): { signal: AbortSignal; stoppedBy: () => NodeJS.Signals | null } {
  const interrupt = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy === null) {
      stoppedBy = signal;
      interrupt.abort();
    } else process.stderr.write(`semconf: ${signal} again; the run is already stopping and saves every completed case\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: interrupt.signal, stoppedBy: () => stoppedBy };
}

interface Checked {
  target: string;
  targetOptions: { kernel?: string };
  fresh: boolean;
  jobs: number;
  repeat: number;
  started: StartedWorkers | undefined;
  /** the run elsewhere, started before the specs were loaded (null natively) */
  launched: StartedLaunch | null;
  interrupt: ReturnType<typeof stopOnSignals>;
}

/** The run, once its options are checked and its workers (if native) are starting. */
async function runStarted(values: Parameters<Command['run']>[0], { target, targetOptions, fresh, jobs, repeat, started, launched, interrupt }: Checked): Promise<number> {
  const [{ loadCatalogCached }, { openCache }, { selectionFrom }, { runOnTarget }, { progressLine }, { nothingRanHeadline }] = await Promise.all([
    import('../spec/cached-catalog.js'),
    import('../spec/catalog-cache.js'),
    import('./selection-options.js'),
    import('../target.js'),
    import('../progress.js'),
    import('../nothing-ran.js'),
  ]);
  // What only the end needs (the report's renderer, and the results' schema with zod, to validate them as they are
  // written) is loaded once the cases start, while this process mostly waits for the workers: loaded with the rest,
  // it took a core from the workers while they started. A failure to load is met where it is awaited.
  let atEnd: Promise<typeof import('../report/terminal.js')> | undefined;
  const loadAtEnd = (): Promise<typeof import('../report/terminal.js')> => (atEnd ??= import('../report/terminal.js'));
  const specs = str(values.specs) ?? DEFAULT_SPECS;
  const { catalog, keep: keepCatalog } = await loadCatalogCached(specs, openCache(values['no-cache'] === true));
  const profiles = values.profile as string[] | undefined;
  const known = catalog.profiles.map((p) => p.value.id);
  for (const p of profiles ?? []) {
    if (!known.includes(p)) throw new UsageError(`unknown profile "${p}"; expected one of ${known.join(', ')}`);
  }
  const selection = selectionFrom(values, catalog, '; try semconf list').options;
  keepCatalog(); // the usage is good: the next run of this spec tree may plan from the cache
  let planned = 0;
  let done = 0;
  const results = await runOnTarget(target, catalog, resolve(specs), {
    jobs,
    ...(fresh ? { freshProcesses: true } : {}),
    ...(started !== undefined ? { started } : {}),
    ...(repeat > 1 ? { repeat } : {}),
    onStart: (n) => {
      loadAtEnd().catch(() => undefined);
      planned = n;
      const what = repeat > 1 ? `${n / repeat} case(s) × ${repeat} repetitions` : `${n} case(s)`;
      process.stderr.write(`semconf: running ${what} with ${Math.min(jobs, n)} worker lane(s)\n`);
    },
    ...(values.progress === true ? { onProgress: (p: CaseProgress) => process.stderr.write(`  ${progressLine(++done, planned, p)}\n`) } : {}),
    signal: interrupt.signal,
    ...(profiles ? { profiles } : {}),
    ...selection,
  }, targetOptions, launched ?? undefined);
  const wanted = str(values.out) ?? defaultResultsFile(results.target.id);
  const out = await saveResults(wanted, results);
  const { renderTerminal } = await loadAtEnd();
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    process.stderr.write(`semconf: results: ${out}\n`);
  } else process.stdout.write(`${renderTerminal(results, { color: useColor(process.stdout) })}\nresults: ${out}\n`);
  const flaky = results.cases.filter((c) => c.flaky !== undefined);
  if (flaky.length > 0) process.stderr.write(`semconf: ${flaky.length} flaky case(s) over ${repeat} repetitions: ${flaky.map((c) => c.id).join(', ')}\n`);
  const broken = results.cases.some((c) => c.status === 'error');
  const stoppedBy = interrupt.stoppedBy();
  if (stoppedBy !== null) {
    process.stderr.write(`semconf: interrupted by ${stoppedBy}; ${results.cases.length} completed case(s) saved in ${out} with complete: false\n`);
    return stoppedBy === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  }
  if (!results.complete) process.stderr.write('semconf: the run did not complete; the results file says complete: false\n');
  const nothingRan = nothingRanHeadline(results.cases);
  if (nothingRan !== null) process.stderr.write(`semconf: ${nothingRan}${values['allow-skipped'] === true ? ' (--allow-skipped: not a failure)' : '; exit 3 (--allow-skipped accepts this)'}\n`);
  if (broken || !results.complete || out !== wanted) return EXIT.failed;
  return nothingRan !== null && values['allow-skipped'] !== true ? EXIT.nothingRan : EXIT.ok;
}

