// How Node's own binary sits in the page cache, for npm run bench (bench/suite.ts): a fact of the machine the figures
// depend on, recorded beside them. A whole-process case locks and unlocks every page a worker maps, ~84 MiB of them
// node's binary, and Linux does that folio by folio. Measured on this machine kind in a lean worker without a JIT:
// with the binary brought into the cache by a Node start's page faults (13,732 of its 21,082 pages in folios of one
// page), mlockall(MCL_CURRENT) took 15-17 ms and munlockall 7-8 ms; after a sequential read of the file had cached it
// instead (2,073 pages in folios of one page), 6 ms and 2 ms; the native suite ~1.4 s against ~1.1 s. Which of the two
// a machine has depends on how the file last came into its cache (a copy, an install, a Node start after the pages
// were reclaimed), never on semconf, which leaves the page cache alone: the bench only looks.
//
// The look: a Node process populates every page it maps (mlockall(MCL_CURRENT), then munlockall), and the bench reads
// the frame of each page of the binary from that process's /proc/<pid>/pagemap, then the frame's flags from
// /proc/kpageflags (KPF_COMPOUND_HEAD and _TAIL: a page of a folio larger than one page). Frame numbers need
// CAP_SYS_ADMIN: without it the fact is "not readable", and why.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';

export type BinaryFolios = { pages: number; inLargeFolios: number } | { notReadable: string };

const PAGE = 4096;
const KPF_COMPOUND_HEAD = 15n;
const KPF_COMPOUND_TAIL = 16n;

/** The script of the process whose pages are looked at: it populates what it maps, says so, and waits to be ended. */
const POPULATE = `const koffi = require('koffi'); const libc = koffi.load('libc.so.6');
if (libc.func('int mlockall(int)')(1) !== 0) { process.stdout.write('mlockall failed\\n'); process.exit(1); }
libc.func('int munlockall()')(); process.stdout.write('ready\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;

/** `count` 64-bit entries of a /proc table (pagemap, kpageflags) from entry `index` on; 0 where the file ends. */
function entries(fd: number, index: number, count: number): BigUint64Array {
  const b = Buffer.alloc(count * 8);
  readSync(fd, b, 0, b.length, index * 8);
  return new BigUint64Array(b.buffer, b.byteOffset, count);
}

/** Of the pages of node's binary mapped by `pid`, how many are present and how many of those in large folios. */
export function foliosOf(pid: number, binary: string): BinaryFolios {
  const ranges = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter((l) => l.trim().endsWith(` ${binary}`))
    .map((l) => (l.split(' ')[0] ?? '').split('-').map((x) => Number.parseInt(x, 16)) as [number, number]);
  const pagemap = openSync(`/proc/${pid}/pagemap`, 'r');
  let flags: number;
  try {
    flags = openSync('/proc/kpageflags', 'r');
  } catch (e) {
    closeSync(pagemap);
    return { notReadable: `/proc/kpageflags: ${(e as Error).message}` };
  }
  try {
    let pages = 0;
    let inLargeFolios = 0;
    for (const [start, end] of ranges) {
      for (const entry of entries(pagemap, start / PAGE, (end - start) / PAGE)) {
        if (entry >> 63n === 0n) continue; // not present
        const frame = entry & ((1n << 55n) - 1n);
        if (frame === 0n) return { notReadable: 'pagemap gives no frame numbers here (they need CAP_SYS_ADMIN)' };
        pages++;
        const f = entries(flags, Number(frame), 1)[0] ?? 0n;
        if (((f >> KPF_COMPOUND_HEAD) & 1n) === 1n || ((f >> KPF_COMPOUND_TAIL) & 1n) === 1n) inLargeFolios++;
      }
    }
    return pages === 0 ? { notReadable: `no page of ${binary} is present in process ${pid}` } : { pages, inLargeFolios };
  } finally {
    closeSync(flags);
    closeSync(pagemap);
  }
}

/** How node's binary (`process.execPath`, as /proc/<pid>/maps names it) is cached now, looked at in a child process
 * that has populated every page it maps. `cwd`: where that child finds koffi. */
export async function nodeBinaryFolios(cwd: string): Promise<BinaryFolios> {
  if (process.platform !== 'linux') return { notReadable: 'a Linux fact' };
  const child = spawn(process.execPath, ['--jitless', '-e', POPULATE], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    const said = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', () => resolve(out.trim() || 'exited'));
    });
    if (said !== 'ready' || child.pid === undefined) return { notReadable: `the populating process said "${said}"` };
    return foliosOf(child.pid, realpathSync(process.execPath));
  } catch (e) {
    return { notReadable: (e as Error).message };
  } finally {
    child.stdin.end();
    child.kill();
  }
}

/** The fact as a sentence: what README's speed section says of the machine beside the figures. */
export function describeFolios(f: BinaryFolios): string {
  if ('notReadable' in f) return `node's binary in the page cache: not readable (${f.notReadable})`;
  return `node's binary in the page cache: ${f.inLargeFolios} of its ${f.pages} pages in folios larger than a page (${((100 * f.inLargeFolios) / f.pages).toFixed(0)} %)`;
}
