// Parent side of the workers: starts worker processes, sends them plan items, enforces each case's timeout, turns a
// crash or hang into that case's `error`, and reaps every child before returning.
import { type ChildProcess, fork } from 'node:child_process';
import { compiledScript } from '../package-info.js';
import type { PlanItem } from '../plan.js';
import type { CallRecord, ContextRecord, Probes, TargetFacts } from '../results.js';
import { afterCall } from './case-error.js';
import { execReportIn, withExecReport } from './exec-probe.js';
import { kindOf, LaneSchedule } from './lanes.js';
import { workerCommand } from './lean.js';
import type { CaseOutcome, FromWorker, ToWorker, WorkerStart } from './protocol.js';

/** How long a fresh worker may take to load Node, koffi and libc and say hello. */
const HELLO_TIMEOUT_MS = 15_000;
/** How long a worker asked to leave may take before it is killed. */
const STOP_GRACE_MS = 2_000;
/** After a worker exited, how long its stderr and IPC channel may stay open (held by a process it started, such as
 * the fork probe's child) before they are cut: the pool never waits on a stream without a limit. */
const CLOSE_GRACE_MS = 2_000;
/** How many cases a lane sends its reused worker beyond the one it runs (runItems, sendAhead). Measured in gVisor,
 * with one ordinary case sent ahead: the parent took ~3-5 ms to take in a result and send the next case, against
 * ~1-2 ms for most cases, so the worker waited before every second case. */
const SEND_AHEAD = 4;
/** How much of a worker's stderr to keep: its start (where V8 and Node say what went wrong) and its end. */
const STDERR_KEEP = 4096;

export interface WorkerReport {
  item: PlanItem;
  context: ContextRecord;
  outcome: CaseOutcome;
  /** whether the case had a process of its own (`fresh`: a Node start; `forked`: a copy of a reused worker) or ran in
   * a worker that runs case after case (`reused`) */
  process: 'fresh' | 'forked' | 'reused';
}

/** A reused worker retired before it began the case (child.ts: it could not leave the context it held); why. */
interface NotRun {
  notRun: string;
}

export interface PoolResult {
  reports: WorkerReport[];
  facts: TargetFacts | null;
  probes: Probes | null;
  /** false when the run was interrupted before every item ran */
  complete: boolean;
}

export interface PoolOptions {
  jobs: number;
  signal?: AbortSignal;
  /** compiled worker entry; defaults to dist/src/worker/child.cjs */
  childScript?: string;
  /** each completed item, with what the workers can observe (null until a worker has started) */
  onReport?: (report: WorkerReport, probes: Probes | null) => void;
  /** how long a fresh worker may take to say hello, times this (default 1; see PlanOptions.timeoutScale) */
  timeoutScale?: number;
  /** reused workers started before the plan was made (startWorkers): the lanes take these first */
  started?: StartedWorkers;
  /** how a case that needs a process of its own gets one: `forked` (default), a forked copy of a reused worker where
   * the runner can make one (else a fresh process); `fresh`, a Node process started for it (run --fresh-processes) */
  isolation?: 'forked' | 'fresh';
}

/** The compiled worker entry: the bundle of child.ts (scripts/bundle.ts). */
export function defaultChildScript(): string {
  return compiledScript(import.meta.url, 'child.cjs', 'src/worker');
}

type Hello = Extract<FromWorker, { type: 'hello' }>;

/** The lines that say what went wrong: V8's "# Fatal error" block or the first error line, else the last lines. */
export function summariseStderr(head: string, tail: string): string {
  const lines = head.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^#\s*$/.test(l));
  const firstError = lines.findIndex((l) => /^#|fatal|error|abort|assert|terminate/i.test(l) && !/^\d+: 0x/.test(l));
  if (firstError >= 0) return lines.slice(firstError, firstError + 3).join(' | ');
  return tail.trim().split('\n').slice(-3).join(' | ');
}

class WorkerProcess {
  private readonly child: ChildProcess;
  private stderrHead = '';
  private stderrTail = '';
  private readonly results = new Map<string, (o: CaseOutcome) => void>();
  /** what the call under test returned, as reported before the case finished (fresh workers, and reused ones for a whole-process case) */
  private readonly called = new Map<string, CallRecord>();
  readonly hello: Promise<Hello | { failed: string }>;
  /** the worker said hello: from then on it reads what it is sent */
  private greeted = false;
  /** resolves when the process has exited and its stdio and IPC channel are closed */
  readonly closed: Promise<string>;
  isClosed = false;

  constructor(start: WorkerStart, script: string, helloTimeoutMs = HELLO_TIMEOUT_MS) {
    // lean and without a JIT (lean.ts)
    const command = workerCommand();
    this.child = fork(script, [JSON.stringify(start)], {
      ...(command.execPath !== undefined ? { execPath: command.execPath } : {}),
      execArgv: command.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: command.env,
      // Its own process group: a terminal's Ctrl-C (sent to the foreground group) reaches only semconf, which stops
      // the run and saves what completed instead of recording killed workers as broken cases; and a worker's own
      // children (the fork probe's clone(&pause) child, an exec'd program) die with it when the group is killed.
      // If semconf itself dies, the worker's IPC channel closes and the worker leaves (child.ts).
      detached: true,
    });
    // A worker can die between our check and our write; its death is reported through 'close', so a failed send
    // (EPIPE, channel closed) needs no handling of its own beyond not crashing the parent.
    this.child.on('error', () => undefined);
    this.child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      if (this.stderrHead.length < STDERR_KEEP) this.stderrHead += text.slice(0, STDERR_KEEP - this.stderrHead.length);
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP);
    });
    this.closed = new Promise((resolve) => {
      let done = false;
      const report = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (done) return;
        done = true;
        this.isClosed = true;
        // Whatever the worker started and left behind goes with it.
        this.killGroup();
        const how = signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`;
        const said = summariseStderr(this.stderrHead, this.stderrTail);
        resolve(said ? `${how}; stderr: ${said}` : how);
      };
      this.child.on('exit', (code, signal) => {
        // 'close' follows once stdio and IPC are closed; a process the worker started may hold them open.
        const cut = setTimeout(() => {
          this.killGroup();
          this.child.stderr?.destroy();
          if (this.child.connected) this.child.disconnect();
          report(code, signal);
        }, CLOSE_GRACE_MS);
        this.child.once('close', () => {
          clearTimeout(cut);
          report(code, signal);
        });
      });
    });
    this.hello = new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        resolve({ failed: `worker did not start within ${helloTimeoutMs} ms` });
      }, helloTimeoutMs);
      this.child.on('message', (msg: FromWorker) => {
        if (msg.type === 'hello') {
          clearTimeout(timer);
          this.greeted = true;
          resolve(msg);
        } else {
          if (msg.type === 'called') this.called.set(msg.key, msg.call);
          else this.results.get(msg.key)?.(msg.outcome);
        }
      });
      void this.closed.then((how) => {
        clearTimeout(timer);
        resolve({ failed: `worker ${how} before it started` });
      });
    });
  }

  run(item: PlanItem, signal?: AbortSignal): Promise<CaseOutcome> {
    return this.dispatch(item).outcome(signal);
  }

  /** Send `item` now; its outcome is waited for, and its time limit counted, from `outcome()` on. The lanes send
   * cases ahead, while the one before them runs (runItems, SEND_AHEAD), so that the worker does not wait for
   * a round trip between them; a result that comes before `outcome()` is kept. `cancel()`: the item is no longer waited for (its
   * worker retired or died before it could start it: it goes back to the schedule). */
  dispatch(item: PlanItem): Dispatched {
    // A result with execPending comes from a worker about to exec into the exec probe's program: the case is
    // complete when that process is gone and its report is read from the end of its stderr.
    let awaitingExec: CaseOutcome | undefined;
    let settled: { outcome: CaseOutcome } | { closed: string } | undefined;
    let waiter: ((s: { outcome: CaseOutcome } | { closed: string }) => void) | undefined;
    const settle = (s: { outcome: CaseOutcome } | { closed: string }): void => {
      if (settled !== undefined) return;
      settled = s;
      this.results.delete(item.key);
      waiter?.(s);
    };
    this.results.set(item.key, (o) => {
      if (o.execPending === true) awaitingExec = o;
      else settle({ outcome: o });
    });
    void this.closed.then((how) => settle(awaitingExec !== undefined ? { outcome: withExecReport(awaitingExec, execReportIn(this.stderrTail, how, this.child.pid)) } : { closed: how }));
    this.send({ type: 'run', item });
    return {
      outcome: (signal?: AbortSignal): Promise<CaseOutcome> => {
        const started = performance.now();
        const fail = (reason: string): CaseOutcome => ({ status: 'error', reason, durationMs: performance.now() - started });
        const outcomeOf = (r: { outcome: CaseOutcome } | { closed: string }): CaseOutcome =>
          'outcome' in r ? r.outcome : fail(`worker ${r.closed}${afterCall(this.called.get(item.key))} while running the case`);
        if (settled !== undefined) return Promise.resolve(outcomeOf(settled));
        return new Promise((resolve) => {
          const finish = (o: CaseOutcome): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            waiter = undefined;
            resolve(o);
          };
          const onAbort = (): void => {
            this.kill();
            finish({ ...fail('interrupted'), interrupted: true });
          };
          const timer = setTimeout(() => {
            this.kill();
            finish(fail(`timed out after ${item.timeoutMs} ms; the worker was killed`));
          }, item.timeoutMs);
          signal?.addEventListener('abort', onAbort, { once: true });
          waiter = (r) => finish(outcomeOf(r));
        });
      },
      cancel: () => {
        if (settled === undefined) settled = { closed: 'cancelled' };
        this.results.delete(item.key);
      },
    };
  }

  private send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg, (err) => void err);
  }

  kill(): void {
    if (!this.isClosed) this.killGroup();
  }

  /** SIGKILL to the worker's process group: the worker and anything it started. */
  private killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }

  /** Ask the worker to leave, kill it if it does not, and wait until it is reaped. A worker that has not said hello
   * yet listens to nothing (its 'message' handler comes after the hello) and has run nothing: it is killed at once. */
  async stop(): Promise<void> {
    if (!this.greeted) {
      this.kill();
      await this.closed;
      return;
    }
    this.send({ type: 'exit' });
    const timer = setTimeout(() => this.kill(), STOP_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }
}

/** An item sent to a worker (WorkerProcess.dispatch). */
export interface Dispatched {
  /** its outcome; its time limit runs from this call */
  outcome(signal?: AbortSignal): Promise<CaseOutcome>;
  /** no longer waited for */
  cancel(): void;
}

/** Reused workers (that run forked copies: the default isolation) started ahead, while the parent is still loading
 * the specs and planning: a Node start (~0.2 s) is the longest thing before the first case, and needs nothing from the
 * plan. The lanes of runItems take them; stop() ends whichever no lane took (runItems does, and so must a caller whose
 * run never reaches runItems, such as one refused as bad usage). */
export class StartedWorkers {
  private readonly idle: WorkerProcess[];

  constructor(count: number, script = defaultChildScript(), timeoutScale = 1) {
    this.idle = Array.from({ length: count }, () => new WorkerProcess({ process: 'reused', copies: true }, script, Math.round(HELLO_TIMEOUT_MS * timeoutScale)));
  }

  /** how many were started and not yet taken */
  get count(): number {
    return this.idle.length;
  }

  /** a started worker that is still alive, if there is one left */
  take(): WorkerProcess | undefined {
    for (let w = this.idle.shift(); w !== undefined; w = this.idle.shift()) if (!w.isClosed) return w;
    return undefined;
  }

  async stop(): Promise<void> {
    const left = this.idle.splice(0);
    await Promise.all(left.map((w) => w.stop()));
  }
}

export async function runItems(items: readonly PlanItem[], options: PoolOptions): Promise<PoolResult> {
  const script = options.childScript ?? defaultChildScript();
  const helloMs = Math.round(HELLO_TIMEOUT_MS * (options.timeoutScale ?? 1));
  const isolation = options.isolation ?? 'forked';
  const copies = isolation === 'forked';
  // the workers started ahead fork copies: they serve only the default isolation
  const started = copies ? options.started : undefined;
  const schedule = new LaneSchedule(items, isolation, started?.count ?? 0);
  const reports = new Map<string, WorkerReport>();
  let facts: TargetFacts | null = null;
  let probes: Probes | null = null;

  const unknownContext = (item: PlanItem): ContextRecord => ({ name: item.contextName, spec: item.context, established: false, credentials: null });

  /** The item in a process of its own, its context established at start. */
  const runFresh = async (item: PlanItem): Promise<WorkerReport> => {
    const worker = new WorkerProcess({ process: 'fresh', context: item.context }, script, helloMs);
    try {
      const hello = await worker.hello;
      if ('failed' in hello) return { item, context: unknownContext(item), outcome: { status: 'error', reason: hello.failed, durationMs: 0 }, process: 'fresh' };
      facts ??= hello.facts;
      probes ??= hello.probes;
      const context = hello.context ?? unknownContext(item);
      if (!context.established) {
        const reason = hello.contextProblem ?? 'context not established';
        return { item, context, outcome: { status: 'skipped', reason, durationMs: 0 }, process: 'fresh' };
      }
      return { item, context, outcome: await worker.run(item, options.signal), process: 'fresh' };
    } finally {
      await worker.stop();
    }
  };

  /** The item in a reused worker, which enters its context (already sent to it, where `sent` says so); `whileRunning`
   * is called once it has been sent. One that needs a process of its own after all, which the worker could not give it
   * (it forks no copies, or could not fork one), gets a fresh process. NotRun: the worker retired before it began the
   * case, which the lane gives to its next worker. */
  const runReused = async (worker: WorkerProcess, item: PlanItem, sent: Dispatched | undefined, whileRunning: () => void): Promise<WorkerReport | NotRun> => {
    const hello = await worker.hello;
    if ('failed' in hello) return { item, context: unknownContext(item), outcome: { status: 'error', reason: hello.failed, durationMs: 0 }, process: 'reused' };
    facts ??= hello.facts;
    probes ??= hello.probes;
    const running = sent ?? worker.dispatch(item);
    whileRunning();
    const outcome = await running.outcome(options.signal);
    if (outcome.notRun !== undefined) return { notRun: outcome.notRun };
    if (outcome.needsFresh !== undefined) return runFresh({ ...item, isolated: true, freshReason: outcome.needsFresh });
    const { context, forked, ...rest } = outcome;
    return { item, context: context ?? unknownContext(item), outcome: rest, process: forked === true ? 'forked' : 'reused' };
  };

  const lane = async (id: number): Promise<void> => {
    let reused: WorkerProcess | undefined;
    /** this lane's worker: the one it has, else one started up front (run.ts), else a new one */
    const workerOf = (): WorkerProcess => {
      if (reused === undefined || reused.isClosed) reused = started?.take() ?? new WorkerProcess({ process: 'reused', copies }, script, helloMs);
      return reused;
    };
    /** this lane's worker is gone (retired, broken): the next reused item starts another */
    const dropWorker = async (): Promise<void> => {
      await reused?.stop();
      reused = undefined;
    };
    /** the items this lane took from the schedule and has not reported yet, in order; those sent ahead to its worker
     * say so (see sendAhead) */
    const taken: { item: PlanItem; sent?: Dispatched; warning?: string }[] = [];
    const take = (): boolean => {
      const item = schedule.next(id);
      if (item !== undefined) taken.push({ item });
      return item !== undefined;
    };
    /** the item the lane runs next: the first it took, else a new one from the schedule */
    const nextTaken = (): (typeof taken)[number] | undefined => taken.shift() ?? (take() ? taken.shift() : undefined);
    /** While `worker` runs a case, the reused items that follow it are sent too, up to SEND_AHEAD of them: the
     * worker goes from case to case without waiting for this process to take in a result and send the next, and this
     * process judges each meanwhile. A worker that retires, or breaks, runs nothing it was sent after (child.ts); what
     * was sent ahead then goes to the next worker (unsend). Whole-process cases too: a worker runs a case, its undoing
     * and the proof of its baseline in one go, without returning to its event loop (child.ts; a forked copy never
     * returns to it), so a case sent ahead waits in the channel, or was read before the case began: nothing is read
     * into the worker while it may be locked whole. */
    const sendAhead = (worker: WorkerProcess): void => {
      for (let k = 0; k < SEND_AHEAD; k++) {
        if (taken.length <= k && !take()) return;
        const next = taken[k] as (typeof taken)[number];
        if (kindOf(next.item, isolation) !== 'reused') return;
        next.sent ??= worker.dispatch(next.item);
      }
    };
    /** the worker they were sent to is gone before it started them: they are sent again, to the next worker */
    const unsend = (): void => {
      for (const t of taken) {
        t.sent?.cancel();
        delete t.sent;
      }
    };
    try {
      for (let current = nextTaken(); current !== undefined; current = nextTaken()) {
        const { item, sent, warning } = current;
        if (options.signal?.aborted) break;
        let report: WorkerReport;
        if (kindOf(item, isolation) === 'fresh') report = await runFresh(item);
        else {
          const worker = workerOf();
          const done = await runReused(worker, item, sent, () => sendAhead(worker));
          if ('notRun' in done) {
            // the worker retired before it began the case: the case is the first for the next worker, with the reason
            unsend();
            await dropWorker();
            taken.unshift({ item, warning: `not run in the worker before, which retired: ${done.notRun}` });
            continue;
          }
          report = warning === undefined ? done : { ...done, outcome: { ...done.outcome, warnings: [warning, ...(done.outcome.warnings ?? [])] } };
          if (report.outcome.retire !== undefined || report.outcome.status === 'error' || worker.isClosed) {
            unsend();
            await dropWorker();
          }
        }
        // A case cut short by an interrupt did not complete: it is left out, and the run is marked incomplete. So is
        // a case that broke once the run was interrupted: a worker forked in the instant a terminal's SIGINT reached
        // the process group is still in it (until its setsid) and dies of the signal; that is not the case's doing.
        if (report.outcome.interrupted === true || (options.signal?.aborted === true && report.outcome.status === 'error')) break;
        reports.set(item.key, report);
        options.onReport?.(report, probes);
      }
    } finally {
      schedule.release(id);
      await dropWorker();
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, items.length)) }, (_, id) => lane(id)));
  } finally {
    await options.started?.stop();
  }
  const ordered = items.flatMap((i) => {
    const r = reports.get(i.key);
    return r ? [r] : [];
  });
  return { reports: ordered, facts, probes, complete: ordered.length === items.length };
}
