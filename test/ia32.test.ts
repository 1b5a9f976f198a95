// The 32-bit ABI target (--target ia32). The pure parts run everywhere: the core's width (SIZE_MAX, UINTPTR_MAX,
// the ABI in the facts, struct layouts that do not depend on the width), the launcher's checks and its clean-up
// helpers. The live part runs the real suite, filtered to cases of every function, in the i386 root that
// ci/ia32-root.sh builds (.ci/run builds it); without that root it is skipped, with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { emptyResults } from './helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINUX } from '../runners/linux.js';
import { abiWordBits, foreignAbi, RLIMIT64, widthConstants } from '../runners/posix-common.js';
import { type CaseResult, type Results } from '../src/results.js';
import { loadCatalog } from '../src/spec/lint.js';
import { isTarget, TARGETS } from '../src/target.js';
import {
  adoptIa32,
  bindsFor,
  defaultIa32Root,
  ia32Launcher,
  ia32Problem,
  MANIFEST,
  MOUNT_SCRIPT,
  mountsUnder,
  processesRootedIn,
  readManifest,
} from '../src/targets/ia32.js';
import { type Launch, launch, type LaunchedRun, LaunchError, processesMentioning } from '../src/targets/launcher.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const SPECS = join(ROOT, 'specs');
const IA32_ROOT = defaultIa32Root();
const TWO32 = 1n << 32n;

describe('the core at either width', () => {
  it('reads the width from koffi\'s uintptr_t and size_t, which must agree', () => {
    expect(abiWordBits((t) => ({ uintptr_t: 4, size_t: 4 })[t] ?? 0)).toBe(32);
    expect(abiWordBits((t) => ({ uintptr_t: 8, size_t: 8 })[t] ?? 0)).toBe(64);
    expect(() => abiWordBits((t) => ({ uintptr_t: 4, size_t: 8 })[t] ?? 0)).toThrow(/32-bit addresses and a 64-bit size_t/);
    // this process: the host's Node
    expect(abiWordBits()).toBe(process.arch === 'ia32' || process.arch === 'arm' ? 32 : 64);
  });

  it('SIZE_MAX and UINTPTR_MAX (the top of the address space) follow the width', () => {
    expect(widthConstants(32)).toEqual({ SIZE_MAX: TWO32 - 1n, UINTPTR_MAX: TWO32 - 1n });
    expect(widthConstants(64)).toEqual({ SIZE_MAX: (1n << 64n) - 1n, UINTPTR_MAX: (1n << 64n) - 1n });
    // no adapter's header table defines them: they come from the ABI alone
    expect(Object.keys(LINUX.constants)).not.toContain('SIZE_MAX');
    expect(Object.keys(LINUX.constants)).not.toContain('UINTPTR_MAX');
  });

  it('names the ABI only where it is not the kernel\'s own', () => {
    expect(foreignAbi('x86_64', 'ia32')).toBe('ia32');
    expect(foreignAbi('x86_64', 'x64')).toBeNull();
    expect(foreignAbi('amd64', 'x64')).toBeNull();
    expect(foreignAbi('aarch64', 'arm')).toBe('arm');
    expect(foreignAbi('aarch64', 'arm64')).toBeNull();
    expect(foreignAbi('some-future-machine', 'x64')).toBeNull();
  });

  it('reads limits through a struct of two 64-bit words, the same layout at either width', () => {
    // glibc's plain getrlimit takes two longs (4 bytes each on i386); getrlimit64 takes struct rlimit64 everywhere
    expect(LINUX.rlimit?.symbols).toEqual({ get: 'getrlimit64', set: 'setrlimit64' });
    expect(LINUX.rlimit?.infinity).toBe((1n << 64n) - 1n);
    expect(koffi.sizeof(RLIMIT64)).toBe(16);
    expect(koffi.offsetof(RLIMIT64, 'max')).toBe(8);
    // glibc's mmap takes a long offset: 4 bytes on i386, 8 on x86_64, never a fixed int64
    expect(LINUX.mmapOffset).toBe('long');
  });
});

describe('the ia32 launcher', () => {
  const results = (target: Partial<Results['target']>): Results => emptyResults({ node: 'v18.20.4', ...target });
  const started: Launch = { command: 'unshare', args: [], env: {}, startedWith: 'started by a test', facts: { node: 'v18.20.4', root: '/r' } };

  it('is a target', () => {
    expect(TARGETS).toContain('ia32');
    expect(isTarget('ia32')).toBe(true);
  });

  it('refuses results whose runner did not run 32-bit, or not in the root\'s Node', () => {
    expect(() => adoptIa32(results({}), started)).toThrow(
      'the chroot ran the suite, but the runner inside reports ABI (none: the kernel\'s own) on x86_64; refusing to label these results ia32',
    );
    expect(() => adoptIa32(results({ abi: 'x32' }), started)).toThrow(/reports ABI "x32" on x86_64/);
    expect(() => adoptIa32(results({ abi: 'ia32', node: 'v20.20.2' }), started)).toThrow(
      'the runner inside ran Node v20.20.2, not the i386 root\'s v18.20.4; refusing to label these results ia32',
    );
  });

  it('labels accepted results with how they were started', () => {
    const t = adoptIa32(results({ id: 'linux-x86_64-glibc-ia32', abi: 'ia32', runtimeBasis: 'no sign of gVisor' }), started).target;
    expect(t.id).toBe('linux-x86_64-glibc-ia32');
    expect(t.runtimeBasis).toBe('started by a test; no sign of gVisor');
    expect(t.launch).toEqual({ target: 'ia32', facts: { node: 'v18.20.4', root: '/r' } });
  });

  it('binds the checkout, and the spec directory and the catalog cache only where each lies outside what is bound', () => {
    expect(bindsFor('/w/c', '/w/c/specs')).toEqual(['/w/c']);
    expect(bindsFor('/w/c', '/w/c')).toEqual(['/w/c']);
    expect(bindsFor('/w/c', '/tmp/s')).toEqual(['/w/c', '/tmp/s']);
    expect(bindsFor('/w/c', '/w/c2/specs')).toEqual(['/w/c', '/w/c2/specs']);
    expect(bindsFor('/w/c', '/tmp/s', '/root/.cache/semconf')).toEqual(['/w/c', '/tmp/s', '/root/.cache/semconf']);
    expect(bindsFor('/w/c', '/w/c/specs', '/w/c/.cache/semconf')).toEqual(['/w/c']);
    expect(bindsFor('/w/c', '/tmp/s', '/tmp/s/cache')).toEqual(['/w/c', '/tmp/s']);
  });

  it('finds mount points under a directory in mountinfo, escapes decoded', () => {
    const info = [
      '22 1 0:21 / / rw - ext4 /dev/root rw',
      '90 22 0:50 / /tmp/semconf-ia32-x/root rw - tmpfs t rw',
      '91 22 0:51 / /tmp/semconf-ia32-x/root/my\\040dir rw - tmpfs t rw',
      '92 22 0:52 / /tmp/semconf-ia32-xy rw - tmpfs t rw',
    ].join('\n');
    expect(mountsUnder('/tmp/semconf-ia32-x', info)).toEqual(['/tmp/semconf-ia32-x/root', '/tmp/semconf-ia32-x/root/my dir']);
    expect(mountsUnder('/nowhere', info)).toEqual([]);
  });

  it('a missing or incomplete root is one sentence naming the script that builds it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'semconf-ia32-test-'));
    try {
      expect(readManifest(join(dir, 'absent'))).toBe(`--target ia32 needs the i386 root directory ${join(dir, 'absent')}, which does not exist: build it with ci/ia32-root.sh`);
      expect(readManifest(dir)).toBe(`the i386 root ${dir} has no usr/bin/node: build it with ci/ia32-root.sh`);
      mkdirSync(join(dir, 'usr/bin'), { recursive: true });
      writeFileSync(join(dir, 'usr/bin/node'), '');
      expect(readManifest(dir)).toMatch(new RegExp(`^the i386 root ${dir} has no readable ${MANIFEST.replace('.', '\\.')} \\(`));
      writeFileSync(join(dir, MANIFEST), '{"node":"v18"}');
      expect(readManifest(dir)).toBe(`the i386 root's ${MANIFEST} lacks node, koffi, want or packages: build it with ci/ia32-root.sh`);
      if (process.platform === 'linux' && process.arch === 'x64' && process.geteuid?.() === 0) {
        expect(ia32Problem(join(dir, 'absent'))).toMatch(/^--target ia32 needs the i386 root directory .* build it with ci\/ia32-root\.sh$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the default root is in the cache, outside the repository', () => {
    expect(defaultIa32Root({ HOME: '/home/u' })).toBe('/home/u/.cache/semconf/ia32-root');
    expect(defaultIa32Root({ HOME: '/home/u', XDG_CACHE_HOME: '/c' })).toBe('/c/semconf/ia32-root');
    expect(defaultIa32Root({ SEMCONF_IA32_ROOT: '/r' })).toBe('/r');
  });
});

const manifest = readManifest(IA32_ROOT);
const haveRoot = typeof manifest !== 'string';
const canRun = process.platform === 'linux' && process.arch === 'x64' && process.geteuid?.() === 0;
const skipWhy = !canRun ? 'needs Linux x86_64 and root' : typeof manifest === 'string' ? manifest : '';
if (skipWhy !== '') console.warn(`ia32 live tests skipped: ${skipWhy}`);

/** No mount under `dir` and no process mentioning it or rooted in it: what a finished run must leave. */
function leftovers(stateDir: string): { mounts: string[]; mentioning: number[]; rooted: number[] } {
  return { mounts: mountsUnder(stateDir), mentioning: processesMentioning(stateDir), rooted: processesRootedIn(join(stateDir, 'root')) };
}

// Cases of every function: a lock and its effects, the 32-bit wrap-around and top of the address space, a forked
// child, an exec'd program after MCL_FUTURE (cat(1) from the root), an unprivileged context (setrlimit64 and the drop
// to uid 65534 inside the chroot), munlock, munlockall, and aio_mlock (absent from glibc).
const FILTER =
  '/^(mlock\\.(whole-mapping|wrap-len-size-max|wrap-top-of-address-space|not-inherited-by-child|unprivileged-within-limit)|' +
  'munlock\\.wrap-to-start|mlockall\\.future-not-across-exec|munlockall\\.after-mlock|aio_mlock\\.zero-length)$/';

describe.runIf(canRun && haveRoot)('the real suite in the i386 root', () => {
  let run: LaunchedRun;
  let byId: Map<string, CaseResult>;

  beforeAll(async () => {
    run = await launch(ia32Launcher(), { catalog: loadCatalog(SPECS), specs: SPECS, jobs: 2, filter: FILTER, onMessage: () => {} });
    byId = new Map(run.results.cases.map((c) => [c.id, c]));
  }, 180_000);

  it('ran every case of every function, as a 32-bit process in the root\'s Node 18', () => {
    expect(run.results.complete).toBe(true);
    expect(run.results.cases.map((c) => c.id.split('.')[0]).sort()).toEqual(
      ['aio_mlock', 'mlock', 'mlock', 'mlock', 'mlock', 'mlock', 'mlockall', 'munlock', 'munlockall'],
    );
    // The wrapping ranges cannot be confined here (src/worker/confine.ts): the 64-bit kernel adds a 32-bit process's
    // addr + len in 64 bits, so they do not wrap there, they would run on over the worker's own memory. Not the
    // spec's fault: unsupported on this target, not an error, and the call is never made.
    const unconfinable = ['mlock.wrap-len-size-max', 'munlock.wrap-to-start'];
    for (const c of run.results.cases) {
      if (unconfinable.includes(c.id)) {
        expect(c.status).toBe('unsupported');
        expect(c.observed).toBeUndefined();
        expect(c.reason).toMatch(/^not run: m(un)?lock\(buf.*SIZE_MAX.*\): m(un)?lock's range wraps at this process's 32-bit width from "buf" .*, but the 64-bit kernel does not wrap it: .* cannot be confined on this target$/);
      } else expect(['ran', 'unsupported'], `${c.id}: ${c.reason ?? ''}`).toContain(c.status);
    }
    expect(byId.get('aio_mlock.zero-length')?.status).toBe('unsupported');
    const t = run.results.target;
    expect(t).toMatchObject({ id: 'linux-x86_64-glibc-ia32', abi: 'ia32', arch: 'x86_64', runtime: 'native' });
    expect(t.node).toMatch(/^v18\./);
    expect(t.node).toBe(typeof manifest === 'string' ? '' : manifest.node);
    expect(t.launch?.target).toBe('ia32');
    expect(t.launch?.facts).toMatchObject({ root: IA32_ROOT, node: t.node });
    expect(t.launch?.facts.packages).toMatch(/(^|, )nodejs 18\./);
    expect(t.launch?.facts.packages).toMatch(/(^|, )libc6 /);
    expect(t.runtimeBasis).toMatch(/^semconf run --target ia32 started it with "unshare --mount" and "chroot .*\/usr\/bin\/node" \(Debian nodejs:i386 /);
  });

  it('every probe is available there, the exec probe included (cat from the i386 coreutils)', () => {
    for (const [name, p] of Object.entries(run.results.probes)) expect(p.available, `${name}: ${p.method}`).toBe(true);
    const exec = byId.get('mlockall.future-not-across-exec')?.observed?.effects.exec;
    expect(exec?.lockedBytes).toBeTypeOf('number');
    const child = byId.get('mlock.not-inherited-by-child')?.observed?.effects.child;
    expect(child?.mappings.buf).toMatch(/^[LU]+$/);
  });

  it('the last page of the address space is the 32-bit one: locking two pages from it wraps, and fails', () => {
    // mlock(UINTPTR_MAX - 1p + 1, 2p): from 0xfffff000 at 32 bits; either error of the Linux page is possible
    expect(['EINVAL', 'ENOMEM']).toContain(byId.get('mlock.wrap-top-of-address-space')?.observed?.call.errno);
    expect(byId.get('mlock.wrap-top-of-address-space')?.observed?.call.text).toBe('mlock(UINTPTR_MAX - 1p + 1, 2p)');
  });

  it('an unprivileged context is established inside (setrlimit64, then uid 65534)', () => {
    const c = byId.get('mlock.unprivileged-within-limit');
    expect(c?.status, c?.reason).toBe('ran');
    expect(c?.context).toMatchObject({ established: true, credentials: { euid: 65534, canLockMemory: false } });
  });

  it('left nothing mounted or running, and no state', () => {
    expect(run.cleanup.leftoverProcesses).toEqual([]);
    expect(run.cleanup.leftoverState).toEqual([]);
    expect(existsSync(run.cleanup.stateDir)).toBe(false);
    expect(leftovers(run.cleanup.stateDir)).toEqual({ mounts: [], mentioning: [], rooted: [] });
    expect(mountsUnder(IA32_ROOT)).toEqual([]);
  });
});

describe.runIf(canRun && haveRoot)('the catalog the run in the i386 root plans from', () => {
  // The entry the inner run would find for the shipped specs under the compiled build it runs (dist/: it hashes its
  // own code, since this process runs the sources), with one case's title changed: a title in the results that only
  // this entry holds shows that the run inside planned from the launching run's cache, not from a load of its own.
  const CASE = 'aio_mlock.zero-length';
  const MARK = ' (from the launching run\'s cache)';

  it('is the launching run\'s cache entry, read through the bind; with no cache (run --no-cache) it loads the specs itself', async () => {
    type Compiled = typeof import('../src/spec/catalog-cache.js');
    const compiled = (await import(join(ROOT, 'dist/src/spec/catalog-cache.js'))) as Compiled;
    const inputs = compiled.readSpecInputs(SPECS);
    if (inputs === undefined) throw new Error('the shipped specs could not be read');
    const catalog = loadCatalog(SPECS);
    const specs = catalog.specs.map((l) => ({ file: l.file, value: { ...l.value, cases: l.value.cases.map((c) => (c.id === CASE ? { ...c, title: `${c.title}${MARK}` } : c)) } }));
    const cache = mkdtempSync(join(tmpdir(), 'semconf-ia32-cache-'));
    try {
      const store = new compiled.CacheStore(cache);
      store.put('catalog', compiled.cacheKey('catalog', [SPECS, inputs.digest], store), { specs, profiles: catalog.profiles.map((l) => ({ file: l.file, value: l.value })) });
      const titleWith = async (c: string | null): Promise<string | undefined> => {
        const run = await launch(ia32Launcher(), { catalog, specs: SPECS, jobs: 1, filter: CASE, cache: c, onMessage: () => {} });
        return run.results.cases.find((r) => r.id === CASE)?.title;
      };
      expect(await titleWith(cache)).toMatch(new RegExp(`${MARK.replace(/[()']/g, '\\$&')}$`));
      expect(await titleWith(null)).not.toContain(MARK);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.runIf(canRun && haveRoot)('an interrupted ia32 run', () => {
  it('has every process rooted in its view while it runs, reports what completed, and leaves nothing', async () => {
    const stop = new AbortController();
    let rootedWhileRunning: number[] = [];
    const run = await launch(ia32Launcher(), {
      catalog: loadCatalog(SPECS),
      specs: SPECS,
      jobs: 1,
      filter: '/^mlock\\./',
      signal: stop.signal,
      // the first message comes from inside, once the run there has started
      onMessage: () => {
        if (stop.signal.aborted) return;
        // the inner node carries its state directory in the request on its command line
        const prefix = join(tmpdir(), 'semconf-ia32-');
        const stateDirs = processesMentioning(prefix).flatMap((pid) =>
          readFileSync(`/proc/${pid}/cmdline`, 'utf8')
            .split('\0')
            .filter((arg) => arg.startsWith('{'))
            .map((arg) => (JSON.parse(arg) as { stateDir?: string }).stateDir ?? '')
            .filter((d) => d.startsWith(prefix)),
        );
        rootedWhileRunning = [...new Set(stateDirs)].flatMap((d) => processesRootedIn(join(d, 'root')));
        stop.abort();
      },
    });
    expect(rootedWhileRunning.length).toBeGreaterThan(0);
    expect(run.results.complete).toBe(false);
    expect(run.cleanup).toMatchObject({ leftoverProcesses: [], leftoverState: [] });
    expect(existsSync(run.cleanup.stateDir)).toBe(false);
    expect(leftovers(run.cleanup.stateDir)).toEqual({ mounts: [], mentioning: [], rooted: [] });
    for (const pid of rootedWhileRunning) expect(existsSync(`/proc/${pid}`), `process ${pid}`).toBe(false);
  }, 60_000);
});

describe.runIf(canRun && haveRoot)('inside the i386 root: the ABI, layouts and limits the runner sees', () => {
  let seen: Record<string, unknown>;
  let dir = '';
  afterAll(() => {
    if (dir !== '' && mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'semconf-ia32-layout-'));
    // The launcher's own mount script, around a script that reports what a 32-bit Node sees.
    const script = [
      `import koffi from '${ROOT}/node_modules/koffi/index.js';`,
      `import { abiWordBits, RLIMIT64 } from '${ROOT}/dist/runners/posix-common.js';`,
      `import { createLinuxRunner } from '${ROOT}/dist/runners/linux.js';`,
      `import { readFileSync } from 'node:fs';`,
      'const r = createLinuxRunner();',
      "const limits = /^Max locked memory\\s+(\\S+)\\s+(\\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));",
      'console.log(JSON.stringify({ arch: process.arch, node: process.version, bits: abiWordBits(),',
      "  uintptr: koffi.sizeof('uintptr_t'), size: koffi.sizeof('size_t'), long: koffi.sizeof('long'),",
      "  rlimit: koffi.sizeof(RLIMIT64), rlimitMax: koffi.offsetof(RLIMIT64, 'max'),",
      '  wordBits: r.wordBits, SIZE_MAX: String(r.constants.SIZE_MAX), UINTPTR_MAX: String(r.constants.UINTPTR_MAX),',
      '  facts: r.facts, memlock: r.credentials().memlock, limits: limits && [limits[1], limits[2]] }));',
    ].join('\n');
    mkdirSync(join(dir, 'root'));
    const r = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'semconf-ia32', IA32_ROOT, join(dir, 'root'), ROOT, '--', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    seen = JSON.parse(r.stdout) as Record<string, unknown>;
  }, 60_000);

  it('is an i386 Node 18 with 32-bit addresses and size_t', () => {
    expect(seen).toMatchObject({ arch: 'ia32', bits: 32, uintptr: 4, size: 4, long: 4, wordBits: 32 });
    expect(seen.node).toMatch(/^v18\./);
  });

  it('struct rlimit64 keeps its 16-byte layout there, and getrlimit64 reads what the kernel reports', () => {
    expect(seen).toMatchObject({ rlimit: 16, rlimitMax: 8 });
    const show = (v: string): string => (v === 'unlimited' ? 'unlimited' : v);
    const [soft, hard] = (seen.limits as [string, string] | null) ?? ['?', '?'];
    expect(seen.memlock).toEqual({ soft: show(soft), hard: show(hard) });
  });

  it('the runner\'s SIZE_MAX and UINTPTR_MAX are 2^32 - 1, and its facts name the ABI', () => {
    expect(seen).toMatchObject({ SIZE_MAX: String(TWO32 - 1n), UINTPTR_MAX: String(TWO32 - 1n) });
    expect(seen.facts).toMatchObject({ id: 'linux-x86_64-glibc-ia32', abi: 'ia32', arch: 'x86_64' });
  });

  it('left nothing mounted', () => {
    expect(mountsUnder(dir)).toEqual([]);
  });
});

describe.runIf(canRun)('a failing start is a clear error, and still cleans up', () => {
  it('a root without node: the sentence that says how to build it, before anything runs', async () => {
    const missing = join(tmpdir(), 'semconf-ia32-no-such-root');
    const err = await launch(ia32Launcher(missing), { catalog: loadCatalog(SPECS), specs: SPECS, jobs: 1, filter: 'mlock.zero-length', onMessage: () => {} }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe(`--target ia32 needs the i386 root directory ${missing}, which does not exist: build it with ci/ia32-root.sh`);
  });

  it('a root whose node cannot start: no results, the reason, and nothing left behind', async () => {
    const fake = mkdtempSync(join(tmpdir(), 'semconf-ia32-fake-root-'));
    try {
      for (const d of ['usr/bin', 'proc', 'dev', 'tmp']) mkdirSync(join(fake, d), { recursive: true });
      writeFileSync(join(fake, 'usr/bin/node'), '');
      const koffiVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/koffi/package.json'), 'utf8')) as { version: string }).version;
      writeFileSync(join(fake, MANIFEST), JSON.stringify({ want: 'test', node: 'v18.0.0', koffi: koffiVersion, packages: {} }));
      const err = await launch(ia32Launcher(fake), { catalog: loadCatalog(SPECS), specs: SPECS, jobs: 1, filter: 'mlock.zero-length', onMessage: () => {} }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LaunchError);
      const e = err as LaunchError;
      expect(e.message).toMatch(/^the run in the i386 root \(ia32\) reported no results \(\S*unshare exited with code 127\); its last messages: .*\/usr\/bin\/env/);
      expect(e.cleanup).toMatchObject({ leftoverProcesses: [], leftoverState: [] });
      expect(existsSync(e.cleanup.stateDir)).toBe(false);
      expect(leftovers(e.cleanup.stateDir)).toEqual({ mounts: [], mentioning: [], rooted: [] });
      expect(mountsUnder(fake)).toEqual([]);
    } finally {
      // never remove a directory through a mount
      if (mountsUnder(fake).length === 0) rmSync(fake, { recursive: true, force: true });
    }
  }, 60_000);
});
