// Faults a run must survive: an interrupt in the middle, a results path that cannot be written, and leaving nothing
// behind (no locked memory, no child processes). Real runs of the CLI and of the worker pool.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readResults } from '../src/results.js';
import { runItems } from '../src/worker/pool.js';
import { c, itemsFor } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/cli/${name}`, import.meta.url));
const live = process.platform === 'linux' && process.geteuid?.() === 0;

/** Children of `pid` still alive (zombies included), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(d)] : [];
      } catch {
        return []; // the process ended while we looked
      }
    });
}

const vmLck = (): string => /^VmLck:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '?';

describe.runIf(live)('faults (real system calls)', () => {
  it('SIGINT in the middle of a run saves every completed case with complete: false and exits 130', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-int-')), 'r.json');
    const args = [cli, 'run', '--specs', fixture('many'), '--out', out, '--jobs', '1', '--progress'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Once: a second SIGINT ends the process at once, as a second Ctrl-C should.
      if (!interrupted && stderr.includes('[3/120]')) interrupted = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted; \d+ completed case\(s\) saved in .* with complete: false/);
    const results = readResults(out);
    expect(results.complete).toBe(false);
    expect(results.cases.length).toBeGreaterThanOrEqual(3);
    expect(results.cases.length).toBeLessThan(120);
    expect(results.cases.every((x) => x.status === 'ran')).toBe(true);
    expect(childrenOf(child.pid ?? -1)).toEqual([]);
  });

  it('a results path that cannot be written: the results are saved elsewhere, the message says where, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-ro-'));
    writeFileSync(join(dir, 'not-a-dir'), 'a file where a directory should be');
    const r = spawnSync(process.execPath, [cli, 'run', '--specs', fixture('good'), '--out', join(dir, 'not-a-dir', 'r.json')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const saved = /the results are saved in (\S+)/.exec(r.stderr)?.[1];
    expect(r.stderr).toContain(`could not write ${join(dir, 'not-a-dir', 'r.json')}`);
    expect(saved).toBeDefined();
    expect(readResults(saved as string).cases).toHaveLength(2);
  });

  it('a pool run leaves no child process and no locked memory behind', async () => {
    const before = vmLck();
    const items = [
      ...itemsFor('mlock', [c('mlock.t-a', 'mlock(buf, 2p)'), c('mlock.t-b', 'mlock(buf, 1p)')]),
      ...itemsFor('mlockall', [c('mlockall.t-c', 'mlockall(MCL_CURRENT)')]),
    ];
    const result = await runItems(items, { jobs: 2 });
    expect(result.reports.map((r) => r.outcome.status)).toEqual(['ran', 'ran', 'ran']);
    expect(childrenOf(process.pid).filter((pid) => !isVitestWorker(pid))).toEqual([]);
    expect(vmLck()).toBe(before);
  });

  it('an abort stops the pool after the cases that finished, and kills the one in flight', async () => {
    const controller = new AbortController();
    const items = itemsFor('mlock', Array.from({ length: 20 }, (_, i) => c(`mlock.t-${i}`, 'mlock(buf, 1p)')));
    const result = await runItems(items, { jobs: 1, signal: controller.signal, onReport: () => controller.abort() });
    expect(result.complete).toBe(false);
    expect(result.reports).toHaveLength(1);
    expect(childrenOf(process.pid).filter((pid) => !isVitestWorker(pid))).toEqual([]);
  });
});

/** vitest's own worker processes are children of the test process too; ours run dist/src/worker/child.js. */
function isVitestWorker(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/child.js');
  } catch {
    return true;
  }
}
