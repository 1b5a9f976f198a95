// Which Linux kernel `semconf run --target vm` boots, and what it is. The release is read from the image itself
// (never from its file name), so that adopt (vm.ts) can check it against the release the runner saw inside.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The script that fetches the default kernel into the cache. */
export const FETCH_SCRIPT = 'ci/fetch-kernel.sh';

export interface KernelImage {
  /** absolute path of the image qemu boots */
  image: string;
  /** vmlinux: the uncompressed ELF, booted through its PVH entry point; bzImage: through the firmware's boot ROM */
  format: 'vmlinux' | 'bzImage';
  /** uname -r of the kernel, read from the image */
  release: string;
  /** uname -v of the kernel, read from the image ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)"), or "" */
  version: string;
  /** lib/modules/<release> holding modules.dep */
  modules: string;
  /** "<package> <version>" written by ci/fetch-kernel.sh, or null for a kernel from elsewhere */
  package: string | null;
}

/** Where ci/fetch-kernel.sh unpacks kernels; `current` is the default kernel. */
export function kernelCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEMCONF_KERNEL_CACHE) return env.SEMCONF_KERNEL_CACHE;
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(env.HOME ?? homedir(), '.cache');
  return join(base, 'semconf', 'kernels');
}

const printable = (b: Buffer, from: number, max: number): string => {
  let end = from;
  while (end < b.length && end - from < max && (b[end] ?? 0) >= 0x20 && (b[end] ?? 0) < 0x7f) end++;
  return b.toString('latin1', from, end);
};

/** What a kernel image says it is, or why it is not one. bzImage: the setup header's "HdrS" magic at 0x202 and its
 * kernel_version pointer at 0x20e (plus 0x200) to "RELEASE (builder) VERSION" (Documentation/arch/x86/boot.rst).
 * vmlinux: an ELF file holding the banner "Linux version RELEASE (builder) ... VERSION" (init/version.c). */
export function parseKernelImage(b: Buffer): { format: KernelImage['format']; release: string; version: string } | { error: string } {
  if (b.length > 0x210 && b.toString('latin1', 0x202, 0x206) === 'HdrS') {
    const text = printable(b, b.readUInt16LE(0x20e) + 0x200, 512);
    const m = /^(\S+) \(.*?\) (#.*)$/.exec(text) ?? /^(\S+)/.exec(text);
    if (m?.[1]) return { format: 'bzImage', release: m[1], version: m[2] ?? '' };
    return { error: 'a bzImage whose setup header names no kernel version' };
  }
  if (b.length > 64 && b.readUInt32BE(0) === 0x7f454c46) {
    // The banner appears more than once (a format string and the built one); the built one has "#<build number>".
    let found: { release: string; version: string } | null = null;
    for (let at = b.indexOf('Linux version '); at !== -1; at = b.indexOf('Linux version ', at + 1)) {
      const m = /^Linux version (\S+) \(.*\) (#\d+ .*)$/.exec(printable(b, at, 1024)) ?? /^Linux version (\S+) \(/.exec(printable(b, at, 1024));
      if (m?.[1]) {
        found = { release: m[1], version: m[2] ?? '' };
        if (m[2]) break;
      }
    }
    return found ? { format: 'vmlinux', ...found } : { error: 'an ELF file without a "Linux version" banner (not a vmlinux)' };
  }
  return { error: 'neither a vmlinux (ELF) nor a bzImage (no "HdrS" setup header)' };
}

/** "6.1.0-57-amd64" -> "6.1" (for the target id), or null. */
export function majorMinor(release: string): string | null {
  return /^(\d+\.\d+)/.exec(release)?.[1] ?? null;
}

/** The image to boot in an unpacked package (or a cache entry): boot/vmlinux-* first (ci/fetch-kernel.sh extracts
 * it), else boot/vmlinuz-*. */
function imageIn(dir: string): string | string[] {
  const boot = join(dir, 'boot');
  const names = existsSync(boot) ? readdirSync(boot) : [];
  for (const prefix of ['vmlinux-', 'vmlinuz-']) {
    const found = names.filter((n) => n.startsWith(prefix)).sort();
    if (found.length === 1 && found[0] !== undefined) return join(boot, found[0]);
    if (found.length > 1) return found.map((n) => join(boot, n));
  }
  return [];
}

/**
 * The kernel to boot, or one sentence saying why there is none.
 * - no argument: the kernel ci/fetch-kernel.sh put in the cache (`<cache>/current`);
 * - a directory: an unpacked kernel package (`dpkg -x linux-image-….deb DIR`): DIR/boot/vmlinux-* or vmlinuz-*, with
 *   its modules in DIR/lib/modules/<release>;
 * - a file (a vmlinux or a vmlinuz): its modules in lib/modules/<release> beside its directory's parent (the layout
 *   of an unpacked package, FILE = DIR/boot/vmlinuz-…), else the host's /lib/modules/<release>.
 * Either way the modules directory needs a modules.dep (`depmod -b DIR RELEASE` writes one).
 */
export function findKernel(arg: string | undefined, cache: string = kernelCache()): KernelImage | string {
  let image: string;
  let root: string | null;
  if (arg === undefined) {
    const current = join(cache, 'current');
    if (!existsSync(current)) return `--target vm has no kernel to boot: run "bash ${FETCH_SCRIPT}" to fetch Debian's 6.1 kernel into ${cache}, or pass --kernel FILE`;
    const found = imageIn(current);
    if (typeof found !== 'string') return `the kernel cache ${current} has no single boot/vmlinux-* or boot/vmlinuz-*: run "bash ${FETCH_SCRIPT}" again`;
    image = found;
    root = current;
  } else {
    const path = resolve(arg);
    if (!existsSync(path)) return `--kernel ${arg}: no such file or directory`;
    if (statSync(path).isDirectory()) {
      const found = imageIn(path);
      if (typeof found !== 'string') {
        return found.length === 0
          ? `--kernel ${arg}: a directory needs boot/vmlinux-* or boot/vmlinuz-* (an unpacked kernel package)`
          : `--kernel ${arg}: more than one kernel in it (${found.join(', ')}); pass the file`;
      }
      image = found;
      root = path;
    } else {
      image = path;
      root = null;
    }
  }
  let parsed: ReturnType<typeof parseKernelImage>;
  try {
    parsed = parseKernelImage(readFileSync(image));
  } catch (e) {
    return `cannot read the kernel ${image}: ${(e as Error).message}`;
  }
  if ('error' in parsed) return `the kernel ${image} is ${parsed.error}`;
  const candidates = [
    ...(root !== null ? [join(root, 'lib/modules', parsed.release)] : [join(dirname(dirname(image)), 'lib/modules', parsed.release)]),
    join('/lib/modules', parsed.release),
  ];
  const modules = candidates.find((c) => existsSync(join(c, 'modules.dep')));
  if (modules === undefined) {
    return `no modules for the kernel ${image} (release ${parsed.release}): looked for modules.dep in ${candidates.join(' and ')} (depmod -b DIR ${parsed.release} writes it)`;
  }
  const stamp = join(dirname(dirname(modules)), '..', 'semconf-kernel');
  const pkg = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : null;
  return { image, format: parsed.format, release: parsed.release, version: parsed.version, modules, package: pkg };
}
