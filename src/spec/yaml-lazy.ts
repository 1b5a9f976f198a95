// The yaml library, loaded the first time something parses or locates YAML: a run planned from the cached catalog
// (src/spec/cached-catalog.ts) never does, and loading yaml's 79 modules costs ~40 ms here and ~0.15 s under
// gVisor. yaml is a CommonJS package under Node (its "node" export), so require() here and `import` in the loader
// (load.ts) give the one same module.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');
let loaded: Yaml | undefined;

export function yaml(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}

/** How spec YAML is parsed, for the loader and for positions recomputed later (src/spec/cached-catalog.ts). */
export const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: false, strict: true } as const;
