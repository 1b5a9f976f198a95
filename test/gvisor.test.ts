// The gVisor target. The pure parts (how gVisor is recognised from inside, how results cross the sandbox wall, the
// --target option) run everywhere. The live part runs the real suite, filtered, inside runsc and checks what gVisor's
// probes can and cannot see; it needs runsc (gVisor) and root, and is skipped, with that reason, only where runsc is
// genuinely not installed (npm test installs the Debian package "runsc" first: ci/test-deps.sh).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyResults } from './helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRuntime, GVISOR_UNAME_VERSION } from '../runners/linux-runtime.js';
import { type CaseResult, type Results } from '../src/results.js';
import { loadCatalog } from '../src/spec/lint.js';
import { isTarget, TARGETS } from '../src/target.js';
import { CacheStore } from '../src/spec/catalog-cache.js';
import { adoptGvisor, findRunsc, gvisorLauncher, gvisorStateParent, runscVersion, unsearchableOnTheWay } from '../src/targets/gvisor.js';
import { type Launch, launch, type LaunchedRun, LaunchError, type LaunchOptions, processesMentioning } from '../src/targets/launcher.js';
import { extractResults, RESULTS_BEGIN, RESULTS_END } from '../src/targets/protocol.js';

const runInGvisor = (options: LaunchOptions): Promise<LaunchedRun> => launch(gvisorLauncher(), options);
const started = (startedWith: string): Launch => ({ command: 'runsc', args: [], env: {}, startedWith, facts: {} });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');
const SPECS = join(ROOT, 'specs');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('the runsc version (a fake runsc: a script that says a version and counts its calls)', () => {
  it('is asked once while the binary is the same file, again once it changes, and a failure is not kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-runsc-'));
    try {
      const bin = join(dir, 'runsc');
      const calls = join(dir, 'calls');
      const fake = (say: string): void => {
        writeFileSync(bin, `#!/bin/sh\necho x >> ${calls}\n${say}\n`);
        chmodSync(bin, 0o755);
      };
      const called = (): number => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').length - 1 : 0);
      const memo = new CacheStore(join(dir, 'cache'));
      /** asked twice, what the first asking kept written between them (as a command that keeps what it made) */
      const askTwice = (says: string): void => {
        expect(runscVersion(bin, memo)).toBe(says);
        memo.flush();
        expect(runscVersion(bin, memo)).toBe(says);
      };
      const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2_100));
      fake('echo "runsc version fake-1"; echo "spec: 1.1"');
      // a binary written in the last two seconds is asked every time (keptFor: it could change within a clock tick)
      askTwice('runsc version fake-1');
      expect(called()).toBe(2);
      await settled();
      askTwice('runsc version fake-1');
      expect(called()).toBe(3);
      fake('echo "runsc version fake-2"');
      expect(runscVersion(bin, memo)).toBe('runsc version fake-2');
      fake('exit 3');
      await settled();
      askTwice('runsc (version unknown: exit 3)');
      expect(called()).toBe(6);
      // without a cache (--no-cache), asked every time
      fake('echo "runsc version fake-3"');
      expect(runscVersion(bin)).toBe('runsc version fake-3');
      expect(called()).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recognising gVisor from inside', () => {
  const gvisorLog = '<6>[   0.000000] Starting gVisor...\n<6>[   0.220602] Waiting for children...\n';

  it('the kernel log\'s first line decides, and the basis says what was seen', () => {
    const v = classifyRuntime({ kernelLog: gvisorLog, unameVersion: GVISOR_UNAME_VERSION, hasVmLck: false });
    expect(v.runtime).toBe('gvisor');
    expect(v.basis).toBe(
      `detected inside: the kernel log says "Starting gVisor..."; uname version "${GVISOR_UNAME_VERSION}"; /proc/self/status has no VmLck`,
    );
  });

  it('a native kernel log is native', () => {
    const v = classifyRuntime({ kernelLog: '<6>[    0.251442] x2apic enabled\n', unameVersion: '#1 SMP PREEMPT_DYNAMIC', hasVmLck: true });
    expect(v).toEqual({
      runtime: 'native',
      basis: 'no sign of gVisor: the kernel log has no "Starting gVisor" line; uname version "#1 SMP PREEMPT_DYNAMIC"; /proc/self/status has VmLck',
    });
  });

  it('without a readable log, gVisor\'s fixed uname version and a missing VmLck together still say gVisor', () => {
    expect(classifyRuntime({ kernelLog: null, kernelLogError: 'EPERM', unameVersion: GVISOR_UNAME_VERSION, hasVmLck: false }).runtime).toBe('gvisor');
    expect(classifyRuntime({ kernelLog: null, kernelLogError: 'EPERM', unameVersion: GVISOR_UNAME_VERSION, hasVmLck: true }).runtime).toBe('native');
    expect(classifyRuntime({ kernelLog: null, kernelLogError: 'EPERM', unameVersion: '#1 SMP', hasVmLck: false }).basis).toMatch(
      /^no sign of gVisor: the kernel log is unreadable \(EPERM\)/,
    );
  });
});

describe('results across the sandbox wall', () => {
  it('are taken from between the markers, whatever else was printed', () => {
    const out = `runsc says hello\n${RESULTS_BEGIN}\n{"a":1}\n${RESULTS_END}\ntrailing noise`;
    expect(extractResults(out)).toBe('{"a":1}');
    expect(extractResults('no markers at all')).toBeNull();
    expect(extractResults(`${RESULTS_BEGIN}\n{"cut":`)).toBeNull();
  });

  it('are refused when the runner inside did not itself see gVisor', () => {
    const results: Results = emptyResults();
    expect(() => adoptGvisor(results, started('started by a test'))).toThrow(
      /runsc ran the suite, but the runner inside saw runtime "native" .*refusing to label these results gvisor/,
    );
    const inside = { ...results, target: { ...results.target, id: `${results.target.id}-gvisor`, runtime: 'gvisor', runtimeBasis: 'detected inside: x' } };
    const adopted = adoptGvisor(inside, started('started by a test')).target;
    expect(adopted.runtimeBasis).toBe('started by a test; detected inside: x');
    expect(adopted.launch).toEqual({ target: 'gvisor', facts: {} });
  });
});

describe('semconf run --target', () => {
  it('knows native and gvisor', () => {
    expect(TARGETS.slice(0, 2)).toEqual(['native', 'gvisor']);
    expect(isTarget('gvisor')).toBe(true);
    expect(isTarget('qemu')).toBe(false);
  });

  it('an unknown target is one sentence and exit 2, before anything runs', () => {
    const r = cli('run', '--target', 'qemu', '--out', join(tmpdir(), 'never-written.json'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`semconf: unknown target "qemu"; expected one of ${TARGETS.join(', ')}\n`);
    expect(existsSync(join(tmpdir(), 'never-written.json'))).toBe(false);
  });

  it('--help names the option and its values', () => {
    const r = cli('run', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`semconf run [--target ${TARGETS.join('|')}]`);
    expect(r.stdout).toMatch(/--target T +where the system calls run: native \(default/);
  });

  it('looks for runsc on PATH, then in /usr/bin', () => {
    expect(findRunsc('/nonexistent-dir')).toBe(existsSync('/usr/bin/runsc') ? '/usr/bin/runsc' : null);
  });

  it('makes its sandbox state under a directory the sandbox can reach: TMPDIR if others may search the way to it, else /tmp, else says why not', () => {
    const top = mkdtempSync(join(tmpdir(), 'semconf-gvisor-parents-'));
    try {
      const closed = join(top, 'closed');
      const open = join(top, 'open');
      for (const [d, mode] of [[closed, 0o700], [open, 0o711]] as const) {
        mkdirSync(d);
        chmodSync(d, mode); // exactly, whatever the umask
      }
      chmodSync(top, 0o711);
      expect(unsearchableOnTheWay(open)).toBeNull();
      expect(unsearchableOnTheWay(closed)).toBe(closed);
      expect(unsearchableOnTheWay(join(closed, 'below'))).toBe(join(closed, 'below')); // cannot be looked at
      expect(gvisorStateParent([closed, open])).toEqual({ dir: open });
      const none = gvisorStateParent([closed]);
      expect('problem' in none && none.problem).toBe(
        `--target gvisor needs a temporary directory reached only through directories any user may search (mode o+x: runsc's sandbox does not start otherwise), and neither ${closed} (${closed} may not be searched by others) is; set TMPDIR to one`,
      );
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});

const canRunGvisor = existsSync('/usr/bin/runsc') && process.platform === 'linux' && process.geteuid?.() === 0;

// Cases chosen for what they need to see: lock state (smaps), residency (mincore), the locked total (VmLck), a
// failing call (nothing to see but the errno), and a forked child.
const FILTER = '/^mlock\\.(whole-mapping|first-page-only|unmapped-range|not-inherited-by-child)$/';

describe.runIf(canRunGvisor)('the real suite inside gVisor (runsc)', () => {
  let run: LaunchedRun;
  let byId: Map<string, CaseResult>;

  beforeAll(async () => {
    run = await runInGvisor({ catalog: loadCatalog(SPECS), specs: SPECS, jobs: 2, filter: FILTER, onMessage: () => {} });
    byId = new Map(run.results.cases.map((c) => [c.id, c]));
  }, 120_000);

  it('ran every case inside, in gVisor, and says how that was determined', () => {
    expect(run.results.complete).toBe(true);
    expect(run.results.cases.every((c) => c.status === 'ran')).toBe(true);
    expect(byId.has('mlock.whole-mapping')).toBe(true);
    const t = run.results.target;
    expect(t.runtime).toBe('gvisor');
    expect(t.id).toMatch(/^linux-.+-gvisor$/);
    expect(t.runtimeBasis).toMatch(/^semconf run --target gvisor started it with "runsc --network=none --ignore-cgroups do" \(runsc version /);
    expect(t.runtimeBasis).toMatch(/detected inside: the kernel log says "Starting gVisor\.\.\."/);
    expect(t.release).toBe('4.4.0'); // gVisor's own kernel release, not the host's
  });

  it('lock state is visible (smaps VmFlags "lo"), and the method says it is the sandbox kernel\'s, not the host\'s', () => {
    expect(run.results.probes.lockState.available).toBe(true);
    expect(run.results.probes.lockState.method).toMatch(/under gVisor .* does not lock its memory on the host/);
    // read with msync there too: gVisor's msync calls an unmapped page between locked ones locked, and the probe's
    // mincore look-up of such a page makes it agree with smaps at calibration, on every backing
    expect(run.results.probes.lockState.method).toMatch(/^msync\(MS_INVALIDATE\) per page .* on anon-private, anon-shared, file-private, file-shared memory/);
    expect(byId.get('mlock.whole-mapping')?.observed?.effects.mappings.buf?.locked).toBe('LL');
    expect(byId.get('mlock.first-page-only')?.observed?.effects.mappings.buf?.locked).toBe('LU');
    expect(byId.get('mlock.unmapped-range')?.observed?.call).toMatchObject({ ret: -1, errno: 'ENOMEM' });
  });

  it('residency is not: mincore calls every page resident, so the calibration declares it blind', () => {
    expect(run.results.probes.residency).toEqual({ available: false, method: 'mincore reports an untouched page as resident and a written one as resident, so it cannot tell' });
    for (const c of run.results.cases) {
      for (const m of Object.values(c.observed?.effects.mappings ?? {})) expect(m.resident).toBeNull();
    }
  });

  it('nor is the locked total: gVisor has no VmLck', () => {
    expect(run.results.probes.lockedTotal).toEqual({ available: false, method: '/proc/self/status has no VmLck line' });
    expect(run.results.probes.execChild.available).toBe(false);
    for (const c of run.results.cases) expect(c.observed?.effects.lockedBytes).toBeNull();
  });

  it('an expected effect it cannot see makes the verdict inconclusive, never conforms', () => {
    const whole = byId.get('mlock.whole-mapping');
    expect(whole?.verdicts.linux).toMatchObject({ verdict: 'inconclusive' });
    expect(whole?.verdicts.linux?.reason).toMatch(/cannot observe resident buf: mincore reports an untouched page as resident/);
    for (const c of run.results.cases) {
      for (const v of Object.values(c.verdicts)) {
        if (/resident|locked total/.test(v.expected)) expect(v.verdict, `${c.id}: ${v.expected}`).not.toBe('conforms');
      }
    }
  });

  it('left nothing behind: no runsc process, no sandbox state', () => {
    expect(run.cleanup.leftoverProcesses).toEqual([]);
    expect(run.cleanup.leftoverState).toEqual([]);
    expect(existsSync(run.cleanup.stateDir)).toBe(false);
    expect(processesMentioning(run.cleanup.stateDir)).toEqual([]);
  });
});

describe.runIf(canRunGvisor)('semconf run --target gvisor, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-gvisor-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a valid results file for the -gvisor target and exits 0', () => {
    const out = join(dir, 'g.json');
    const r = cli('run', '--target', 'gvisor', '--filter', 'mlock.zero-length', '--out', out);
    expect(r.stderr).toMatch(/semconf: gvisor run took [\d.]+ s/);
    expect(r.status, r.stderr).toBe(0);
    const v = cli('validate', out);
    expect(v.status, v.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).target).toMatchObject({ runtime: 'gvisor', os: 'linux' });
  });

  it('under a TMPDIR of mode 0700 (where runsc\'s sandbox cannot start) the state goes to /tmp: the run completes and leaves nothing in either', () => {
    const closed = mkdtempSync(join(tmpdir(), 'semconf-gvisor-closed-')); // mkdtemp makes it 0700
    const states = (): string[] => readdirSync('/tmp').filter((n) => n.startsWith('semconf-gvisor-') && !n.startsWith('semconf-gvisor-closed-'));
    const before = states();
    try {
      const out = join(dir, 'closed.json');
      const r = spawnSync(process.execPath, [CLI, 'run', '--target', 'gvisor', '--filter', 'mlock.zero-length', '--out', out], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, TMPDIR: closed },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8')).target).toMatchObject({ runtime: 'gvisor' });
      expect(readdirSync(closed)).toEqual([]);
      expect(states().filter((n) => !before.includes(n))).toEqual([]);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  it('a profile unknown to the catalog, found after the sandbox started, is exit 2 and leaves no sandbox behind', () => {
    // the sandbox starts before the specs load (src/commands/run.ts); the usage error found then cancels it
    const states = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('semconf-gvisor-'));
    const before = states();
    const r = cli('run', '--target', 'gvisor', '--profile', 'no-such-profile', '--out', join(dir, 'never.json'));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('unknown profile "no-such-profile"');
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
    expect(states().filter((n) => !before.includes(n))).toEqual([]);
    expect(processesMentioning('semconf-gvisor-')).toEqual([]);
  });

  it('an interrupted run reports what completed and still cleans up', async () => {
    const stop = new AbortController();
    const run = await runInGvisor({
      catalog: loadCatalog(SPECS),
      specs: SPECS,
      jobs: 1,
      filter: '/^mlock\\./',
      signal: stop.signal,
      onMessage: () => stop.abort(), // the first message comes from inside, once the run there has started
    });
    expect(run.results.complete).toBe(false);
    expect(run.cleanup).toMatchObject({ leftoverProcesses: [], leftoverState: [] });
    expect(existsSync(run.cleanup.stateDir)).toBe(false);
  }, 60_000);

  it('a run that overruns its time limit is stopped, fails with the reason, and still cleans up', async () => {
    const err = await runInGvisor({ catalog: loadCatalog(SPECS), specs: SPECS, jobs: 1, timeoutMs: 50, onMessage: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    const e = err as LaunchError;
    expect(e.message).toBe('the run inside gVisor reported no results (the gvisor run did not finish within 50 ms)');
    expect(e.cleanup.leftoverProcesses).toEqual([]);
    expect(existsSync(e.cleanup.stateDir)).toBe(false);
    expect(processesMentioning(e.cleanup.stateDir)).toEqual([]);
  }, 60_000);
});
