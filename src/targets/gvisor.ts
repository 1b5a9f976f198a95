// `semconf run --target gvisor`: the whole suite, parent and workers, inside one gVisor sandbox.
//
// Why one sandbox for the whole run, not one per worker: workers talk to their parent over Node's IPC channel (an
// extra file descriptor), which `runsc do` does not pass through; and a sandbox costs ~0.4 s to start, which an
// isolated case (mlockall, every unprivileged context) would pay each time. Inside one sandbox the pool, its
// timeouts and its reaping work exactly as natively, and everything they observe is gVisor's.
//
// runsc do keeps its sandbox state in a directory under $TMPDIR: it is given the launcher's private state directory,
// so runsc's gofer and sandbox carry it on their command line and the shared clean-up (launcher.ts) finds them. That
// directory must be reached through directories others may search (measured: under a TMPDIR of mode 0700 the sandbox
// never starts, "cannot read client sync file"; under 0711, 0755 or 1777 it does), so it is made in TMPDIR where
// that holds, else in /tmp (stateParent).
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Results } from '../results.js';
import { CacheStore, keptFor } from '../spec/catalog-cache.js';
import { type Launch, type Launcher, labelled } from './launcher.js';

/** How runsc is started: no network, no cgroup set-up (works in containers and CI runners without cgroup rights). */
export const RUNSC_FLAGS = ['--network=none', '--ignore-cgroups'] as const;

/** The runsc binary on PATH, else /usr/bin/runsc, else null. */
export function findRunsc(path = process.env.PATH ?? ''): string | null {
  const candidates = [...path.split(delimiter).filter((d) => d !== '').map((d) => join(d, 'runsc')), '/usr/bin/runsc'];
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** Why the gVisor target cannot run here (one sentence), or null. */
export function gvisorProblem(runsc: string | null = findRunsc()): string | null {
  if (process.platform !== 'linux') return `--target gvisor needs Linux (gVisor runs on Linux only); this is ${process.platform}`;
  if (runsc === null) return '--target gvisor needs runsc (gVisor), which is not installed: install the Debian package "runsc"';
  if (process.geteuid?.() !== 0) return '--target gvisor needs root: runsc starts its sandbox as root, and the suite runs as root inside it';
  const parent = gvisorStateParent();
  return 'problem' in parent ? parent.problem : null;
}

/** The first directory on the way from / to `dir` (itself included) that others may not search (no o+x), or null
 * when there is none; a directory that cannot be looked at counts as one. */
export function unsearchableOnTheWay(dir: string): string | null {
  let at: string;
  try {
    at = realpathSync(dir);
  } catch {
    return dir;
  }
  for (;;) {
    try {
      if ((statSync(at).mode & 0o001) === 0) return at;
    } catch {
      return at;
    }
    const up = dirname(at);
    if (up === at) return null;
    at = up;
  }
}

/** Where runsc's state directory is made: the temporary directory where the sandbox can reach it, else /tmp (each
 * named once, where TMPDIR is /tmp), else why neither will do. */
export function gvisorStateParent(candidates: readonly string[] = [...new Set([tmpdir(), '/tmp'])]): { dir: string } | { problem: string } {
  const blocked: string[] = [];
  for (const dir of candidates) {
    const at = unsearchableOnTheWay(dir);
    if (at === null) return { dir };
    blocked.push(`${dir} (${at} may not be searched by others)`);
  }
  return {
    problem: `--target gvisor needs a temporary directory reached only through directories any user may search (mode o+x: runsc's sandbox does not start otherwise), and neither ${blocked.join(' nor ')} is; set TMPDIR to one`,
  };
}

/** The first line `runsc --version` prints. `cache`: the store that may keep it while the binary is the same file
 * (keptFor): the query is a process of its own, ~30 ms on the way to the start of every gVisor run (measured). */
export function runscVersion(runsc: string, cache?: CacheStore): string {
  try {
    return keptFor(cache, 'runsc-version', runsc, [realpathSync(runsc)], () => {
      const r = spawnSync(runsc, ['--version'], { encoding: 'utf8', timeout: 10_000 });
      const first = (r.stdout ?? '').split('\n')[0]?.trim();
      if (first === undefined || first === '') throw new Error(r.error?.message ?? `exit ${r.status ?? '?'}`);
      return first;
    });
  } catch (e) {
    return `runsc (version unknown: ${(e as Error).message})`;
  }
}

/** The results of the run inside, checked: the runner inside must itself have seen gVisor. */
export function adoptGvisor(results: Results, how: Launch): Results {
  const inside = results.target;
  if (inside.runtime !== 'gvisor') {
    throw new Error(
      `runsc ran the suite, but the runner inside saw runtime "${inside.runtime}" (${inside.runtimeBasis ?? 'no basis recorded'}); ` +
        'refusing to label these results gvisor',
    );
  }
  return labelled(results, gvisorLauncher(), how, inside.id);
}

export function gvisorLauncher(runsc: string | null = findRunsc()): Launcher {
  return {
    target: 'gvisor',
    where: 'inside gVisor',
    marginMs: 120_000,
    problem: () => gvisorProblem(runsc),
    stateParent() {
      const parent = gvisorStateParent();
      if ('problem' in parent) throw new Error(parent.problem);
      return parent.dir;
    },
    prepare({ stateDir, inner, request }) {
      const bin = runsc ?? 'runsc';
      const version = runscVersion(bin, request.cache === undefined ? undefined : new CacheStore(request.cache));
      return {
        command: bin,
        args: [...RUNSC_FLAGS, 'do', process.execPath, inner, JSON.stringify(request)],
        // runsc copies its own environment into the sandbox's process and into its state directory: keep it minimal.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8', TMPDIR: stateDir, NODE_OPTIONS: '' },
        startedWith: `semconf run --target gvisor started it with "runsc ${RUNSC_FLAGS.join(' ')} do" (${version})`,
        facts: { runsc: version, flags: RUNSC_FLAGS.join(' ') },
      };
    },
    adopt: adoptGvisor,
  };
}
