// Chooses the adapter for the running operating system. Adding an OS = adding one file here and one line below.
import { createLinuxRunner } from './linux.js';
import type { Runner } from './types.js';

const ADAPTERS: Partial<Record<NodeJS.Platform, () => Runner>> = {
  linux: createLinuxRunner,
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
