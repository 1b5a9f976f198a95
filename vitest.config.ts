import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one temporary directory for the whole run, removed at its end (test/global-setup.ts)
    globalSetup: ['test/global-setup.ts'],
    // Runner tests start real worker processes (Node + koffi); give them room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
