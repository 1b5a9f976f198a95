// The catalog: every spec and profile of a specs directory, loaded, validated and linted together.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { InputError, type Diagnostic } from './diagnostics.js';
import { type Loaded, loadProfileFile, loadSpecFile } from './load.js';
import { readInputFile } from './read.js';
// What a catalog is and the walks over one are in catalog-model.ts, which loads no yaml: a run plans from a cached
// catalog without it.
import { allCases, type CaseRef, type Catalog, profileById } from './catalog-model.js';
import type { Profile, SpecFile } from './schema.js';

export { allCases, type CaseRef, type Catalog, profileById };

const isYaml = (f: string): boolean => f.endsWith('.yaml') || f.endsWith('.yml');

/** Read `dir/*.yaml` as specs and `dir/profiles/*.yaml` as profiles, each validated on its own; throws InputError
 * listing every problem. Cross-file rules are lint's (see loadCatalog in lint.ts). */
export function readCatalog(dir: string): Catalog {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError([{ file: dir, line: 1, col: 1, path: '', message: 'expected a directory of spec files' }]);
  }
  const profileDir = join(dir, 'profiles');
  const specFiles = readdirSync(dir).filter(isYaml).sort().map((f) => join(dir, f));
  const profileFiles = existsSync(profileDir)
    ? readdirSync(profileDir).filter(isYaml).sort().map((f) => join(profileDir, f))
    : [];
  const diagnostics: Diagnostic[] = [];
  const hash = createHash('sha256');
  const loadEach = <T>(files: string[], load: (file: string, text: string) => T): T[] =>
    files.flatMap((file) => {
      try {
        // Only regular files inside `dir` (profiles/ included), each within the size limit: see read.ts.
        const text = readInputFile(file, dir);
        hash.update(`${relative(dir, file)}\0${text}\0`);
        return [load(file, text)];
      } catch (e) {
        if (e instanceof InputError) {
          diagnostics.push(...e.diagnostics);
          return [];
        }
        throw e;
      }
    });
  const profiles = loadEach(profileFiles, loadProfileFile);
  const specs = loadEach(specFiles, loadSpecFile);
  if (profileFiles.length === 0) {
    diagnostics.push({ file: profileDir, line: 1, col: 1, path: '', message: 'expected at least one profile file' });
  }
  if (specFiles.length === 0) {
    diagnostics.push({ file: dir, line: 1, col: 1, path: '', message: 'expected at least one spec file (*.yaml)' });
  }
  const catalog: Catalog = { dir, specs, profiles, digest: `sha256:${hash.digest('hex')}` };
  if (diagnostics.length > 0) throw new InputError(diagnostics);
  return catalog;
}

export function profileFileId(file: string): string {
  return basename(file).replace(/\.ya?ml$/, '');
}
