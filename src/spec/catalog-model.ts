// The catalog: every spec and profile of a specs directory, loaded (src/spec/catalog.ts reads one, lint.ts checks
// it), and the walks over it that planning and reporting need. Apart from the reading, so that a run that plans from
// a cached catalog loads neither yaml nor the schemas.
import type { Loaded } from './load.js';
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
