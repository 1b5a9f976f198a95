// Where semconf is installed and which version it is, whether running from dist/ or from the sources (tests).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const PACKAGE_ROOT = packageRoot();

export function toolVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** A compiled entry script: beside the calling module when running from dist/, else under dist/ (tests run the
 * TypeScript sources, but child processes start from compiled JavaScript). */
export function compiledScript(callerUrl: string, name: string, distDir: string): string {
  const sibling = fileURLToPath(new URL(`./${name}`, callerUrl));
  if (existsSync(sibling)) return sibling;
  const built = join(PACKAGE_ROOT, 'dist', distDir, name);
  if (existsSync(built)) return built;
  throw new Error(`no compiled ${name} at ${sibling} or ${built}: run "npm run build" first`);
}
