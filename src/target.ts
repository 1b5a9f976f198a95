// Targets: where the system calls of a run are executed. `native` runs the workers on this machine's kernel;
// `gvisor` runs the whole suite inside gVisor's runsc, a second, independent implementation of the Linux system
// calls (src/targets/gvisor.ts). Other operating systems are not targets but runners (runners/), run natively there.
import type { Results } from './results.js';
import { type RunOptions, runCatalog } from './run.js';
import type { Catalog } from './spec/catalog.js';
import { gvisorProblem, runInGvisor } from './targets/gvisor.js';

export const TARGETS = ['native', 'gvisor'] as const;
export type TargetName = (typeof TARGETS)[number];

export function isTarget(name: string): name is TargetName {
  return (TARGETS as readonly string[]).includes(name);
}

/** One sentence saying why the target cannot run on this machine, or null when it can. */
export function targetProblem(target: TargetName): string | null {
  return target === 'gvisor' ? gvisorProblem() : null;
}

/** Run the catalog on the target. `specs` is the absolute directory the catalog came from (the sandbox reloads it). */
export async function runOnTarget(target: TargetName, catalog: Catalog, specs: string, options: RunOptions): Promise<Results> {
  if (target === 'native') return runCatalog(catalog, options);
  const run = await runInGvisor({
    catalog,
    specs,
    jobs: options.jobs ?? 2,
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.filter !== undefined ? { filter: options.filter } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (run.stopped !== null && run.stopped !== 'interrupted') process.stderr.write(`semconf: ${run.stopped}; it was stopped\n`);
  const { leftoverProcesses, leftoverState } = run.cleanup;
  if (leftoverProcesses.length > 0 || leftoverState.length > 0) {
    process.stderr.write(
      `semconf: runsc left ${leftoverProcesses.length} process(es) and ${leftoverState.length} state entr(ies) behind; killed and removed\n`,
    );
  }
  process.stderr.write(
    `semconf: gVisor run took ${(run.wallMs / 1000).toFixed(1)} s` +
      `${run.startupMs !== null ? ` (sandbox and Node started in ${(run.startupMs / 1000).toFixed(1)} s)` : ''}; ${run.runsc.version}\n`,
  );
  return run.results;
}
