// The run somewhere else: started by a launcher (launcher.ts) as `node inner.js REQUEST` inside a gVisor sandbox, a
// virtual machine or a chroot. The same runCatalog as a native run, so the parent and its workers all run there and
// everything they observe is that system's. The results go to stdout between two marker lines (protocol.ts).
//
// As natively (src/commands/run.ts), the reused workers are started first, and the specs are loaded while they start;
// the catalog comes from the launching run's cache (InnerRequest.cache), which its own load filled: gVisor and a VM
// see the host's files, the i386 root has the directory bound. Read only (a read-only CacheStore): the inner run
// writes no entry. Measured on this machine kind (5 runs each, in turns): the ia32 suite 1.77 -> 1.10 s, its CPU
// 2.96 -> 1.79 s, once its Node 18 no longer loaded the specs cold for want of a cache (its read-only root could
// never keep one).
import { StartedWorkers } from '../worker/pool.js';
import type { CaseProgress } from '../run.js';
import { type InnerRequest, RESULTS_BEGIN, RESULTS_END } from './protocol.js';

async function main(): Promise<number> {
  const request = JSON.parse(process.argv[2] ?? '{}') as InnerRequest;
  const started = new StartedWorkers(Math.min(request.jobs, 2), undefined, request.timeoutScale ?? 1);
  try {
    return await runInner(request, started);
  } finally {
    await started.stop();
  }
}

async function runInner(request: InnerRequest, started: StartedWorkers): Promise<number> {
  const [{ runCatalog }, { loadCatalogCached }, { adoptBuild, CacheStore }, { progressLine }] = await Promise.all([
    import('../run.js'),
    import('../spec/cached-catalog.js'),
    import('../spec/catalog-cache.js'),
    import('../progress.js'),
  ]);
  adoptBuild(request.build);
  const { catalog } = await loadCatalogCached(request.specs, request.cache === undefined ? undefined : new CacheStore(request.cache, true));
  // A launcher forwards SIGINT/SIGTERM here: stop starting cases and report what completed.
  const interrupt = new AbortController();
  const stop = (): void => interrupt.abort();
  // (`on`, not `once`: a terminal's Ctrl-C can arrive twice, directly and forwarded by the launcher.)
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let planned = 0;
  let done = 0;
  const results = await runCatalog(catalog, {
    jobs: request.jobs,
    started,
    signal: interrupt.signal,
    onStart: (n) => {
      planned = n;
      process.stderr.write(`semconf (${request.where}): running ${n} case(s)\n`);
    },
    ...(request.progress === true
      ? { onProgress: (p: CaseProgress) => process.stderr.write(`  ${progressLine(++done, planned, p)} (${request.where})\n`) }
      : {}),
    ...(request.profiles ? { profiles: request.profiles } : {}),
    ...(request.filter !== undefined ? { filter: request.filter } : {}),
    ...(request.exclude !== undefined ? { exclude: request.exclude } : {}),
    ...(request.shard !== undefined ? { shard: request.shard } : {}),
    ...(request.repeat !== undefined ? { repeat: request.repeat } : {}),
    ...(request.timeoutScale !== undefined ? { timeoutScale: request.timeoutScale } : {}),
  });
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(`\n${RESULTS_BEGIN}\n${JSON.stringify(results)}\n${RESULTS_END}\n`, (e) => (e ? reject(e) : resolve())),
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`semconf (inner run): ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
