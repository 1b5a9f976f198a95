// `semconf run --target ia32`: the whole suite in a 32-bit (i386) Node on this x86_64 kernel, so every system call
// goes through the kernel's compat (32-bit) entry points, with 32-bit addresses and a 32-bit size_t.
//
// The userland is a root directory built once by ci/ia32-root.sh (Debian's nodejs:i386 and its libraries, the i386
// coreutils for the exec probe's cat(1), koffi's prebuilt ia32 binary at /node_modules), in a cache outside the
// repository. A run is `unshare --mount` (a private mount namespace: nothing it mounts is ever visible on the host,
// and every mount vanishes with the namespace's last process) around `chroot VIEW /usr/bin/node inner.js REQUEST`,
// where VIEW, inside the launcher's private state directory, is a read-only bind of the root with this checkout bound
// read-only at its own path, /proc and /dev from the host and a private tmpfs /tmp. The runner inside is the Linux
// runner unchanged: it reads its width from koffi, so SIZE_MAX, UINTPTR_MAX and the call arithmetic are 32-bit there.
//
// Reaping: the state directory is on the command line of unshare, sh and chroot, and in the request on node's; every
// process of the run, workers and forked children included, has VIEW as its root (/proc/<pid>/root), which the
// clean-up below checks on top of the shared one (launcher.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { homedir, machine } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../package-info.js';
import type { Results } from '../results.js';
import { type Launch, type Launcher, labelled } from './launcher.js';

/** What ci/ia32-root.sh records in the root (.semconf-ia32.json). */
export interface Ia32Manifest {
  /** what it was asked to build: packages and koffi version */
  want: string;
  /** process.version of the root's node */
  node: string;
  /** the version of koffi's ia32 binary at /node_modules/@koromix/koffi-linux-ia32 */
  koffi: string;
  /** Debian package → version, the whole closure */
  packages: Record<string, string>;
}

export const MANIFEST = '.semconf-ia32.json';
/** The ABI the runner inside must report (Node's process.arch of an i386 build). */
export const IA32_ABI = 'ia32';

/** Where ci/ia32-root.sh builds the root: $SEMCONF_IA32_ROOT, else ${XDG_CACHE_HOME:-$HOME/.cache}/semconf/ia32-root. */
export function defaultIa32Root(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEMCONF_IA32_ROOT) return resolve(env.SEMCONF_IA32_ROOT);
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'semconf', 'ia32-root');
}

/** The root's manifest, or one sentence saying what is wrong with it. */
export function readManifest(root: string): Ia32Manifest | string {
  const build = 'build it with ci/ia32-root.sh';
  if (!existsSync(root)) return `--target ia32 needs the i386 root directory ${root}, which does not exist: ${build}`;
  if (!existsSync(join(root, 'usr/bin/node'))) return `the i386 root ${root} has no usr/bin/node: ${build}`;
  let m: Partial<Ia32Manifest>;
  try {
    m = JSON.parse(readFileSync(join(root, MANIFEST), 'utf8')) as Partial<Ia32Manifest>;
  } catch (e) {
    return `the i386 root ${root} has no readable ${MANIFEST} (${(e as Error).message}): ${build}`;
  }
  if (typeof m.node !== 'string' || typeof m.koffi !== 'string' || typeof m.want !== 'string' || typeof m.packages !== 'object' || m.packages === null) {
    return `the i386 root's ${MANIFEST} lacks node, koffi, want or packages: ${build}`;
  }
  return m as Ia32Manifest;
}

/** The koffi version this checkout's JavaScript expects (its loader refuses a native module of another version). */
function checkoutKoffiVersion(): string | null {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules/koffi/package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** An executable on PATH or in the system directories, or null. */
function findTool(name: string, path = process.env.PATH ?? ''): string | null {
  const dirs = [...path.split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return dirs.map((d) => join(d, name)).find((c) => existsSync(c)) ?? null;
}

/** Why the ia32 target cannot run here (one sentence), or null. */
export function ia32Problem(root: string): string | null {
  if (process.platform !== 'linux') return `--target ia32 needs Linux (an i386 userland on an x86_64 kernel); this is ${process.platform}`;
  if (process.arch !== 'x64') return `--target ia32 runs an i386 Node on an x86_64 kernel; this Node is ${process.arch}`;
  if (process.geteuid?.() !== 0) return '--target ia32 needs root: it makes a mount namespace, binds directories into the i386 root and chroots there';
  for (const tool of ['unshare', 'chroot', 'mount']) {
    if (findTool(tool) === null) return `--target ia32 needs ${tool} (util-linux / coreutils), which is not installed`;
  }
  const m = readManifest(root);
  if (typeof m === 'string') return m;
  const koffi = checkoutKoffiVersion();
  if (koffi !== null && koffi !== m.koffi) {
    return `the i386 root has koffi ${m.koffi}'s ia32 binary but this checkout uses koffi ${koffi}: rebuild it with ci/ia32-root.sh`;
  }
  return null;
}

/** The mount namespace's script: $1 root, $2 view, then the directories to bind read-only at their own paths, "--",
 * then node's arguments. Paths travel as arguments, never spliced into the script. */
export const MOUNT_SCRIPT = [
  'set -eu',
  'root=$1; view=$2; shift 2',
  // A read-only view of the root: the run cannot change the cached root.
  'mount --bind "$root" "$view"',
  'mount -o remount,bind,ro "$view"',
  // The private /tmp first, so that a checkout under /tmp (as CI clones it) is bound on top of it, not hidden.
  'mount -t tmpfs -o mode=1777,size=64m semconf-ia32-tmp "$view/tmp"',
  'while [ "$1" != -- ]; do mkdir -p "$view$1" 2>/dev/null || true; mount --bind "$1" "$view$1"; mount -o remount,bind,ro "$view$1"; shift; done',
  'shift',
  'mount --bind /proc "$view/proc"',
  'mount --rbind /dev "$view/dev"',
  // A minimal environment inside: PATH for the exec probe's cat(1); no NODE_OPTIONS from the host.
  'exec chroot "$view" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 /usr/bin/node "$@"',
].join('\n');

/** The directories the run needs at their own paths: this checkout (dist/, node_modules/), and the spec directory and
 * the launching run's catalog cache (InnerRequest.cache) where each is outside what is bound already. */
export function bindsFor(checkout: string, specs: string, cache?: string): string[] {
  const within = (dir: string, outer: string): boolean => {
    const rel = relative(outer, dir);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
  };
  const binds = [checkout];
  for (const dir of [specs, ...(cache !== undefined ? [cache] : [])]) if (!binds.some((b) => within(dir, b))) binds.push(dir);
  return binds;
}

/** The results of the run inside, checked: the runner there must really have run as an i386 process, in the root's
 * Node. */
export function adoptIa32(results: Results, how: Launch): Results {
  const inside = results.target;
  if (inside.abi !== IA32_ABI) {
    throw new Error(
      `the chroot ran the suite, but the runner inside reports ABI ${inside.abi === undefined ? '(none: the kernel\'s own)' : `"${inside.abi}"`} ` +
        `on ${inside.arch}; refusing to label these results ia32`,
    );
  }
  const node = how.facts.node;
  if (node !== undefined && inside.node !== node) {
    throw new Error(`the runner inside ran Node ${inside.node}, not the i386 root's ${node}; refusing to label these results ia32`);
  }
  return labelled(results, ia32Launcher(), how, inside.id);
}

/** Processes whose root directory (/proc/<pid>/root) is `view` or below it. */
export function processesRootedIn(view: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const root = readlinkSync(`/proc/${entry}/root`);
      if (root === view || root.startsWith(`${view}/`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Mount points of this process's namespace at or below `dir` (there should be none: the run's are private). */
export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  // Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return mountinfo
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}

export function ia32Launcher(root: string = defaultIa32Root()): Launcher {
  return {
    target: 'ia32',
    where: 'in the i386 root (ia32)',
    // unshare, the binds and a 32-bit Node's start; no system to boot.
    marginMs: 60_000,
    problem: () => ia32Problem(root),
    prepare({ stateDir, inner, request }) {
      const manifest = readManifest(root);
      if (typeof manifest === 'string') throw new Error(manifest);
      const checkout = PACKAGE_ROOT;
      if (relative(checkout, inner).startsWith('..')) throw new Error(`the inner script ${inner} is not inside this checkout ${checkout}`);
      // the launching run's catalog cache too (InnerRequest.cache), made if it is not there yet, so that there is a
      // directory to bind: the run plans from the entry the launching run's load makes
      if (request.cache !== undefined) mkdirSync(request.cache, { recursive: true, mode: 0o700 });
      const binds = bindsFor(checkout, request.specs, request.cache);
      // Mount points in the root, made once per path (the root is read-only during a run).
      for (const dir of binds) mkdirSync(join(root, dir), { recursive: true });
      const view = join(stateDir, 'root');
      mkdirSync(view);
      const unshare = findTool('unshare') ?? 'unshare';
      const packages = Object.entries(manifest.packages).map(([name, version]) => `${name} ${version}`);
      return {
        command: unshare,
        args: ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNT_SCRIPT, 'semconf-ia32', root, view, ...binds, '--', inner, JSON.stringify(request)],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
        startedWith:
          `semconf run --target ia32 started it with "unshare --mount" and "chroot ${root} /usr/bin/node" ` +
          `(Debian nodejs:i386 ${manifest.packages.nodejs ?? '?'}, Node ${manifest.node}, koffi ${manifest.koffi} ia32)`,
        facts: {
          abi: `${IA32_ABI}: an i386 process on the ${machine()} kernel, through its 32-bit compat system calls`,
          root,
          node: manifest.node,
          koffi: manifest.koffi,
          packages: packages.join(', '),
        },
      };
    },
    adopt: adoptIa32,
    async cleanup(stateDir) {
      const view = join(stateDir, 'root');
      const found: string[] = [];
      // Every process of the run has the view as its root: workers and forked children do not carry the state
      // directory on their command lines, so they are found by their root.
      for (const pid of processesRootedIn(view)) {
        found.push(`process ${pid} (root ${view})`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      const deadline = performance.now() + 5000;
      while (processesRootedIn(view).length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // The namespace is private, so the host never sees its mounts; if it does, they are taken down lazily before
      // the state directory is removed, and a mount that stays is an error: never remove files through a mount.
      const mounted = mountsUnder(stateDir);
      if (mounted.length > 0) {
        found.push(...mounted.map((m) => `mount ${m}`));
        spawnSync('umount', ['--recursive', '--lazy', view], { stdio: 'ignore', timeout: 10_000 });
        const still = mountsUnder(stateDir);
        if (still.length > 0) throw new Error(`still mounted after the ia32 run: ${still.join(', ')}; not removing ${stateDir}`);
      }
      if (existsSync(view)) {
        try {
          rmdirSync(view); // never recursive: the view holds nothing of its own
        } catch (e) {
          found.push(`${view} could not be removed: ${(e as Error).message}`);
        }
      }
      return found;
    },
  };
}
