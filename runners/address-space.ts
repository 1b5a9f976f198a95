// What the confinement check (src/worker/confine.ts) must know of a target's address space: the width of its
// addresses, the lowest address a process may map (below it is the NULL page form) and the end of user space (from
// it up is the kernel's part). Each value errs on the side of refusing: a bound set too far keeps a named form
// smaller, never lets a call reach mapped memory.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { AddressSpace } from '../src/worker/confine.js';

/** Every 64-bit kernel semconf runs on (Linux, FreeBSD, illumos on x86_64 and arm64; macOS) keeps the upper half of
 * the address space for itself, whatever the width of user space (47, 48 or 56 bits). */
const KERNEL_HALF_64 = 1n << 63n;
/** A 32-bit process on an x86_64 Linux kernel may map up to 4 GiB less two pages (IA32_PAGE_OFFSET, 0xffffe000). */
const IA32_ON_X86_64_USER_END = 0xffffe000n;

/** A 64-bit kernel computes addr + len of a 32-bit process's call in 64 bits (the compat entry zero-extends its
 * arguments): there, a range past 4 GiB does not wrap, it runs on over the rest of the process's memory. */
const kernelBitsOf = (wordBits: number): number => (['x86_64', 'aarch64', 'arm64', 'amd64'].includes(os.machine()) ? 64 : wordBits);

export function addressSpaceOf(wordBits: number, pageSize: number, nullEnd = BigInt(pageSize)): AddressSpace {
  const userEnd = wordBits === 64 ? KERNEL_HALF_64 : process.platform === 'linux' && os.machine() === 'x86_64' ? IA32_ON_X86_64_USER_END : null;
  const kernelBits = kernelBitsOf(wordBits);
  return { wordBits: kernelBits, ...(kernelBits > wordBits ? { processWordBits: wordBits } : {}), nullEnd, userEnd };
}

/** Linux: vm.mmap_min_addr is the lowest address an mmap may use (only CAP_SYS_RAWIO may go lower, and semconf
 * never asks to); at least the first page. */
export function linuxMmapMinAddr(pageSize: number): bigint {
  try {
    const v = BigInt(readFileSync('/proc/sys/vm/mmap_min_addr', 'utf8').trim());
    return v > BigInt(pageSize) ? v : BigInt(pageSize);
  } catch {
    return BigInt(pageSize);
  }
}
