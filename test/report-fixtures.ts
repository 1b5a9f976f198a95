// Shared by the report, diff, merge and audit tests: the results fixtures (real runs and labelled constructed
// copies, see test/fixtures/results/README.md), the built CLI, and a headless Chromium.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { type Results, readResults } from '../src/results.js';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/results/${name}`, import.meta.url));
export const load = (name: string): Results => readResults(fixture(name));

const cliPath = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
export const semconf = (...args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });

export const scratch = (): string => mkdtempSync(join(tmpdir(), 'semconf-reports-'));

export const artifacts = fileURLToPath(new URL('./.artifacts/', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
