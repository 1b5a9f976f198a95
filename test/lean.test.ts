// Lean workers (issue 13, part 4): what a worker process is started with, checked in real processes started exactly
// as the pool starts a worker.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { JITLESS, QUIET_GC, SINGLE_THREADED, WORKER_STACK_BYTES, workerCommand } from '../src/worker/lean.js';

/** A process started as a worker would be, reporting its stack limit and its threads once libuv's pool has started. */
function probe(lean: boolean): { stack: string; threads: number } {
  const cmd = workerCommand(lean);
  const script = `const fs = await import('node:fs');
await fs.promises.readFile('/proc/self/status');
const status = fs.readFileSync('/proc/self/status', 'utf8');
const limits = fs.readFileSync('/proc/self/limits', 'utf8');
process.stdout.write(JSON.stringify({ stack: /^Max stack size\\s+(\\S+)/m.exec(limits)[1], threads: Number(/^Threads:\\s+(\\d+)/m.exec(status)[1]) }));`;
  const r = spawnSync(cmd.execPath ?? process.execPath, [...cmd.execArgv, '--input-type=module', '-e', script], { env: cmd.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { stack: string; threads: number };
}

describe.runIf(process.platform === 'linux')('lean worker processes', () => {
  it('a worker has 2 MiB thread stacks and three fewer V8 and three fewer libuv threads than a default node', () => {
    const lean = probe(true);
    const plain = probe(false);
    expect(lean.stack).toBe(String(WORKER_STACK_BYTES));
    expect(plain.stack).not.toBe(String(WORKER_STACK_BYTES));
    expect(plain.threads - lean.threads).toBe(6);
  });

  it('without prlimit the worker is node itself, still with fewer threads', () => {
    const cmd = workerCommand(true, null);
    expect(cmd.execPath).toBeUndefined();
    expect(cmd.execArgv).toEqual([...JITLESS, ...QUIET_GC, ...SINGLE_THREADED, '--v8-pool-size=1']);
    expect(cmd.env.UV_THREADPOOL_SIZE).toBe('1');
    // not lean, but still safe to fork and to lock whole: no V8 background thread, no collection inside a lock
    expect(workerCommand(false).execArgv).toEqual([...JITLESS, ...QUIET_GC, ...SINGLE_THREADED]);
  });
});
