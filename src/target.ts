// Targets: where the system calls of a run are executed. `native` runs the workers on this machine's kernel; every
// other target is one launcher (src/targets/<name>.ts) over one shared mechanism (src/targets/launcher.ts) that
// starts the inner run somewhere else and brings its results back. Other operating systems are not targets but
// runners (runners/), run natively there.
//
// Every module here is imported only when its target runs: `semconf run` decides native or not, and starts its
// workers, before it loads the specs, the schemas or any launcher (src/commands/run.ts).
import type { Results } from './results.js';
import type { RunOptions } from './run.js';
import type { Catalog } from './spec/catalog.js';
import type { Launcher, StartedLaunch, StartOptions } from './targets/launcher.js';

/** Options of `semconf run` that only some targets take (each launcher reads what it knows). */
export interface TargetOptions {
  /** --kernel for --target vm */
  kernel?: string;
}

/** Every launcher, by --target name. A new target is one file in src/targets/ and one line here. */
const LAUNCHERS: Record<string, (o: TargetOptions) => Promise<Launcher>> = {
  gvisor: async () => (await import('./targets/gvisor.js')).gvisorLauncher(),
  ia32: async () => (await import('./targets/ia32.js')).ia32Launcher(),
  vm: async (o) => (await import('./targets/vm.js')).vmLauncher(o.kernel !== undefined ? { kernel: o.kernel } : {}),
};

export const TARGETS = ['native', ...Object.keys(LAUNCHERS)] as const;
export type TargetName = string;

export function isTarget(name: string): name is TargetName {
  return (TARGETS as readonly string[]).includes(name);
}

export async function launcherFor(target: TargetName, options: TargetOptions = {}): Promise<Launcher | null> {
  const make = Object.hasOwn(LAUNCHERS, target) ? LAUNCHERS[target] : undefined;
  return make ? make(options) : null;
}

/** One sentence saying why the target cannot run on this machine, or null when it can. */
export async function targetProblem(target: TargetName, options: TargetOptions = {}): Promise<string | null> {
  return (await launcherFor(target, options))?.problem() ?? null;
}

/** What a run on a target other than native is started with before its specs are loaded (see startOnTarget). */
export type EarlyLaunch = Omit<StartOptions, 'onMessage'>;

/** Start the run on a launched target (not native: null) before the specs are loaded; runOnTarget then waits for it.
 * A caller that never gets that far (bad usage found after it started) must cancel() it. */
export async function startOnTarget(target: TargetName, options: EarlyLaunch, targetOptions: TargetOptions = {}): Promise<StartedLaunch | null> {
  const launcher = await launcherFor(target, targetOptions);
  if (launcher === null) return null;
  const { startLaunch } = await import('./targets/launcher.js');
  return startLaunch(launcher, options);
}

/** Run the catalog on the target. `specs` is the absolute directory the catalog came from (the inner run reloads it).
 * `started`: the launch startOnTarget began for this very run and selection, which this waits for instead. */
export async function runOnTarget(
  target: TargetName,
  catalog: Catalog,
  specs: string,
  options: RunOptions,
  targetOptions: TargetOptions = {},
  started?: StartedLaunch,
): Promise<Results> {
  const launcher = await launcherFor(target, targetOptions);
  if (launcher === null) return (await import('./run.js')).runCatalog(catalog, options);
  const { finishLaunch, launch } = await import('./targets/launcher.js');
  const selection = {
    ...(options.filter !== undefined ? { filter: options.filter } : {}),
    ...(options.exclude !== undefined ? { exclude: options.exclude } : {}),
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
  };
  const signal = options.signal ? { signal: options.signal } : {};
  const run =
    started !== undefined
      ? await finishLaunch(launcher, started, { catalog, ...selection, ...signal })
      : await launch(launcher, {
          catalog,
          specs,
          jobs: options.jobs ?? 2,
          ...(options.profiles ? { profiles: options.profiles } : {}),
          ...selection,
          ...signal,
          ...(options.onProgress ? { progress: true } : {}),
        });
  if (run.stopped !== null && run.stopped !== 'interrupted') process.stderr.write(`semconf: ${run.stopped}; it was stopped\n`);
  const { leftoverProcesses, leftoverState } = run.cleanup;
  if (leftoverProcesses.length > 0 || leftoverState.length > 0) {
    process.stderr.write(
      `semconf: the ${target} run left ${leftoverProcesses.length} process(es) and ${leftoverState.length} state entr(ies) behind; killed and removed\n`,
    );
  }
  const facts = Object.entries(run.launch.facts).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(
    `semconf: ${target} run took ${(run.wallMs / 1000).toFixed(1)} s` +
      `${run.startupMs !== null ? ` (started in ${(run.startupMs / 1000).toFixed(1)} s)` : ''}; ${facts}\n`,
  );
  return run.results;
}
