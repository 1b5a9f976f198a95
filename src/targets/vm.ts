// `semconf run --target vm [--kernel FILE]`: the whole suite inside a qemu virtual machine booting another Linux
// kernel (by default Debian bookworm's 6.1, fetched by ci/fetch-kernel.sh), so that the same cases judge a second
// kernel's mlock family on the same machine.
//
// How: qemu boots the kernel with a small initramfs (vm-image.ts); its init mounts the host's root read-only over
// 9p, chroots into it and runs the host's own node with this checkout's dist/ and node_modules/, so the guest runs
// exactly the code a native run would, against the guest's kernel. The results come back through a second, writable
// 9p share in the launcher's state directory (Launch.output), never over the serial console, which carries kernel
// messages and the inner run's stderr. The accelerator is TCG (every instruction emulated): on this project's
// machines /dev/kvm is itself emulated and a stock kernel crawls under it, where TCG boots the 6.1 kernel to init in
// seconds. The uncompressed vmlinux is booted through its PVH entry point, skipping the decompressor and firmware.
import { PACKAGE_ROOT } from '../package-info.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Results } from '../results.js';
import { type Launch, type Launcher, labelled } from './launcher.js';
import { buildInitramfs, EXIT_FILE, GUEST_MODULES, HOST_TAG, isStaticElf, loadOrder, OUT_TAG, parseModulesDep, RESULTS_FILE, STOP_FILE } from './vm-image.js';
import { findKernel, type KernelImage, majorMinor } from './vm-kernel.js';

export interface VmOptions {
  /** --kernel: a vmlinux, a vmlinuz, or a directory with an unpacked kernel package (default: the cache) */
  kernel?: string;
}

/** The machine semconf boots. TCG: see above. `max` gives the guest every CPU feature TCG emulates. */
export const VM_MACHINE = { machine: 'q35', accel: 'tcg', cpu: 'max', smp: 2, memoryMiB: 2048 } as const;
/** console on the first serial port (qemu's stdout); only emergencies (a panic) printed; a panic reboots at once,
 * and -no-reboot turns a reboot into qemu's exit: a VM that fails ends, it never hangs at a panic. */
/** Case timeouts and the workers' start-up limit in the VM, times this machine's: under TCG a case measured 60 to
 * 100 times slower than natively (mlockall(MCL_CURRENT) of a worker: 53 ms natively, 3-5 s in the VM on a loaded
 * host), so a native 5 s timeout would cut real work short; 8x (40 s) still stops a real hang. */
export const VM_TIMEOUT_SCALE = 8;
export const KERNEL_CMDLINE = 'console=ttyS0 loglevel=1 panic=-1 rdinit=/init';

/** A value inside a qemu option list: commas are doubled. */
const optValue = (s: string): string => s.replace(/,/g, ',,');

/** qemu's command line (without the binary). It carries the state directory (the initramfs and the output share are
 * in it), so the shared clean-up finds a qemu left behind. */
export function qemuArgs(o: { image: string; initramfs: string; outDir: string; append?: string }): string[] {
  const m = VM_MACHINE;
  return [
    '-name', 'semconf-vm',
    '-machine', m.machine, '-accel', m.accel, '-cpu', m.cpu, '-smp', String(m.smp), '-m', String(m.memoryMiB),
    // no default devices, monitor, display or config file: only what is named here
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot',
    '-kernel', o.image, '-initrd', o.initramfs, '-append', o.append ?? KERNEL_CMDLINE,
    // The host's root, read-only. multidevs=remap: the host's root spans several file systems, whose inode numbers
    // would collide in the guest without it (the guest's /proc/self/status went missing).
    '-virtfs', `local,path=/,mount_tag=${HOST_TAG},security_model=none,readonly=on,multidevs=remap`,
    '-virtfs', `local,path=${optValue(o.outDir)},mount_tag=${OUT_TAG},security_model=none,multidevs=remap`,
  ];
}

function onPath(name: string, extra: string[] = []): string | null {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return [...dirs.map((d) => join(d, name)), ...extra].find((c) => existsSync(c)) ?? null;
}

export function findQemu(): string | null {
  return onPath('qemu-system-x86_64', ['/usr/bin/qemu-system-x86_64']);
}

/** A statically linked busybox (the Debian package busybox-static; the plain busybox package's is dynamic). */
export function findBusybox(): string | null {
  for (const c of [onPath('busybox'), '/bin/busybox', '/usr/bin/busybox']) {
    try {
      if (c !== null && isStaticElf(readFileSync(c))) return c;
    } catch {
      // unreadable: try the next
    }
  }
  return null;
}

export function qemuVersion(qemu: string): string {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const first = (r.stdout ?? '').split('\n')[0]?.trim();
  return first !== undefined && first !== '' ? first : `qemu (version unknown: ${r.error?.message ?? `exit ${r.status ?? '?'}`})`;
}

interface Ready {
  qemu: string;
  busybox: string;
  kernel: KernelImage;
  /** module files relative to kernel.modules, in load order */
  modules: string[];
}

/** Everything the VM needs, or one sentence saying what is missing. */
export function vmReadiness(options: VmOptions = {}): Ready | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `--target vm needs an x86_64 Linux host (the guest runs the host's own x86_64 node and libc); this is ${process.platform} ${process.arch}`;
  }
  const qemu = findQemu();
  if (qemu === null) return '--target vm needs qemu-system-x86_64, which is not installed: install the Debian package "qemu-system-x86"';
  const busybox = findBusybox();
  if (busybox === null) return '--target vm needs a statically linked busybox for the VM\'s initramfs: install the Debian package "busybox-static"';
  const kernel = findKernel(options.kernel);
  if (typeof kernel === 'string') return kernel;
  let dep: Map<string, string[]>;
  try {
    dep = parseModulesDep(readFileSync(join(kernel.modules, 'modules.dep'), 'utf8'));
  } catch (e) {
    return `cannot read ${join(kernel.modules, 'modules.dep')}: ${(e as Error).message}`;
  }
  const order = loadOrder(dep, GUEST_MODULES);
  if ('missing' in order) {
    return `the kernel ${kernel.release} has no module ${order.missing.join(', ')} in ${kernel.modules} (the VM needs ${GUEST_MODULES.join(', ')} to reach the host's files over 9p)`;
  }
  const compressed = order.order.find((f) => !f.endsWith('.ko'));
  if (compressed !== undefined) return `the kernel ${kernel.release}'s modules are compressed (${compressed}); the VM's busybox insmod loads only plain .ko files`;
  const missingFile = order.order.find((f) => !existsSync(join(kernel.modules, f)));
  if (missingFile !== undefined) return `modules.dep of ${kernel.release} names ${missingFile}, which is not in ${kernel.modules}`;
  return { qemu, busybox, kernel, modules: order.order };
}

/** "linux-x86_64-glibc" booted on 6.1.0-57-amd64 -> "linux-6.1-x86_64-glibc-vm". */
export function vmTargetId(insideId: string, release: string): string {
  const [os, ...rest] = insideId.split('-');
  return [os, majorMinor(release) ?? release.replace(/[^a-z0-9._]/gi, '_').toLowerCase(), ...rest, 'vm'].join('-');
}

/** The results of the run inside, checked: a Linux kernel (not gVisor) whose release is the one qemu booted. */
export function adoptVm(results: Results, how: Launch): Results {
  const inside = results.target;
  const booted = how.facts.kernelRelease;
  if (inside.runtime !== 'native') {
    throw new Error(`qemu ran the suite, but the runner inside saw runtime "${inside.runtime}" (${inside.runtimeBasis ?? 'no basis recorded'}), not a Linux kernel; refusing to label these results vm`);
  }
  if (booted === undefined || inside.release !== booted) {
    throw new Error(`qemu booted Linux ${booted ?? '(unknown)'}, but the runner inside saw release "${inside.release}"; refusing to label these results vm`);
  }
  const adopted = labelled(results, { target: 'vm' }, how, vmTargetId(inside.id, inside.release));
  // The system calls ran on a Linux kernel, but not this machine's: "native" would say otherwise in every report.
  return { ...adopted, target: { ...adopted.target, runtime: 'vm' } };
}

export function vmLauncher(options: VmOptions = {}): Launcher {
  let ready: Ready | string | undefined;
  const readiness = (): Ready | string => (ready ??= vmReadiness(options));
  return {
    target: 'vm',
    where: 'in the VM',
    // On top of every planned case's own timeout: qemu's start and the kernel's boot (2.5-7 s measured), the first
    // Node start inside (1.2-3.5 s under TCG, cold 9p caches), and the slack of two emulated CPUs on a shared host.
    marginMs: 180_000,
    timeoutScale: VM_TIMEOUT_SCALE,
    problem() {
      const r = readiness();
      return typeof r === 'string' ? r : null;
    },
    prepare({ stateDir, inner, request }) {
      const r = readiness();
      if (typeof r === 'string') throw new Error(r);
      const outDir = join(stateDir, 'out');
      mkdirSync(outDir);
      const initramfs = join(stateDir, 'initramfs.cpio');
      buildInitramfs(initramfs, {
        busybox: r.busybox,
        modulesDir: r.kernel.modules,
        moduleFiles: r.modules,
        init: {
          command: [process.execPath, inner, JSON.stringify(request)],
          keep: [...new Set([PACKAGE_ROOT, request.specs])],
          env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8', TMPDIR: '/tmp', NODE_OPTIONS: '' },
        },
      });
      const version = qemuVersion(r.qemu);
      const m = VM_MACHINE;
      const k = r.kernel;
      const boot = k.format === 'vmlinux' ? 'the uncompressed vmlinux through its PVH entry point' : 'the bzImage through the firmware';
      return {
        command: r.qemu,
        args: qemuArgs({ image: k.image, initramfs, outDir }),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' },
        output: join(outDir, RESULTS_FILE),
        startedWith:
          `semconf run --target vm booted Linux ${k.release} (${k.package ?? k.image}) in a qemu virtual machine ` +
          `(${version}; ${m.accel.toUpperCase()}, -cpu ${m.cpu}, ${m.smp} CPUs, ${m.memoryMiB} MiB) and ran the suite in a chroot of the host's root shared read-only over 9p`,
        facts: {
          machine: `qemu virtual machine (${m.machine})`,
          qemu: version,
          accelerator: m.accel,
          cpu: m.cpu,
          smp: String(m.smp),
          memory: `${m.memoryMiB} MiB`,
          kernelImage: k.image,
          kernelRelease: k.release,
          kernelVersion: k.version,
          kernelPackage: k.package ?? 'unknown (not fetched by ci/fetch-kernel.sh)',
          boot,
          cmdline: KERNEL_CMDLINE,
          timeoutScale: `${VM_TIMEOUT_SCALE} (every case's timeout and the workers' start-up limit, times the native one: TCG emulates every instruction)`,
          root: "the host's / over 9p (virtio), read-only, chrooted into with the guest's own proc, sys, dev and /tmp",
        },
      };
    },
    adopt: adoptVm,
    interrupt(_child, how) {
      // The init polls for this file in the output share and sends the inner run SIGINT (vm-image.ts).
      if (how.output !== undefined) writeFileSync(join(dirname(how.output), STOP_FILE), '');
    },
    cleanup(stateDir) {
      // What this launcher put there itself is expected; anything else is reported as left behind.
      const outDir = join(stateDir, 'out');
      for (const f of [RESULTS_FILE, STOP_FILE, EXIT_FILE]) rmSync(join(outDir, f), { force: true });
      const unexpected = existsSync(outDir) ? readdirSync(outDir).map((f) => `out/${f}`) : [];
      if (unexpected.length === 0) rmSync(outDir, { recursive: true, force: true });
      rmSync(join(stateDir, 'initramfs.cpio'), { force: true });
      return unexpected;
    },
  };
}
