// Runs inside the gVisor sandbox (started by gvisor.ts as `runsc ... do node gvisor-inner.js REQUEST`): the same
// runCatalog as a native run, so the parent and its workers are all gVisor processes. The results go to stdout
// between two marker lines (runsc do passes only stdio through, and its root file system is a throw-away overlay).
import { runCatalog } from '../run.js';
import { loadCatalog } from '../spec/lint.js';
import { RESULTS_BEGIN, RESULTS_END, type InnerRequest } from './gvisor-protocol.js';

async function main(): Promise<number> {
  const request = JSON.parse(process.argv[2] ?? '{}') as InnerRequest;
  const catalog = loadCatalog(request.specs);
  // runsc do forwards SIGINT/SIGTERM to this process: stop starting cases and report what completed.
  const interrupt = new AbortController();
  const stop = (): void => interrupt.abort();
  // (`on`, not `once`: a terminal's Ctrl-C reaches runsc twice, directly and forwarded by semconf.)
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const results = await runCatalog(catalog, {
    jobs: request.jobs,
    signal: interrupt.signal,
    onStart: (n) => process.stderr.write(`semconf (inside gVisor): running ${n} case(s)\n`),
    ...(request.profiles ? { profiles: request.profiles } : {}),
    ...(request.filter !== undefined ? { filter: request.filter } : {}),
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
    process.stderr.write(`semconf (inside gVisor): ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
