// The catalog a run plans from, answered from the cache (src/spec/catalog-cache.ts) when the spec tree is unchanged:
// the values of a clean catalog (loaded, validated, every lint rule passed) as the cold load made them, and their
// positions recomputed from the very texts the key was made of, only if something asks for one. A catalog with
// problems is never cached: its diagnostics come from a cold load every time.
//
// A hit loads neither yaml nor the loader and its schemas (lint.ts, imported for a miss only): a run inside gVisor
// plans from the host's cache, where importing them cost ~0.5 s.
import { isDeepStrictEqual } from 'node:util';
import type { Catalog } from './catalog-model.js';
import { cacheKey, type CacheStore, type InputText, readSpecInputs } from './catalog-cache.js';
import { SourceMap } from './diagnostics.js';
import type { Loaded, SourceLocator } from './load.js';
import type { Profile, SpecFile } from './schema.js';
import { yaml, YAML_OPTIONS } from './yaml-lazy.js';

/** Positions of a file whose text is known: parsed (as the loader parses) the first time one is asked for. */
class LazySource implements SourceLocator {
  private map: SourceMap | undefined;

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  private get real(): SourceMap {
    if (this.map === undefined) {
      const { LineCounter, parseDocument } = yaml();
      const lines = new LineCounter();
      this.map = new SourceMap(this.file, parseDocument(this.text, { ...YAML_OPTIONS, lineCounter: lines }), lines);
    }
    return this.map;
  }

  at(...args: Parameters<SourceMap['at']>): ReturnType<SourceMap['at']> {
    return this.real.at(...args);
  }

  atNode(...args: Parameters<SourceMap['atNode']>): ReturnType<SourceMap['atNode']> {
    return this.real.atNode(...args);
  }
}

interface CachedCatalog {
  specs: { file: string; value: unknown }[];
  profiles: { file: string; value: unknown }[];
}

const plainValues = (loaded: readonly Loaded<unknown>[]): CachedCatalog['specs'] => loaded.map((l) => ({ file: l.file, value: l.value }));

/** Each cached value with its input, if the entry lists exactly the files read now, in the same order. The values
 * themselves are not validated again (that is the work saved): the entry's checksum and its key (these texts, this
 * build) say they are what this build's cold load produced from these texts. */
function withTexts<T>(cached: unknown, inputs: readonly InputText[]): Loaded<T>[] | undefined {
  if (!Array.isArray(cached) || cached.length !== inputs.length) return undefined;
  const out: Loaded<T>[] = [];
  for (const [i, entry] of cached.entries()) {
    const input = inputs[i] as InputText;
    if (typeof entry !== 'object' || entry === null || (entry as { file?: unknown }).file !== input.file || !('value' in entry)) return undefined;
    out.push({ file: input.file, value: (entry as { value: T }).value, source: new LazySource(input.file, input.text) });
  }
  return out;
}

/** loadCatalog(dir), from `cache` when this build loaded these very files before; `keep` stores a catalog loaded
 * cold, and what the load deferred, for the caller to call once its own usage checks have passed (a command refused
 * as bad usage writes nothing, not even to the cache). */
export async function loadCatalogCached(dir: string, cache: CacheStore | undefined): Promise<{ catalog: Catalog; keep: () => void }> {
  // what the load deferred (the build's digest, kept: catalog-cache.ts keptFor) is written once the command keeps
  const flushOnly = (): void => cache?.flush();
  const inputs = cache === undefined ? undefined : readSpecInputs(dir);
  const key = cache === undefined || inputs === undefined ? undefined : cacheKey('catalog', [dir, inputs.digest], cache);
  if (cache !== undefined && inputs !== undefined && key !== undefined) {
    const hit = cache.get('catalog', key) as Partial<CachedCatalog> | undefined;
    const specs = hit === undefined ? undefined : withTexts<SpecFile>(hit.specs, inputs.specs);
    const profiles = hit === undefined ? undefined : withTexts<Profile>(hit.profiles, inputs.profiles);
    if (specs !== undefined && profiles !== undefined) return { catalog: { dir, specs, profiles, digest: inputs.digest }, keep: flushOnly };
  }
  const { loadCatalog } = await import('./lint.js');
  const catalog = loadCatalog(dir);
  if (cache === undefined || key === undefined || catalog.digest !== inputs?.digest) return { catalog, keep: flushOnly };
  const keep = (): void => {
    const entry: CachedCatalog = { specs: plainValues(catalog.specs), profiles: plainValues(catalog.profiles) };
    // Only values that come back from JSON as they are (a schema may one day hold a bigint or a Map): else uncached.
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(entry)), entry)) cache.put('catalog', key, entry);
    cache.flush();
  };
  return { catalog, keep };
}
