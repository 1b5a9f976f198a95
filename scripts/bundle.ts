// The entry points that start most often, bundled: a worker (dist/src/worker/child.cjs: two or three per run, and one
// per fresh process), the run inside a launched target (dist/src/targets/inner.js, which starts its own workers there),
// the command line itself (dist/src/cli.js) and the merge's worker thread (dist/src/merge-worker.js: three per merge,
// started together while the main thread loads the matrix's modules: 3 at once took 210-300 ms to their first answer as
// tsc's 40-odd modules, 80-155 ms as one bundle, 5 rounds each, measured). Node's ESM loader resolves, reads and
// compiles each module apart (a worker loaded 33, `semconf run` ~230: 128 of semconf's and 95 of zod's), and where a
// file costs most to reach that is most of a start: in gVisor every lookup crosses its gofer, in the VM a 9p share
// under an emulated CPU. Measured on this machine kind, in turns (paired runs, medians): a worker's start to its hello
// 139 -> 92 ms natively (5 each); the gVisor suite 2.87 -> 2.67 s (6 each); the native suite, once the command line was
// bundled too, 1.53 -> 1.43 s and its CPU 2.67 -> 2.52 s (12 each: the parent's module loading took a core from the
// workers while they started).
//
// The worker is CommonJS: Node loads a CommonJS entry with synchronous reads, and an ES module entry through libuv's
// thread pool, whose thread has an 8 MiB stack of its own (libuv threadpool.c), which a whole-process lock pins and
// unpins in every such case. Without it a worker has 4 threads, not 5, and 108.5 MiB to lock, not 117.2; the native
// suite took 0.86 s against 0.93 s, its CPU 1.52 s against 1.65 s (10 runs each, in turns). The worker does all its
// file work synchronously (lean.ts), so nothing starts that pool later.
//
// The command line is split (esbuild's code splitting): its entry holds what every command needs to parse its
// arguments (so `semconf --help` loads no command), and each command, and what commands share, is a chunk of
// dist/src/chunks/, imported when a command runs, as cli.ts imports each command module. The chunks lie one directory
// below dist/src, as every module of dist/src/<dir>/ does, so that what a module finds from its own location (the
// build root, catalog-cache.ts; the package root) is the same in a chunk.
//
// `npm run build` runs this after tsc. The worker's bundle replaces the module tsc wrote (child.js goes, child.cjs is
// the entry pool.ts starts); the inner run's, the command line's and the merge worker's are written in place of
// inner.js, cli.js and merge-worker.js, so every path that names them stays. Left out of the bundles, and loaded as
// before: koffi (it finds its native addon beside its own files), Node's built-ins and, from the inner run, the
// catalog's cold load (spec/lint.js, with yaml and zod), which only a cache miss imports (the command line has it as a
// chunk of its own). What each bundle was made of goes to dist/bundles.json, from which test/worker-imports.test.ts
// checks what each may contain.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { PACKAGE_ROOT } from '../src/package-info.js';

const DIST = join(PACKAGE_ROOT, 'dist');

/** The entry points tsc wrote and the bundles made of them, relative to dist/. */
const BUNDLED: readonly Bundled[] = [
  { entry: 'src/worker/child.js', out: 'src/worker/child.cjs', format: 'cjs' },
  { entry: 'src/targets/inner.js', out: 'src/targets/inner.js', format: 'esm' },
  { entry: 'src/cli.js', out: 'src/cli.js', format: 'esm', chunks: 'src/chunks' },
  { entry: 'src/merge-worker.js', out: 'src/merge-worker.js', format: 'esm' },
];

interface Bundled {
  entry: string;
  out: string;
  format: 'cjs' | 'esm';
  /** split: what the entry imports dynamically, and what those imports share, are files of this directory */
  chunks?: string;
}

/** Modules of dist/ that stay files of their own, imported from a bundle of one file by their relative path. */
const UNBUNDLED = ['src/spec/lint.js'];

/** What dist/bundles.json says of each bundle: the files it holds (relative to the package root), and what it imports
 * at run time (packages, built-ins, the modules left out). */
interface BundleRecord {
  inputs: string[];
  imports: string[];
  /** a split bundle: the files its entry holds; what every start loads (the files held by the entry and by the chunks
   * it imports statically, transitively); and each chunk with the files it holds (what a test that sees which files
   * Node loads needs to know which modules those were) */
  entryInputs?: string[];
  startInputs?: string[];
  chunks?: Record<string, string[]>;
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

/** The ES module banner: the CommonJS packages bundled into an ES module (picomatch) call require(), which an ES
 * module has not. */
const REQUIRE_BANNER = "import { createRequire as __semconfRequire } from 'node:module';\nconst require = __semconfRequire(import.meta.url);";

const fromRoot = (p: string): string => relative(PACKAGE_ROOT, resolve(p));

type Output = Metafile['outputs'][string];

/** The inputs of `entry` and of every output it reaches by static imports: what loading the entry loads. */
function startInputsOf(outputs: readonly [string, Output][], entry: Output): string[] {
  const byPath = new Map(outputs);
  const seen = new Set<Output>();
  const visit = (o: Output): void => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of o.imports) {
      const next = i.external !== true && i.kind === 'import-statement' ? byPath.get(i.path) : undefined;
      if (next !== undefined) visit(next);
    }
  };
  visit(entry);
  return [...new Set([...seen].flatMap(inputsOf))].sort();
}

const inputsOf = (o: Output): string[] => Object.keys(o.inputs).map(fromRoot).sort();

async function bundle({ entry, out, format, chunks }: Bundled): Promise<BundleRecord> {
  const file = join(DIST, entry);
  const outFile = join(DIST, out);
  if (!existsSync(file)) throw new Error(`no ${file}: the bundles are made of what tsc wrote (npm run build runs both)`);
  if (chunks !== undefined && out !== entry) throw new Error(`${entry}: a split bundle is written in place of its entry`);
  // no chunk of an earlier build stays behind (the build digest hashes every module of dist/src)
  if (chunks !== undefined) rmSync(join(DIST, chunks), { recursive: true, force: true });
  const where =
    chunks === undefined
      ? { outfile: outFile, plugins: [keepApart(outFile)] }
      : // the entry keeps its name and place (outbase: its directory); the chunks go below it
        { outdir: dirname(outFile), outbase: dirname(file), splitting: true, chunkNames: `${relative(dirname(out), chunks)}/[name]-[hash]` };
  const result = await build({
    entryPoints: [file],
    ...where,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format,
    target: 'node18',
    external: ['koffi'],
    ...(format === 'esm' ? { banner: { js: REQUIRE_BANNER } } : {}),
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => !path.endsWith('.map'));
  // (a chunk that a dynamic import loads has an entryPoint too: the entry is the output written where asked)
  const entryOutput = outputs.find(([path]) => resolve(path) === outFile)?.[1];
  if (entryOutput === undefined) throw new Error(`esbuild wrote no bundle for ${entry}`);
  // one entry for each process: the module tsc wrote goes where the bundle is a file of its own
  if (out !== entry) for (const f of [file, `${file}.map`]) rmSync(f, { force: true });
  const inputs = new Set(outputs.flatMap(([, o]) => inputsOf(o)));
  // what the bundle needs at run time beyond itself: the imports no output of its own answers
  const imports = new Set(outputs.flatMap(([, o]) => o.imports.filter((i) => i.external === true).map((i) => i.path)));
  return {
    inputs: [...inputs].sort(),
    imports: [...imports].sort(),
    ...(chunks !== undefined
      ? {
          entryInputs: inputsOf(entryOutput),
          startInputs: startInputsOf(outputs, entryOutput),
          chunks: Object.fromEntries(outputs.filter(([, o]) => o !== entryOutput).map(([path, o]): [string, string[]] => [fromRoot(path), inputsOf(o)]).sort(([a], [b]) => a.localeCompare(b))),
        }
      : {}),
  };
}

const records: Record<string, BundleRecord> = {};
for (const b of BUNDLED) records[b.out] = await bundle(b);
writeFileSync(join(DIST, 'bundles.json'), `${JSON.stringify(records, null, 2)}\n`);
