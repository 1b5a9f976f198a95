// Chooses the adapter for the running operating system. Adding an OS = adding one file here and one line below.
// Importing an adapter loads no library: each one calls koffi.load only when its create function runs.
import { createDarwinRunner } from './darwin.js';
import { createFreebsdRunner } from './freebsd.js';
import { createIllumosRunner } from './illumos.js';
import { createLinuxRunner } from './linux.js';
import type { Runner } from './types.js';

/** process.platform → adapter. illumos reports itself as "sunos", like Solaris. */
export const ADAPTERS: Partial<Record<NodeJS.Platform, () => Runner>> = {
  linux: createLinuxRunner,
  freebsd: createFreebsdRunner,
  darwin: createDarwinRunner,
  sunos: createIllumosRunner,
};

export class UnsupportedOsError extends Error {}

export function supportedPlatforms(): string[] {
  return Object.keys(ADAPTERS);
}

export function createRunner(platform: NodeJS.Platform = process.platform): Runner {
  const make = ADAPTERS[platform];
  if (make === undefined) {
    throw new UnsupportedOsError(
      `semconf has no runner for the operating system "${platform}"; supported: ${supportedPlatforms().join(', ')} (add one in runners/).`,
    );
  }
  return make();
}
