// Worker process entry. Started by pool.ts with a WorkerStart as argv[2]; establishes its context, says hello, then
// runs the cases it is sent. A shared worker checks after each case that it is back at its baseline and retires
// when it is not; an isolated worker runs one case and leaves through _exit (after mlockall(MCL_FUTURE) Node would
// abort in its own exit path).
import { createRunner } from '../../runners/index.js';
import type { Runner } from '../../runners/types.js';
import { establishContext } from './context.js';
import { executeCase } from './execute.js';
import type { CallRecord } from '../results.js';
import type { CaseOutcome, FromWorker, ToWorker, WorkerStart } from './protocol.js';

function send(msg: FromWorker): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('worker started without an IPC channel'));
    process.send(msg, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

function baselineOf(runner: Runner): string {
  const creds = runner.credentials();
  return JSON.stringify({ locked: runner.probes.lockedBytes(), memlock: creds.memlock, euid: creds.euid });
}

async function main(): Promise<void> {
  const start = JSON.parse(process.argv[2] ?? '{}') as WorkerStart;
  const runner = createRunner();
  const { record: context, problem } = establishContext(runner, start.context);
  const baseline = baselineOf(runner);
  const { lockState, residency, lockedTotal, forkChild, execChild } = runner.probes;
  const probes = { lockState, residency, lockedTotal, forkChild, execChild };
  await send({ type: 'hello', facts: runner.facts, probes, context, ...(problem !== undefined ? { contextProblem: problem } : {}) });

  // The parent is gone (or asked us to leave): leave at once, through _exit, whatever this process locked.
  process.on('disconnect', () => runner.exitNow(0));
  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'exit') {
      process.disconnect?.();
      return;
    }
    // An isolated case may leave the process unable to go on (mlockall(MCL_FUTURE) with no room left to map):
    // tell the parent what the call did before observing anything else.
    const onCalled = start.isolated ? (call: CallRecord) => void send({ type: 'called', key: msg.item.key, call }).catch(() => undefined) : undefined;
    let outcome: CaseOutcome = executeCase(runner, msg.item, onCalled);
    if (!start.isolated) {
      const now = baselineOf(runner);
      if (now !== baseline) {
        const why = `worker state after the case differs from its baseline: ${now} (was ${baseline})`;
        outcome = { ...outcome, warnings: [...(outcome.warnings ?? []), why], retire: why };
      }
    }
    if (outcome.execPending === true && !start.isolated) {
      // never in a shared worker: the exec ends the process (plan.ts isolates every case that observes an exec)
      const { execPending: _, ...rest } = outcome;
      outcome = { ...rest, status: 'error', reason: 'the exec probe needs an isolated worker' };
    }
    void send({ type: 'result', key: msg.item.key, outcome }).then(() => {
      if (outcome.execPending === true) {
        // Returns only when execve failed; the reason is on stderr after the marker, where the pool looks.
        process.stderr.write(`${runner.probes.execSelf()}\n`);
        runner.exitNow(0);
      }
      if (start.isolated || outcome.retire !== undefined) runner.exitNow(0);
    });
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`semconf worker: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(70);
});
