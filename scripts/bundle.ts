// The two entry points that start most often, each as one file: a worker (dist/src/worker/child.cjs: two or three
// per run, and one per fresh process) and the run inside a launched target (dist/src/targets/inner.js, which starts
// its own workers there). Node's ESM loader resolves, reads and compiles each module apart (a worker loads 33), and
// where a file costs most to reach that is most of a start: in gVisor every lookup crosses its gofer, in the VM a 9p
// share under an emulated CPU. Measured on this machine kind, in turns (paired runs, medians): a worker's start to its
// hello 139 -> 92 ms natively (5 each); the gVisor suite 2.87 -> 2.67 s (6 each).
//
// The worker is CommonJS: Node loads a CommonJS entry with synchronous reads, and an ES module entry through libuv's
// thread pool, whose thread has an 8 MiB stack of its own (libuv threadpool.c), which a whole-process lock pins and
// unpins in every such case. Without it a worker has 4 threads, not 5, and 108.5 MiB to lock, not 117.2; the
// whole-process cases took 403 ms in all against 449, the native suite 0.77 s against 0.83 s (10 runs each, in
// turns). The worker does all its file work synchronously (lean.ts), so nothing starts that pool later.
//
// `npm run build` runs this after tsc. The worker's bundle replaces the module tsc wrote (child.js goes, child.cjs is
// the entry pool.ts starts); the inner run's is written in place of inner.js (an ES module: it finds its package's
// files from import.meta.url), so every path that names it stays. Left out of the bundles, and loaded as before:
// koffi (it finds its native addon beside its own files), Node's built-ins, and the catalog's cold load (spec/lint.js,
// with yaml and zod), which only a cache miss imports. What each bundle was made of goes to dist/bundles.json, from
// which test/worker-imports.test.ts checks what each may contain.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PACKAGE_ROOT } from '../src/package-info.js';

const DIST = join(PACKAGE_ROOT, 'dist');

/** The entry points tsc wrote and the bundles made of them, relative to dist/. */
const BUNDLED = [
  { entry: 'src/worker/child.js', out: 'src/worker/child.cjs', format: 'cjs' },
  { entry: 'src/targets/inner.js', out: 'src/targets/inner.js', format: 'esm' },
] as const;

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

async function bundle({ entry, out, format }: (typeof BUNDLED)[number]): Promise<BundleRecord> {
  const file = join(DIST, entry);
  const outFile = join(DIST, out);
  if (!existsSync(file)) throw new Error(`no ${file}: the bundles are made of what tsc wrote (npm run build runs both)`);
  const result = await build({
    entryPoints: [file],
    outfile: outFile,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format,
    target: 'node18',
    external: ['koffi'],
    // the CommonJS packages bundled into an ES module (picomatch) call require(), which an ES module has not
    ...(format === 'esm' ? { banner: { js: "import { createRequire as __semconfRequire } from 'node:module';\nconst require = __semconfRequire(import.meta.url);" } } : {}),
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [keepApart(outFile)],
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  if (output === undefined) throw new Error(`esbuild wrote no bundle for ${entry}`);
  // one entry for each process: the module tsc wrote goes where the bundle is a file of its own
  if (out !== entry) for (const f of [file, `${file}.map`]) rmSync(f, { force: true });
  return {
    inputs: Object.keys(output.inputs).map((i) => relative(PACKAGE_ROOT, resolve(i))).sort(),
    imports: [...new Set(output.imports.map((i) => i.path))].sort(),
  };
}

const records: Record<string, BundleRecord> = {};
for (const b of BUNDLED) records[b.out] = await bundle(b);
writeFileSync(join(DIST, 'bundles.json'), `${JSON.stringify(records, null, 2)}\n`);
