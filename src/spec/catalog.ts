// The catalog: every spec and profile of a specs directory, loaded, validated and linted together.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { InputError, type Diagnostic } from './diagnostics.js';
import { type Loaded, loadProfileFile, loadSpecFile } from './load.js';
import { readInputFile } from './read.js';
import type { Case, Profile, SpecFile } from './schema.js';

export interface CaseRef {
  spec: Loaded<SpecFile>;
  index: number;
  case: Case;
}

export interface Catalog {
  dir: string;
  specs: Loaded<SpecFile>[];
  profiles: Loaded<Profile>[];
  /** sha256 over every spec and profile file, so results can say which spec set they ran */
  digest: string;
}

export function allCases(catalog: Catalog): CaseRef[] {
  return catalog.specs.flatMap((spec) => spec.value.cases.map((c, index) => ({ spec, index, case: c })));
}

export function profileById(catalog: Catalog): Map<string, Profile> {
  return new Map(catalog.profiles.map((p) => [p.value.id, p.value]));
}

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
