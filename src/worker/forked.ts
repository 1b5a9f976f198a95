// A case that needs a process of its own, run in a forked copy of a reused worker (runners/linux-fork.ts) instead of a
// fresh Node process: the copy establishes the case's context for good (as a fresh worker does at its start), runs
// the case, reports over a pipe and leaves through _exit; the worker waits for it, reaps it and hands the pool the
// outcome. The copy starts from the worker's proven baseline: fork gives it no locks and no MCL_FUTURE, and the
// worker's credentials and limits. Whatever the copy does to itself (a lowered hard limit, a dropped uid, a
// whole-process lock, an exec) ends with it; the worker proves its own baseline again after.
//
// In the copy, process.pid is still the worker's (Node reads it once, at start): nothing on this path may use it
// (the Linux runner reads /proc/self).
//
// The pipe carries frames (a 4-byte length, then v8.serialize of a CopyMessage); after a result that awaits the exec
// probe, the rest is what the exec'd program printed, read as the pool reads a fresh worker's stderr.
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { deserialize, serialize } from 'node:v8';
import type { ForkCopy, Runner } from '../../runners/types.js';
import type { PlanItem } from '../plan.js';
import type { CallRecord, ContextRecord } from '../results.js';
import { afterCall } from './case-error.js';
import { establishContext } from './context.js';
import { execReportIn, withExecReport } from './exec-probe.js';
import { executeCase } from './execute.js';
import type { CaseOutcome } from './protocol.js';

type CopyMessage =
  | { type: 'context'; record: ContextRecord; problem?: string }
  | { type: 'called'; call: CallRecord }
  | { type: 'result'; outcome: CaseOutcome }
  | { type: 'failed'; message: string };

const signalName = (n: number): string => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

function writeFrame(fd: number, msg: CopyMessage): void {
  const body = serialize(msg);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  writeSync(fd, Buffer.concat([head, body]));
}

/** The frames in what the copy wrote, and the text after the last one (the exec'd program's output). */
export function readFrames(data: Buffer): { messages: CopyMessage[]; rest: string } {
  const messages: CopyMessage[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const length = data.readUInt32LE(at);
    if (at + 4 + length > data.length) break;
    const msg = deserialize(data.subarray(at + 4, at + 4 + length)) as CopyMessage;
    messages.push(msg);
    at += 4 + length;
    if (msg.type === 'result' && msg.outcome.execPending === true) break;
  }
  return { messages, rest: data.subarray(at).toString('utf8') };
}

/** In the copy: the case, from its context to its report; never returns. */
function inCopy(runner: Runner, copy: ForkCopy, item: PlanItem, fd: number): never {
  try {
    const established = establishContext(runner, item.context);
    copy.dieWithParent();
    writeFrame(fd, { type: 'context', record: established.record, ...(established.problem !== undefined ? { problem: established.problem } : {}) });
    if (established.problem === undefined) {
      const outcome = executeCase(runner, item, (call) => writeFrame(fd, { type: 'called', call }));
      writeFrame(fd, { type: 'result', outcome });
      // returns only when execve failed; the reason follows the marker, where the worker looks
      if (outcome.execPending === true) writeSync(fd, `${runner.probes.execSelf(fd)}\n`);
    }
  } catch (e) {
    try {
      writeFrame(fd, { type: 'failed', message: (e as Error).stack ?? String(e) });
    } catch {
      // the worker is gone
    }
  }
  return runner.exitNow(0);
}

/** How many copies may die before they said anything (nothing of the case had run) before the case's error is
 * that: a page V8 allocated in the instant between the MADV_DOFORK sweep and the fork is missing in the copy, which
 * then dies at its first touch of it (measured: 1 copy in 7,000, with the worker allocating hard while it forked). */
const SILENT_DEATHS = 2;

/** The case in a forked copy of this worker, or why no copy could be made (the worker then leaves the case to a
 * fresh process). The outcome carries the context the copy established and `forked: true`. */
export function runForked(runner: Runner, copy: ForkCopy, item: PlanItem): CaseOutcome | { cannot: string } {
  const died: string[] = [];
  for (;;) {
    const outcome = runInCopy(runner, copy, item);
    if (!('silentDeath' in outcome)) {
      if ('cannot' in outcome || died.length === 0) return outcome;
      const warning = `${died.length === 1 ? 'a forked copy' : `${died.length} forked copies`} died before the case began (${died.join('; ')}); it ran in the next`;
      return { ...outcome, warnings: [...(outcome.warnings ?? []), warning] };
    }
    died.push(outcome.silentDeath);
    if (died.length > SILENT_DEATHS) {
      return { status: 'error', reason: `every forked copy died before the case began (${died.join('; ')})`, durationMs: 0, forked: true };
    }
  }
}

function runInCopy(runner: Runner, copy: ForkCopy, item: PlanItem): CaseOutcome | { cannot: string } | { silentDeath: string } {
  const started = performance.now();
  const made = copy.fork();
  if ('problem' in made) return { cannot: made.problem };
  if (made.pid === 0) inCopy(runner, copy, item, made.fd);
  const data = copy.collect(made.pid, made.fd);
  const ended = copy.reap(made.pid);
  const how = 'code' in ended ? `exited with code ${ended.code}` : 'signal' in ended ? `killed by ${signalName(ended.signal)}` : ended.problem;
  // Not a word, not a byte: the copy died before it established the case's context, so no call of the case was made.
  if (data.length === 0 && !('code' in ended && ended.code === 0)) return { silentDeath: how };
  const { messages, rest } = readFrames(data);
  const context = messages.find((m) => m.type === 'context');
  const result = messages.find((m) => m.type === 'result');
  const failed = messages.find((m) => m.type === 'failed');
  const called = messages.find((m) => m.type === 'called');
  const durationMs = performance.now() - started;
  const base = { ...(context !== undefined ? { context: context.record } : {}), forked: true as const };
  if (context?.problem !== undefined) return { status: 'skipped', reason: context.problem, durationMs: 0, ...base };
  if (result !== undefined) {
    const outcome = result.outcome.execPending === true ? withExecReport(result.outcome, execReportIn(rest, how, made.pid)) : result.outcome;
    return { ...outcome, ...base };
  }
  if (failed !== undefined) return { status: 'error', reason: `the forked copy failed: ${failed.message.split('\n')[0] ?? ''}`, durationMs, ...base };
  return { status: 'error', reason: `the forked copy ${how}${afterCall(called?.call)} while running the case`, durationMs, ...base };
}
