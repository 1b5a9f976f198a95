// Forked copies of a worker (runners/linux-fork.ts, src/worker/forked.ts): the pure parts (the sweep's spans, the
// pipe's frames), and with real processes that a copy never outlives the worker that forked it, nor a worker the
// semconf that started it. The cases run in copies are covered by test/reuse.test.ts and test/reuse-equivalence.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { sweepSpans } from '../runners/linux-fork.js';
import { readFrames } from '../src/worker/forked.js';
import { c, itemsFor } from './helpers.js';

const isLinuxRoot = process.platform === 'linux' && process.geteuid?.() === 0;

describe('the MADV_DOFORK sweep (pure)', () => {
  const maps = [
    '55d0c0000000-55d0c0100000 r-xp 00000000 08:01 1234 /usr/bin/node',
    '7ffd12340000-7ffd12361000 rw-p 00000000 00:00 0 [stack]',
    '7ffd123f0000-7ffd123f4000 r--p 00000000 00:00 0 [vvar]',
    '7ffd123f4000-7ffd123f6000 r-xp 00000000 00:00 0 [vdso]',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]',
  ].join('\n');

  it('covers everything from the first page to the top but the [vvar] mapping, which refuses it', () => {
    expect(sweepSpans(maps, 1n << 47n)).toEqual([
      [0x1000n, 0x7ffd123f0000n],
      [0x7ffd123f4000n, 1n << 47n],
    ]);
  });

  it('a second VM_IO mapping ([vvar_vclock], newer kernels) is skipped too; the sweep stops at the top given', () => {
    const two = `${maps}\n7ffd123ec000-7ffd123f0000 r--p 00000000 00:00 0 [vvar_vclock]`;
    expect(sweepSpans(two, 0x7ffd12400000n)).toEqual([
      [0x1000n, 0x7ffd123ec000n],
      [0x7ffd123f4000n, 0x7ffd12400000n],
    ]);
  });
});

describe("the copy's frames (pure)", () => {
  const frame = (msg: unknown): Buffer => {
    const body = serialize(msg);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length);
    return Buffer.concat([head, body]);
  };

  it('reads every whole frame; after a result awaiting the exec probe, the rest is the program text', () => {
    const result = { type: 'result', outcome: { status: 'ran', durationMs: 1, execPending: true } };
    const data = Buffer.concat([frame({ type: 'called', call: { text: 'mlockall(MCL_CURRENT)', ret: 0 } }), frame(result), Buffer.from('\nsemconf-exec-probe: execve follows\nVmLck:\t0 kB\n')]);
    const { messages, rest } = readFrames(data);
    expect(messages.map((m) => m.type)).toEqual(['called', 'result']);
    expect(rest).toBe('\nsemconf-exec-probe: execve follows\nVmLck:\t0 kB\n');
  });

  it('a frame cut short (the copy died while writing it) is not read as a message', () => {
    const whole = frame({ type: 'context', record: { name: 'privileged' } });
    const cut = frame({ type: 'result', outcome: { status: 'ran', durationMs: 1 } }).subarray(0, 9);
    expect(readFrames(Buffer.concat([whole, cut])).messages.map((m) => m.type)).toEqual(['context']);
  });
});

/** A worker-like process (no JIT, as the pool starts the forking workers) that forks a copy which hangs, says both
 * pids, and waits for the copy in `collect`, as a worker does. */
const worker = `
const { createRunner } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/runners/index.js', import.meta.url)))});
const runner = createRunner();
const copy = runner.forkCopy;
const made = copy.fork();
if (made.pid === 0) {
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
process.stdout.write(JSON.stringify({ worker: process.pid, copy: made.pid }) + '\\n');
// a pause between the fork and the collect, where the test asks for one: its "semconf" is killed in it
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.COLLECT_AFTER_MS ?? 0));
copy.collect(made.pid, made.fd);
copy.reap(made.pid);
process.stdout.write('collected\\n');
`;

/** Whether a process is still running (a zombie waiting for a reaper that never comes is not). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !running(pid);
}

describe.runIf(isLinuxRoot)('a forked copy never outlives its worker (real processes)', () => {
  const pidsOf = (child: ReturnType<typeof spawn>): Promise<{ worker: number; copy: number }> =>
    new Promise((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line !== undefined) resolve(JSON.parse(line) as { worker: number; copy: number });
      });
      child.on('exit', (code) => reject(new Error(`the worker exited (${code}) before it said its pids: ${out}`)));
    });

  it('a worker killed outright takes its copy with it (PR_SET_PDEATHSIG)', async () => {
    const child = spawn(process.execPath, ['--jitless', '--input-type=module', '-e', worker], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { worker: w, copy } = await pidsOf(child);
    expect(running(copy)).toBe(true);
    process.kill(w, 'SIGKILL');
    expect(await gone(copy, 10_000)).toBe(true);
  });

  it.each([0, 500])('a worker whose own parent died kills its copy and stops waiting for it (killed %i ms before the worker collects)', async (pause) => {
    // the shell stands for semconf: it starts the worker and is killed; the worker is orphaned. With a pause, it dies
    // after the fork and before the collect: the worker must still see that its parent changed.
    const shell = spawn('sh', ['-c', `"${process.execPath}" --jitless --input-type=module -e "$WORKER" & wait`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WORKER: worker, COLLECT_AFTER_MS: String(pause) },
    });
    const { worker: w, copy } = await pidsOf(shell);
    expect([running(w), running(copy)]).toEqual([true, true]);
    process.kill(shell.pid ?? 0, 'SIGKILL');
    // the worker checks its parent every 100 ms while it waits: the copy is killed, the worker goes on and leaves
    // (within 10 s: on a loaded machine a full test run once took over 2 s)
    expect(await gone(copy, 10_000)).toBe(true);
    expect(await gone(w, 10_000)).toBe(true);
  });
});

describe.runIf(isLinuxRoot)('a copy that dies before it says anything (real processes)', () => {
  // The copies here die on purpose (a wrapper around the real ForkCopy makes the first ones leave through _exit(9) as
  // soon as they are made), standing for a copy that lacks a page V8 allocated between the sweep and the fork. (Not
  // process.kill(process.pid): Node keeps the pid it started with, so in a copy process.pid is the worker's.)
  const script = (silentDeaths: number): string => `
const { createRunner } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/runners/index.js', import.meta.url)))});
const { runForked } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/src/worker/forked.js', import.meta.url)))});
const runner = createRunner();
const real = runner.forkCopy;
let forks = 0;
const copy = { ...real, fork() {
  const made = real.fork();
  forks++;
  if ('pid' in made && made.pid === 0 && forks <= ${silentDeaths}) runner.exitNow(9);
  return made;
} };
const outcome = runForked(runner, copy, JSON.parse(process.env.ITEM));
process.stdout.write(JSON.stringify({ forks, status: outcome.status, reason: outcome.reason, warnings: outcome.warnings, call: outcome.observed?.call }));
`;
  const run = (silentDeaths: number): { forks: number; status: string; reason?: string; warnings?: string[]; call?: unknown } => {
    const [item] = itemsFor('mlock', [c('mlock.k-silent', 'mlock(buf, 1p)')]);
    const r = spawnSync(process.execPath, ['--jitless', '--single-threaded', '--input-type=module', '-e', script(silentDeaths)], { env: { ...process.env, ITEM: JSON.stringify(item) }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ReturnType<typeof run>;
  };

  it('is made again: nothing of the case had run; the outcome says a copy died', () => {
    const r = run(1);
    expect([r.forks, r.status, r.call]).toEqual([2, 'ran', expect.objectContaining({ text: 'mlock(buf, 1p)', ret: 0 })]);
    expect(r.warnings).toEqual(['a forked copy died before the case began (exited with code 9); it ran in the next']);
  });

  it('three in a row: the case is an error that says so', () => {
    const r = run(3);
    expect([r.forks, r.status]).toEqual([3, 'error']);
    expect(r.reason).toBe('every forked copy died before the case began (exited with code 9; exited with code 9; exited with code 9)');
  });
});
