// Lean workers (issue 13, part 4): what a worker process is started with, checked in real processes started exactly
// as the pool starts a worker.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUIET_GC, SINGLE_THREADED, WORKER_STACK_BYTES, workerCommand } from '../src/worker/lean.js';

/** A process started as a worker would be, reporting its stack limit, its threads once libuv's pool has started, and
 * the anonymous memory it holds in transparent huge pages (kB). */
function probe(lean: boolean): { stack: string; threads: number; hugeKb: number } {
  const cmd = workerCommand(true, lean);
  const script = `const fs = await import('node:fs');
await fs.promises.readFile('/proc/self/status');
const status = fs.readFileSync('/proc/self/status', 'utf8');
const limits = fs.readFileSync('/proc/self/limits', 'utf8');
let hugeKb = 0;
for (const m of fs.readFileSync('/proc/self/smaps', 'utf8').matchAll(/^AnonHugePages:\\s+(\\d+) kB/gm)) hugeKb += Number(m[1]);
process.stdout.write(JSON.stringify({ stack: /^Max stack size\\s+(\\S+)/m.exec(limits)[1], threads: Number(/^Threads:\\s+(\\d+)/m.exec(status)[1]), hugeKb }));`;
  const r = spawnSync(cmd.execPath ?? process.execPath, [...cmd.execArgv, '--input-type=module', '-e', script], { env: cmd.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { stack: string; threads: number; hugeKb: number };
}

describe.runIf(process.platform === 'linux')('lean worker processes', () => {
  it('a worker has 2 MiB thread stacks and three fewer V8 and three fewer libuv threads than a default node', () => {
    const lean = probe(true);
    const plain = probe(false);
    expect(lean.stack).toBe(String(WORKER_STACK_BYTES));
    expect(plain.stack).not.toBe(String(WORKER_STACK_BYTES));
    expect(plain.threads - lean.threads).toBe(6);
  });

  it('where the kernel has transparent huge pages, a worker\'s code is in them (a whole-process lock pins fewer pages)', () => {
    let thp = '';
    try {
      thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    } catch {
      // none (gVisor): the flag is not given, and nothing is in huge pages
    }
    const lean = probe(true);
    if (thp === '' || thp.includes('[never]')) {
      expect(workerCommand(true, true).execArgv).not.toContain('--use-largepages=silent');
      return;
    }
    expect(workerCommand(true, true).execArgv).toContain('--use-largepages=silent');
    // node's code is tens of MB: at least a few 2 MiB pages of it, where a plain node has none of its own
    expect(lean.hugeKb).toBeGreaterThanOrEqual(4 * 2048);
    expect(probe(false).hugeKb).toBeLessThan(lean.hugeKb);
  });

  it('without prlimit the worker is node itself, still with fewer threads', () => {
    const cmd = workerCommand(false, true, null);
    expect(cmd.execPath).toBeUndefined();
    expect(cmd.execArgv.filter((f) => f !== '--use-largepages=silent')).toEqual(['--v8-pool-size=1']);
    expect(cmd.env.UV_THREADPOOL_SIZE).toBe('1');
    // not lean, but still safe to fork and to lock whole: no V8 background thread, no collection inside a lock
    expect(workerCommand(true, false).execArgv).toEqual(['--jitless', ...QUIET_GC, ...SINGLE_THREADED]);
  });
});
