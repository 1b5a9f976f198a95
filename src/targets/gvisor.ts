// `semconf run --target gvisor`: the whole suite, parent and workers, inside one gVisor sandbox.
//
// Why one sandbox for the whole run, not one per worker: workers talk to their parent over Node's IPC channel (an
// extra file descriptor), which `runsc do` does not pass through; and a sandbox costs ~0.4 s to start, which an
// isolated case (mlockall, every unprivileged context) would pay each time. Inside one sandbox the pool, its
// timeouts and its reaping work exactly as natively, and everything they observe is gVisor's.
//
// Clean-up: runsc do keeps its sandbox state in a directory under $TMPDIR; semconf gives it a private TMPDIR, so
// after the run it can check that nothing is left: no process that mentions that directory (runsc's gofer and
// sandbox carry it on their command line), no state inside it. Anything left is killed and removed, and reported.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { compiledScript } from '../package-info.js';
import { plan } from '../plan.js';
import { Results } from '../results.js';
import type { Catalog } from '../spec/catalog.js';
import { extractResults, type InnerRequest } from './gvisor-protocol.js';

/** How runsc is started: no network, no cgroup set-up (works in containers and CI runners without cgroup rights). */
export const RUNSC_FLAGS = ['--network=none', '--ignore-cgroups'] as const;
/** After SIGINT/SIGTERM, how long the run inside may take to report what completed before runsc is killed. */
const STOP_GRACE_MS = 15_000;
/** On top of every planned case's own timeout: sandbox start, Node start, worker starts. */
const OVERALL_MARGIN_MS = 120_000;

export interface GvisorRunOptions {
  catalog: Catalog;
  /** absolute path of the spec directory the catalog was loaded from */
  specs: string;
  jobs: number;
  profiles?: string[];
  filter?: string;
  signal?: AbortSignal;
  /** limit for the whole run (default: 120 s plus every planned case's timeout) */
  timeoutMs?: number;
  /** the runsc binary (default: found on PATH or in /usr/bin) */
  runsc?: string;
  /** where the inner run's own messages go (default: this process's stderr) */
  onMessage?: (text: string) => void;
}

export interface CleanupReport {
  /** the private TMPDIR runsc kept its state in; removed afterwards */
  stateDir: string;
  /** processes that still mentioned the state directory after runsc exited (killed) */
  leftoverProcesses: number[];
  /** entries runsc left in the state directory (removed) */
  leftoverState: string[];
}

/** The run failed; what clean-up found is still reported. */
export class GvisorRunError extends Error {
  constructor(
    message: string,
    readonly cleanup: CleanupReport,
  ) {
    super(message);
  }
}

export interface GvisorRun {
  results: Results;
  runsc: { path: string; version: string };
  /** from starting runsc to its exit */
  wallMs: number;
  /** from starting runsc to the inner run's first message (sandbox + Node start) */
  startupMs: number | null;
  /** why the run was stopped before it ended by itself (interrupted, over its time limit), or null */
  stopped: string | null;
  cleanup: CleanupReport;
}

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
  return null;
}

/** The compiled script that runs inside the sandbox (gvisor-inner.js). */
export function innerScript(): string {
  return compiledScript(import.meta.url, 'gvisor-inner.js', 'src/targets');
}

export function runscVersion(runsc: string): string {
  const r = spawnSync(runsc, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const first = (r.stdout ?? '').split('\n')[0]?.trim();
  return first !== undefined && first !== '' ? first : `runsc (version unknown: ${r.error?.message ?? `exit ${r.status ?? '?'}`})`;
}

/** The results of the run inside, checked: they must be valid, and the runner inside must itself have seen gVisor. */
export function adoptResults(json: string, started: string): Results {
  const results = Results.parse(JSON.parse(json));
  const inside = results.target;
  if (inside.runtime !== 'gvisor') {
    throw new Error(
      `runsc ran the suite, but the runner inside saw runtime "${inside.runtime}" (${inside.runtimeBasis ?? 'no basis recorded'}); ` +
        'refusing to label these results gvisor',
    );
  }
  return { ...results, target: { ...inside, runtimeBasis: `${started}; ${inside.runtimeBasis ?? ''}`.replace(/; $/, '') } };
}

/** Processes whose command line mentions `needle` (runsc's gofer and sandbox carry their state directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Kill what runsc left behind (it should leave nothing) and remove the state directory; say what was found. */
export async function cleanUp(stateDir: string): Promise<CleanupReport> {
  // runsc's sandbox dies with runsc do (it is started --attached), but not always at the same instant.
  await waitUntil(() => processesMentioning(stateDir).length === 0, 3000);
  const leftoverProcesses = processesMentioning(stateDir);
  for (const pid of leftoverProcesses) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitUntil(() => processesMentioning(stateDir).length === 0, 5000);
  const leftoverState = existsSync(stateDir) ? readdirSync(stateDir) : [];
  rmSync(stateDir, { recursive: true, force: true });
  return { stateDir, leftoverProcesses, leftoverState };
}

export async function runInGvisor(options: GvisorRunOptions): Promise<GvisorRun> {
  const runsc = options.runsc ?? findRunsc();
  const problem = gvisorProblem(runsc);
  if (problem !== null || runsc === null) throw new Error(problem ?? 'runsc not found');
  const version = runscVersion(runsc);
  const planned = plan(options.catalog, options.filter !== undefined ? { filter: options.filter } : {});
  const timeoutMs = options.timeoutMs ?? OVERALL_MARGIN_MS + planned.reduce((n, i) => n + i.timeoutMs, 0);
  const request: InnerRequest = {
    specs: options.specs,
    jobs: options.jobs,
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.filter !== undefined ? { filter: options.filter } : {}),
  };
  const say = options.onMessage ?? ((t: string) => void process.stderr.write(t));
  const stateDir = mkdtempSync(join(tmpdir(), 'semconf-runsc-'));
  const started = performance.now();
  let startupMs: number | null = null;
  let stopped: string | null = null;

  // runsc copies its own environment into the sandbox's process and into its state directory: keep it minimal.
  const child: ChildProcess = spawn(runsc, [...RUNSC_FLAGS, 'do', process.execPath, innerScript(), JSON.stringify(request)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8', TMPDIR: stateDir, NODE_OPTIONS: '' },
  });
  const out: Buffer[] = [];
  let errTail = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => {
    startupMs ??= performance.now() - started;
    errTail = (errTail + d.toString()).slice(-4096);
    say(d.toString());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: string, signal: NodeJS.Signals): void => {
    if (stopped !== null) return;
    stopped = why;
    // runsc do forwards the signal to the run inside, which stops starting cases and reports what completed.
    child.kill(signal);
    killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  };
  const limit = timeoutMs >= 10_000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
  const overall = setTimeout(() => stop(`the gVisor run did not finish within ${limit}`, 'SIGTERM'), timeoutMs);
  const onAbort = (): void => stop('interrupted', 'SIGINT');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let end: Awaited<typeof exited>;
  try {
    end = await exited;
  } finally {
    clearTimeout(overall);
    clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const wallMs = performance.now() - started;
  const cleanup = await cleanUp(stateDir);

  const json = extractResults(Buffer.concat(out).toString('utf8'));
  if (json === null) {
    const how = end.error ? `could not start runsc: ${end.error.message}` : end.signal !== null ? `runsc was killed by ${end.signal}` : `runsc exited with code ${end.code ?? '?'}`;
    const tail = errTail.trim().split('\n').slice(-3).join(' | ');
    throw new GvisorRunError(`the run inside gVisor reported no results (${stopped ?? how})${tail ? `; its last messages: ${tail}` : ''}`, cleanup);
  }
  let results: Results;
  try {
    results = adoptResults(json, `semconf run --target gvisor started it with "runsc ${RUNSC_FLAGS.join(' ')} do" (${version})`);
  } catch (e) {
    throw new GvisorRunError((e as Error).message, cleanup);
  }
  return { results, runsc: { path: runsc, version }, wallMs, startupMs, stopped, cleanup };
}
