// Faults a run must survive: an interrupt in the middle, a results path that cannot be written, and leaving nothing
// behind (no locked memory, no child processes). Real runs of the CLI and of the worker pool.
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readResults, writeResults } from '../src/results.js';
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
      // Once: this test is about the first signal (the signal tests below send more).
      if (!interrupted && stderr.includes('[3/120]')) interrupted = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted by SIGINT; \d+ completed case\(s\) saved in .* with complete: false/);
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

/** Start `semconf run` over the 120-case fixture in its own process group (as a shell runs a foreground job), and
 * call `act` with its pid once `after` cases have completed. */
function runUntil(
  out: string,
  after: number,
  act: (pid: number) => void,
  selection: string[] = ['--specs', fixture('many')],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; workers: number[] }> {
  const child = spawn(process.execPath, [cli, 'run', ...selection, '--out', out, '--jobs', '1', '--progress'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  let acted = false;
  const workers = new Set<number>();
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const pid of childrenOf(child.pid ?? -1)) workers.add(pid);
    if (!acted && new RegExp(`\\[${after}/\\d+\\]`).test(stderr)) {
      acted = true;
      act(child.pid ?? -1);
    }
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, workers: [...workers] })));
}

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe.runIf(live)('signals: a results file is never lost (real runs of the CLI)', () => {
  const previous = (dir: string): string => {
    // a complete, valid results file from an earlier run, which a killed run must leave as it is
    const out = join(dir, 'r.json');
    const r = spawnSync(process.execPath, [cli, 'run', '--specs', fixture('good'), '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return out;
  };

  it('Ctrl-C as a terminal sends it (SIGINT to the whole process group): completed cases saved, none recorded as broken', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-pgint-')), 'r.json');
    // mlockall cases each run in a fresh worker (~150 ms to start): the signal lands while one is in flight.
    const r = await runUntil(out, 3, (pid) => process.kill(-pid, 'SIGINT'), ['--filter', '/^mlockall\\./']);
    expect(r.code, r.stderr).toBe(130);
    const results = readResults(out);
    expect(results.complete).toBe(false);
    expect(results.cases.length).toBeGreaterThanOrEqual(3);
    expect(results.cases.filter((x) => x.status !== 'ran').map((x) => `${x.id}: ${x.reason ?? ''}`)).toEqual([]);
  });

  it('a second SIGINT soon after the first still saves every completed case', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-int2-')), 'r.json');
    const r = await runUntil(out, 3, (pid) => {
      process.kill(-pid, 'SIGINT');
      // More, every few milliseconds until it has gone: while it stops, while it saves and as it exits (a natural
      // exit tore the handlers down first, so one of these always killed it there). None may skip the save or
      // change the exit code.
      const again = setInterval(() => {
        try {
          process.kill(-pid, 'SIGINT');
        } catch {
          clearInterval(again); // gone
        }
      }, 3);
    });
    expect(r.code, r.stderr).toBe(130);
    expect(readResults(out).cases.length).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toMatch(/interrupted by SIGINT; \d+ completed case\(s\) saved/);
  });

  it('SIGTERM is treated like SIGINT: saved, complete: false, exit 143', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'semconf-term-')), 'r.json');
    const r = await runUntil(out, 3, (pid) => process.kill(pid, 'SIGTERM'));
    expect(r.code, r.stderr).toBe(143);
    const results = readResults(out);
    expect(results.complete).toBe(false);
    expect(results.cases.length).toBeGreaterThanOrEqual(3);
  });

  it('SIGKILL leaves the old results file as it was, and no worker behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-kill-'));
    const out = previous(dir);
    const before = readFileSync(out, 'utf8');
    const r = await runUntil(out, 3, (pid) => process.kill(pid, 'SIGKILL'));
    expect(r.signal).toBe('SIGKILL');
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(r.workers.length).toBeGreaterThan(0);
    // a worker whose parent is gone leaves by itself (its IPC channel closed)
    expect(await eventually(() => r.workers.every((pid) => !alive(pid))), `workers still alive: ${r.workers.filter(alive).join(', ')}`).toBe(true);
  });
});

describe.runIf(live)('merge killed while it writes the matrix (real merges of the CLI)', () => {
  it('SIGKILL mid-merge leaves the old matrix as it was and nothing beside it: the new one has no name until made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-kill-merge-'));
    const native = readResults(fileURLToPath(new URL('./fixtures/results/native.json', import.meta.url)));
    const inputs = Array.from({ length: 400 }, (_, k) => {
      const file = join(dir, `in-${k}.json`);
      writeResults(file, { ...native, target: { ...native.target, id: `t-${k}` } });
      return file;
    });
    const outDir = mkdtempSync(join(dir, 'out-'));
    const out = join(outDir, 'm.json');
    expect(spawnSync(process.execPath, [cli, 'merge', inputs[0] ?? '', '--out', out]).status).toBe(0);
    const before = readFileSync(out, 'utf8');
    const child = spawn(process.execPath, [cli, 'merge', ...inputs, '--out', out], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // the matrix being written: a descriptor of the merge on a file of the output's directory that has no name
    const unnamed = (): boolean => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${outDir}/#`);
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    const seen = await eventually(unnamed, 20_000);
    process.kill(pid, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(seen, 'the merge never held an unnamed file in the output directory').toBe(true);
    expect(readdirSync(outDir)).toEqual(['m.json']);
    expect(readFileSync(out, 'utf8')).toBe(before);
  });
});

describe.runIf(live)('outputs: every byte or nothing, and never over a special file', () => {
  /** Run `script` in a private mount namespace with a 64 KiB tmpfs at $D: the mount vanishes with the namespace. */
  const onFullDisk = (script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-full-'));
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k semconf-full "$D" && ${script}`], {
      encoding: 'utf8',
      env: { ...process.env, D: dir, NODE: process.execPath, CLI: cli, ...env },
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const native = fileURLToPath(new URL('./fixtures/results/native.json', import.meta.url));

  it('run --out on a nearly full disk keeps the old file, saves the new one elsewhere and exits 1', () => {
    // The old results (a small valid file) fill most of the disk; the new run's file does not fit beside it.
    const r = onFullDisk(
      [
        '"$NODE" "$CLI" run --specs "$GOOD" --out "$D/r.json" >/dev/null 2>&1',
        'head -c 40000 /dev/zero > "$D/filler"',
        'cp "$D/r.json" "$D/before.json"',
        '"$NODE" "$CLI" run --specs "$MANY" --out "$D/r.json" >/dev/null; echo "exit=$?"',
        'cmp "$D/r.json" "$D/before.json" && echo unchanged',
        '"$NODE" "$CLI" validate "$D/r.json" >/dev/null && echo valid',
        'ls -a "$D"',
      ].join('; '),
      { GOOD: fixture('good'), MANY: fixture('many') },
    );
    expect(r.stdout).toMatch(/exit=1\nunchanged\nvalid\n/);
    expect(r.stderr).toMatch(/could not write .*r\.json \(.*ENOSPC.*\); the file that was there is unchanged; the results are saved in (\S+)/);
    expect(r.stdout).not.toMatch(/semconf\.tmp/); // no temporary file left
  });

  it('report --out and merge --out on a full disk: one sentence, exit 1, the old file unchanged', () => {
    const r = onFullDisk(
      [
        'echo old > "$D/report.md"',
        'head -c 60000 /dev/zero > "$D/filler"',
        '"$NODE" "$CLI" report --format md --out "$D/report.md" "$NATIVE"; echo "report=$?"',
        '"$NODE" "$CLI" merge "$NATIVE" "$NATIVE2" --out "$D/m.json"; echo "merge=$?"',
        'cat "$D/report.md"; ls "$D"',
      ].join('; '),
      { NATIVE: native, NATIVE2: fileURLToPath(new URL('./fixtures/results/constructed-gvisor-relabelled.json', import.meta.url)) },
    );
    expect(r.stdout).toMatch(/report=1\nmerge=1\nold\nfiller\nreport\.md\n$/);
    expect(r.stderr).toMatch(/^semconf: could not write .*report\.md \(.*ENOSPC.*\); the file that was there is unchanged$/m);
    expect(r.stderr).toMatch(/^semconf: could not write .*m\.json \(.*ENOSPC.*\); nothing was written$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an --out that is a device node, a FIFO or a symbolic link is refused and left as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-special-'));
    const node = join(dir, 'full');
    const fifo = join(dir, 'fifo');
    const link = join(dir, 'link');
    expect(spawnSync('mknod', [node, 'c', '1', '7']).status).toBe(0); // the same device as /dev/full
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    writeFileSync(join(dir, 'target'), 'kept');
    symlinkSync(join(dir, 'target'), link);
    for (const [path, kind] of [[node, 'device node'], [fifo, 'FIFO'], [link, 'symbolic link']] as const) {
      const r = spawnSync(process.execPath, [cli, 'report', '--format', 'md', '--out', path, native], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toBe(`semconf: ${path} is a ${kind}, not a regular file; refusing to replace it\n`);
    }
    expect(lstatSync(node).isCharacterDevice()).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('kept');
    const run = spawnSync(process.execPath, [cli, 'run', '--specs', fixture('good'), '--out', node], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/is a device node, not a regular file; refusing to replace it; the results are saved in \S+/);
    expect(lstatSync(node).isCharacterDevice()).toBe(true);
  });
});

/** vitest's own worker processes are children of the test process too; ours run dist/src/worker/child.cjs. */
function isVitestWorker(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/child.cjs');
  } catch {
    return true;
  }
}
