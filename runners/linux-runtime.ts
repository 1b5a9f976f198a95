// Which implementation of the Linux system calls runs this process: the Linux kernel, or gVisor (a kernel in user
// space that implements the same system calls). Decided from inside the process, so a results file never calls a
// sandbox "native", whoever started it; `semconf run --target gvisor` cross-checks this against what it started.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import koffi, { type LibraryHandle } from 'koffi';

/** gVisor's kernel log starts with this line (pkg/sentry/kernel/syslog.go). */
export const GVISOR_KERNEL_LOG_MARKER = 'Starting gVisor';
/** The fixed `uname -v` gVisor reports (pkg/sentry/kernel/version.go); a weak sign, used only when the log is unreadable. */
export const GVISOR_UNAME_VERSION = '#1 SMP Sun Jan 10 15:06:54 PST 2016';

export type RuntimeName = 'native' | 'gvisor';

export interface RuntimeEvidence {
  /** the kernel log (klogctl READ_ALL), or null when it cannot be read */
  kernelLog: string | null;
  /** why the log could not be read */
  kernelLogError?: string;
  unameVersion: string;
  hasVmLck: boolean;
}

export interface RuntimeVerdict {
  runtime: RuntimeName;
  /** how it was determined, in one sentence for the results file */
  basis: string;
}

export function classifyRuntime(e: RuntimeEvidence): RuntimeVerdict {
  const uname = `uname version "${e.unameVersion}"`;
  const vmlck = `/proc/self/status ${e.hasVmLck ? 'has' : 'has no'} VmLck`;
  if (e.kernelLog?.includes(GVISOR_KERNEL_LOG_MARKER)) {
    return { runtime: 'gvisor', basis: `detected inside: the kernel log says "${GVISOR_KERNEL_LOG_MARKER}..."; ${uname}; ${vmlck}` };
  }
  if (e.kernelLog === null) {
    const why = `the kernel log is unreadable (${e.kernelLogError ?? 'unknown error'})`;
    if (e.unameVersion === GVISOR_UNAME_VERSION && !e.hasVmLck) {
      return { runtime: 'gvisor', basis: `detected inside: ${why}, but the ${uname} is gVisor's fixed one and ${vmlck}` };
    }
    return { runtime: 'native', basis: `no sign of gVisor: ${why}; ${uname}; ${vmlck}` };
  }
  return { runtime: 'native', basis: `no sign of gVisor: the kernel log has no "${GVISOR_KERNEL_LOG_MARKER}" line; ${uname}; ${vmlck}` };
}

const SYSLOG_ACTION_READ_ALL = 3;
/** gVisor's whole log is well under 1 KiB; a native log's tail of this size is enough to show it is not gVisor's. */
const KERNEL_LOG_BYTES = 16 * 1024;

/** Reads the evidence through the given libc (klogctl is an internal binding, never reachable from a spec). */
export function gatherRuntimeEvidence(libc: LibraryHandle): RuntimeEvidence {
  const base = {
    unameVersion: os.version(),
    hasVmLck: /^VmLck:/m.test(readFileSync('/proc/self/status', 'utf8')),
  };
  try {
    const klogctl = libc.func('int klogctl(int type, _Out_ uint8_t *bufp, int len)');
    const buf = Buffer.alloc(KERNEL_LOG_BYTES);
    const n = klogctl(SYSLOG_ACTION_READ_ALL, buf, buf.length) as number;
    if (n < 0) return { ...base, kernelLog: null, kernelLogError: `klogctl failed with errno ${koffi.errno()}` };
    return { ...base, kernelLog: buf.subarray(0, n).toString('latin1') };
  } catch (e) {
    return { ...base, kernelLog: null, kernelLogError: (e as Error).message };
  }
}
