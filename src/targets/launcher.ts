// One way to run a suite somewhere else. gVisor, a virtual machine and a 32-bit userland are the same idea: start
// the inner run (inner.ts) there, bring one results file back, validate it, reap everything that was started, and
// report an incomplete run as incomplete. A Launcher says only what differs: whether it can run here, the command
// that starts `node inner.js REQUEST` there, how to check and label what came back, and any clean-up of its own.
// Everything else (time limit, stop and kill, bounded output, markers, validation, reaping) is here, once.
//
// Reaping: the command is started in its own process group, and the inner run carries the launcher's private state
// directory on its command line (protocol.ts). After it ends, the group is killed, and so is every process that
// still mentions the state directory (runsc's sandbox, a qemu, a chroot's node): nothing started is left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledScript } from '../package-info.js';
import type { Results } from '../results.js';
import type { Catalog } from '../spec/catalog-model.js';
import { buildIdentity, cacheDir, CacheStore } from '../spec/catalog-cache.js';
import { extract, type InnerRequest, RESULTS_END } from './protocol.js';
import { patternList, type Patterns, type Shard } from '../selection.js';

/** How a launcher starts the inner run. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** one sentence for the results' runtime basis: "semconf run --target gvisor started it with ..." */
  startedWith: string;
  /** what the results file records about the launch (qemu version, accelerator, kernel image, ABI ...) */
  facts: Record<string, string>;
  /** a file the inner run's stdout is written to instead of the command's stdout (a VM writes it into a share of
   * the state directory; its console is no channel for results). It is read after the command exited, before
   * clean-up, and the command's stdout is then messages, like its stderr. */
  output?: string;
}

export interface PrepareContext {
  /** private, empty, removed afterwards */
  stateDir: string;
  /** the compiled inner script, as the host sees it */
  inner: string;
  request: InnerRequest;
  /** where the launcher's own messages go */
  say: (text: string) => void;
}

export interface Launcher {
  /** the --target name */
  readonly target: string;
  /** how the inner run names where it runs ("inside gVisor") */
  readonly where: string;
  /** one sentence: why this target cannot run on this machine, or null */
  problem(): string | null;
  /** set up (if needed) and say how to start `node inner.js REQUEST` there */
  prepare(ctx: PrepareContext): Promise<Launch> | Launch;
  /** check what came back against what was started (e.g. the runner inside must have seen gVisor) and label it;
   * throws with one sentence when the results cannot be what they claim */
  adopt(results: Results, launch: Launch): Results;
  /** on top of every planned case's own timeout: start-up of the system and of Node there */
  readonly marginMs: number;
  /** how much slower than this machine a case may run there (default 1): every case's timeout and the workers'
   * start-up limit are multiplied by it, inside and in this run's own time limit */
  readonly timeoutScale?: number;
  /** how an interrupt reaches the inner run (default: SIGINT to the started command); `how` is what prepare said */
  interrupt?(child: ChildProcess, how: Launch): void;
  /** the launcher's own clean-up after the command ended (unmounts ...): what it found left behind */
  cleanup?(stateDir: string): Promise<string[]> | string[];
  /** the directory the private state directory is made in (default: the temporary directory), where the system
   * started needs one it can reach */
  stateParent?(): string;
}

export interface LaunchOptions {
  catalog: Catalog;
  /** absolute path of the spec directory the catalog was loaded from (the inner run loads it again) */
  specs: string;
  jobs: number;
  profiles?: string[];
  /** run --filter, --exclude, --shard (src/selection.ts) */
  filter?: Patterns;
  exclude?: Patterns;
  shard?: Shard;
  /** run --repeat N: the inner run repeats every case, and the time limit grows with it */
  repeat?: number;
  signal?: AbortSignal;
  /** limit for the whole run (default: the launcher's margin plus every planned case's timeout) */
  timeoutMs?: number;
  /** the inner run prints each case to stderr as it completes */
  progress?: boolean;
  /** where the inner run's and the launcher's messages go (default: this process's stderr) */
  onMessage?: (text: string) => void;
  /** the catalog cache the inner run reads (InnerRequest.cache): this run's (default: catalog-cache.ts cacheDir), or
   * null for none (run --no-cache) */
  cache?: string | null;
}

export interface CleanupReport {
  /** the private state directory; removed afterwards */
  stateDir: string;
  /** processes of the run still alive after it ended (killed) */
  leftoverProcesses: number[];
  /** what was left in the state directory or found by the launcher's own clean-up (removed) */
  leftoverState: string[];
}

/** The run failed; what clean-up found is still reported. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly cleanup: CleanupReport,
  ) {
    super(message);
  }
}

export interface LaunchedRun {
  results: Results;
  launch: Launch;
  /** from starting the command to its exit */
  wallMs: number;
  /** from starting the command to the inner run's first message (the system's and Node's start), or null */
  startupMs: number | null;
  /** why the run was stopped before it ended by itself (interrupted, over its time limit), or null */
  stopped: string | null;
  cleanup: CleanupReport;
}

/** After SIGINT/SIGTERM, how long the inner run may take to report what completed before it is killed. */
export const STOP_GRACE_MS = 15_000;
/** After the command exited, how long its output streams may stay open (a grandchild holding them) before they are
 * cut: never wait on a stream without a limit. */
const CLOSE_GRACE_MS = 5_000;
/** The most a run may print on stdout; past it the run is stopped (a results file of 1,000 cases is ~6 MB). */
export const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** The compiled script that runs somewhere else (inner.js). */
export function innerScript(): string {
  return compiledScript(import.meta.url, 'inner.js', 'src/targets');
}

/** Processes whose command line mentions `needle`. */
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

const killGroup = (pid: number | undefined, signal: NodeJS.Signals): void => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
};

/** Kill what the run left behind (it should leave nothing), run the launcher's clean-up, remove the state
 * directory; say what was found. */
export async function cleanUp(launcher: Pick<Launcher, 'cleanup'>, stateDir: string, group?: number): Promise<CleanupReport> {
  killGroup(group, 'SIGKILL');
  // A sandbox or VM dies with its launcher command, but not always at the same instant.
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
  const own = (await launcher.cleanup?.(stateDir)) ?? [];
  const leftoverState = [...own, ...(existsSync(stateDir) ? readdirSync(stateDir) : [])];
  rmSync(stateDir, { recursive: true, force: true });
  return { stateDir, leftoverProcesses, leftoverState };
}

/** At most MAX_OUTPUT_BYTES of a launch's output file ("" when the inner run never wrote it): more is cut, which the
 * protocol then reports as truncated results. */
export function readOutputFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, MAX_OUTPUT_BYTES - total));
      const n = chunk.length === 0 ? 0 : readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const seconds = (ms: number): string => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

/** What starting a launch needs: everything of LaunchOptions but the catalog, which it does not wait for. */
export type StartOptions = Omit<LaunchOptions, 'catalog' | 'timeoutMs' | 'signal'>;

/** A launch under way, started before the specs are loaded (semconf run starts it first: the sandbox's or VM's start
 * is the longest wait of such a run, and needs nothing from the plan). */
export interface StartedLaunch {
  /** the whole run's time limit, from its start, once the plan is known; until then the launcher's margin holds */
  limit(timeoutMs: number): void;
  /** stop the inner run as an interrupt does (it reports what completed) */
  interrupt(): void;
  /** the run, once it has ended and been cleaned up */
  readonly result: Promise<LaunchedRun>;
  /** end it now, for a run that never gets to wait for it (bad usage found after it started): killed, cleaned up */
  cancel(): Promise<void>;
}

/** The whole run's time limit: the launcher's margin plus every planned case's own timeout. */
async function plannedLimitMs(
  launcher: Pick<Launcher, 'marginMs' | 'timeoutScale'>,
  catalog: Catalog,
  options: Pick<LaunchOptions, 'filter' | 'exclude' | 'shard' | 'repeat'>,
): Promise<number> {
  const { plan } = await import('../plan.js');
  const scale = launcher.timeoutScale;
  const planned = plan(catalog, {
    filter: patternList(options.filter),
    exclude: patternList(options.exclude),
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
    ...(scale !== undefined ? { timeoutScale: scale } : {}),
  });
  return launcher.marginMs + planned.reduce((n, i) => n + i.timeoutMs, 0);
}

/** Run the catalog somewhere else through `launcher`. */
export async function launch(launcher: Launcher, options: LaunchOptions): Promise<LaunchedRun> {
  return finishLaunch(launcher, await startLaunch(launcher, options), options);
}

/** Wait for a started launch, once the catalog is loaded: its time limit from the plan (or as given), an interrupt
 * forwarded, the run as it ended. */
export async function finishLaunch(
  launcher: Launcher,
  started: StartedLaunch,
  options: Pick<LaunchOptions, 'catalog' | 'timeoutMs' | 'signal' | 'filter' | 'exclude' | 'shard' | 'repeat'>,
): Promise<LaunchedRun> {
  started.limit(options.timeoutMs ?? (await plannedLimitMs(launcher, options.catalog, options)));
  const onAbort = (): void => started.interrupt();
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await started.result;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Start the inner run through `launcher`; see StartedLaunch. A launcher that cannot run here, or cannot prepare,
 * throws (nothing is left running). */
export async function startLaunch(launcher: Launcher, options: StartOptions): Promise<StartedLaunch> {
  const problem = launcher.problem();
  if (problem !== null) throw new Error(problem);
  const scale = launcher.timeoutScale;
  const filter = patternList(options.filter);
  const exclude = patternList(options.exclude);
  const say = options.onMessage ?? ((t: string) => void process.stderr.write(t));
  const stateDir = mkdtempSync(join(launcher.stateParent?.() ?? tmpdir(), `semconf-${launcher.target}-`));
  // the catalog cache the inner run reads, none with --no-cache (LaunchOptions.cache)
  const cache = options.cache === null ? undefined : (options.cache ?? cacheDir());
  const request: InnerRequest = {
    specs: options.specs,
    jobs: options.jobs,
    where: launcher.where,
    stateDir,
    // the launching run's cache may keep the build's digest (codeDigest): --no-cache hashes the build
    build: buildIdentity(cache === undefined ? undefined : new CacheStore(cache)),
    ...(cache !== undefined ? { cache } : {}),
    ...(scale !== undefined ? { timeoutScale: scale } : {}),
    ...(options.progress === true ? { progress: true } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(filter.length > 0 ? { filter } : {}),
    ...(exclude.length > 0 ? { exclude } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
  };
  let how: Launch;
  try {
    how = await launcher.prepare({ stateDir, inner: innerScript(), request, say });
  } catch (e) {
    const cleanup = await cleanUp(launcher, stateDir);
    throw new LaunchError(`could not prepare --target ${launcher.target}: ${(e as Error).message}`, cleanup);
  }

  const started = performance.now();
  let startupMs: number | null = null;
  let stopped: string | null = null;
  // Its own process group: a terminal's Ctrl-C reaches semconf, which forwards it once, and the whole group can be
  // killed at the end.
  const child = spawn(how.command, how.args, { stdio: ['ignore', 'pipe', 'pipe'], env: how.env, detached: true });
  const out: Buffer[] = [];
  let outBytes = 0;
  let errTail = '';
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: string, signal: NodeJS.Signals | 'interrupt'): void => {
    if (stopped !== null) return;
    stopped = why;
    if (signal === 'interrupt' && launcher.interrupt) launcher.interrupt(child, how);
    else child.kill(signal === 'interrupt' ? 'SIGINT' : signal);
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS);
  };
  const message = (d: Buffer): void => {
    startupMs ??= performance.now() - started;
    errTail = (errTail + d.toString()).slice(-4096);
    say(d.toString());
  };
  // The results, validated from the moment their end marker arrives on stdout, while the target still shuts down
  // (a sandbox's or a chroot's tear-down); used only if they are exactly what the command printed in the end.
  // (undefined: not looked for yet; null: the marker came, but no results between markers before it)
  let early: EarlyResults | null | undefined;
  let seen = '';
  child.stdout?.on('data', (d: Buffer) => {
    outBytes += d.length;
    if (outBytes > MAX_OUTPUT_BYTES) {
      stop(`the run printed more than ${MAX_OUTPUT_BYTES} bytes`, 'SIGTERM');
      return;
    }
    if (how.output !== undefined) message(d);
    else {
      out.push(d);
      // the marker may straddle two chunks: each chunk is searched with the end of the one before
      const text = seen + d.toString('latin1');
      if (early === undefined && text.includes(END_MARKER)) early = validateEarly(launcher, how, Buffer.concat(out).toString('utf8'));
      seen = text.slice(-END_MARKER.length);
    }
  });
  child.stderr?.on('data', message);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => {
      // Output still buffered arrives before 'close'; a grandchild holding the pipes must not hold us forever.
      const cut = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ code, signal });
      }, CLOSE_GRACE_MS);
      child.once('close', () => {
        clearTimeout(cut);
        resolve({ code, signal });
      });
    });
  });
  // Until the plan gives the run's own limit, the launcher's margin: a launch is never without one.
  const overLimit = (ms: number): NodeJS.Timeout =>
    setTimeout(() => stop(`the ${launcher.target} run did not finish within ${seconds(ms)}`, 'SIGTERM'), Math.max(0, ms - (performance.now() - started)));
  let overall = overLimit(launcher.marginMs);

  let settled = false;
  const result = (async (): Promise<LaunchedRun> => {
    let end: Awaited<typeof exited>;
    try {
      end = await exited;
    } finally {
      settled = true;
      clearTimeout(overall);
      clearTimeout(killTimer);
    }
    const wallMs = performance.now() - started;
    // The output file lives in the state directory, which clean-up removes; once read, it is no leftover.
    const output = how.output !== undefined ? readOutputFile(how.output) : Buffer.concat(out).toString('utf8');
    if (how.output !== undefined) rmSync(how.output, { force: true });
    const cleanup = await cleanUp(launcher, stateDir, child.pid);
    return { results: await adoptOutput(launcher, how, output, end, stopped, errTail, cleanup, early ?? null), launch: how, wallMs, startupMs, stopped, cleanup };
  })();
  // It may fail before anyone waits for it (the specs are still loading): that is reported when it is waited for.
  result.catch(() => undefined);
  return {
    limit(ms) {
      clearTimeout(overall);
      overall = overLimit(ms);
    },
    interrupt: () => stop('interrupted', 'interrupt'),
    result,
    async cancel() {
      // once the run ended by itself there is nothing to stop (and no kill timer may be left to hold the process)
      if (!settled) {
        stop('cancelled', 'SIGKILL');
        killGroup(child.pid, 'SIGKILL');
      }
      await result.catch(() => undefined);
    },
  };
}

/** What ends the results on stdout (protocol.ts), as the inner run prints it. */
const END_MARKER = `\n${RESULTS_END}`;

/** Results validated before the command exited: the JSON they were made from, and the outcome. */
interface EarlyResults {
  json: string;
  outcome: Promise<Results>;
}

function validateEarly(launcher: Launcher, how: Launch, output: string): EarlyResults | null {
  const came = extract(output);
  if (came.kind !== 'results') return null;
  const outcome = validateResults(launcher, how, came.json);
  // refused or not, it is looked at only once the command has exited
  outcome.catch(() => undefined);
  return { json: came.json, outcome };
}

/** The JSON between the markers, parsed, validated and adopted by the launcher; an Error says why it was refused. The
 * schemas are loaded only now: starting a launch needs none of them (src/commands/run.ts starts it first). */
async function validateResults(launcher: Launcher, how: Launch, json: string): Promise<Results> {
  const [{ Results }, { fastValidator }] = await Promise.all([import('../results.js'), import('../fast-validate.js')]);
  const data: unknown = JSON.parse(json);
  // the fast path where it accepts (src/fast-validate.ts: the inner run builds its results in the schema's order),
  // zod where it does not, and zod words the refusal
  const fast = fastValidator(Results);
  if (fast !== undefined && fast(data)) return launcher.adopt(data, how);
  const parsed = Results.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`not valid results: at ${first?.path.join('.') || '(top level)'}: ${first?.message ?? 'invalid'}`);
  }
  return launcher.adopt(parsed.data, how);
}

/** The results the inner run printed, validated and adopted by the launcher (`early`: as validated already, when the
 * very same JSON came back); a LaunchError says what came back. */
async function adoptOutput(
  launcher: Launcher,
  how: Launch,
  output: string,
  end: { code: number | null; signal: NodeJS.Signals | null; error?: Error },
  stopped: string | null,
  errTail: string,
  cleanup: CleanupReport,
  early: EarlyResults | null = null,
): Promise<Results> {
  const came = extract(output);
  const exit = end.error
    ? `could not start ${how.command}: ${end.error.message}`
    : end.signal !== null
      ? `${how.command} was killed by ${end.signal}`
      : `${how.command} exited with code ${end.code ?? '?'}`;
  const tail = errTail.trim().split('\n').slice(-3).join(' | ');
  const last = tail ? `; its last messages: ${tail}` : '';
  if (came.kind === 'absent') throw new LaunchError(`the run ${launcher.where} reported no results (${stopped ?? exit})${last}`, cleanup);
  if (came.kind === 'truncated') {
    throw new LaunchError(`the results from ${launcher.where} came back truncated after ${came.bytes} bytes (${stopped ?? exit})${last}`, cleanup);
  }
  try {
    return await (early !== null && early.json === came.json ? early.outcome : validateResults(launcher, how, came.json));
  } catch (e) {
    throw new LaunchError(`the results from ${launcher.where} were refused: ${(e as Error).message}`, cleanup);
  }
}

/** The label every launcher gives its results: the runtime basis says how it was started, and the launch facts are
 * recorded beside the facts the runner inside saw. */
export function labelled(results: Results, launcher: Pick<Launcher, 'target'>, how: Launch, id: string): Results {
  const inside = results.target;
  return {
    ...results,
    target: {
      ...inside,
      id,
      runtimeBasis: `${how.startedWith}; ${inside.runtimeBasis ?? ''}`.replace(/; $/, ''),
      launch: { target: launcher.target, facts: how.facts },
    },
  };
}
