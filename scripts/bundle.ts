// The two entry points that start most often, each as one file: a worker (dist/src/worker/child.js: two or three per
// run, and one per fresh process) and the run inside a launched target (dist/src/targets/inner.js, which starts its
// own workers there). Node's ESM loader resolves, reads and compiles each module apart (a worker loads 33), and where
// a file costs most to reach that is most of a start: in gVisor every lookup crosses its gofer, in the VM a 9p share
// under an emulated CPU. Measured on this machine kind, in turns (tmpx-style paired runs, medians): a worker's start
// to its hello 139 -> 92 ms natively (5 each); the gVisor suite 3.00 -> 2.68 s (6 each); the native suite 0.87 ->
// 0.84 s (10 each).
//
// `npm run build` runs this after tsc: each entry is bundled in place (the file tsc wrote is replaced by its bundle),
// so every path that names one (pool.ts defaultChildScript, launcher.ts innerScript, the launchers' binds) stays.
// Left out of the bundles, and loaded as before: koffi (it finds its native addon beside its own files), Node's
// built-ins, and the catalog's cold load (spec/lint.js, with yaml and zod), which only a cache miss imports. What each
// bundle was made of goes to dist/bundles.json, from which test/worker-imports.test.ts checks what each may contain.
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PACKAGE_ROOT } from '../src/package-info.js';

const DIST = join(PACKAGE_ROOT, 'dist');

/** The entry points, relative to dist/. */
const BUNDLED = ['src/worker/child.js', 'src/targets/inner.js'] as const;

/** Modules of dist/ that stay files of their own, imported from a bundle by their relative path. */
const UNBUNDLED = ['src/spec/lint.js'];

/** What dist/bundles.json says of each bundle: the files it holds (relative to the package root), and what it imports
 * at run time (packages, built-ins, the modules left out). */
interface BundleRecord {
  inputs: string[];
  imports: string[];
}

/** A module in UNBUNDLED is imported from the bundle at `outFile` by its path relative to it. */
function keepApart(outFile: string): Plugin {
  const kept = new Set(UNBUNDLED.map((m) => join(DIST, m)));
  return {
    name: 'keep-apart',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        if (!kept.has(target)) return undefined;
        const path = relative(dirname(outFile), target);
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

async function bundle(entry: string): Promise<BundleRecord> {
  const file = join(DIST, entry);
  const result = await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    external: ['koffi'],
    // the CommonJS packages bundled (picomatch) call require(); an ES module has none of its own
    banner: { js: "import { createRequire as __semconfRequire } from 'node:module';\nconst require = __semconfRequire(import.meta.url);" },
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [keepApart(file)],
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  if (output === undefined) throw new Error(`esbuild wrote no bundle for ${entry}`);
  return {
    inputs: Object.keys(output.inputs).map((i) => relative(PACKAGE_ROOT, resolve(i))).sort(),
    imports: [...new Set(output.imports.map((i) => i.path))].sort(),
  };
}

const records: Record<string, BundleRecord> = {};
for (const entry of BUNDLED) records[entry] = await bundle(entry);
writeFileSync(join(DIST, 'bundles.json'), `${JSON.stringify(records, null, 2)}\n`);
