// Tests of the shared mechanism (src/targets/launcher.ts) with fake launchers whose command is `sh -c`: what a
// target's run prints or writes is scripted, so the mechanism's handling of truncated, file-borne and interrupted
// results is checked without any sandbox or VM.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyResults } from './helpers.js';
import { describe, expect, it } from 'vitest';
import type { Results } from '../src/results.js';
import { loadCatalog } from '../src/spec/lint.js';
import { type Launch, launch, type Launcher, LaunchError, labelled, processesMentioning, readOutputFile, startLaunch } from '../src/targets/launcher.js';
import { type InnerRequest, RESULTS_BEGIN, RESULTS_END } from '../src/targets/protocol.js';
import { buildIdentity, cacheDir } from '../src/spec/catalog-cache.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SPECS = join(ROOT, 'specs');
const catalog = loadCatalog(SPECS);

const RESULTS: Results = emptyResults();

/** A launcher whose "inner run" is a shell script; `script` gets the state directory and the output file. */
function fake(script: (stateDir: string, output: string) => string, extra: Partial<Launcher> & { useOutput?: boolean } = {}): Launcher {
  return {
    target: 'fake',
    where: 'in the fake',
    marginMs: 30_000,
    problem: () => null,
    prepare({ stateDir }): Launch {
      const output = join(stateDir, 'out.txt');
      return {
        // The state directory on the command line, as every launcher's command carries it (clean-up finds it).
        command: 'sh',
        args: ['-c', script(stateDir, output), 'fake-inner', stateDir],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        startedWith: 'started by a test',
        facts: { kind: 'fake' },
        ...(extra.useOutput === true ? { output } : {}),
      };
    },
    adopt: (r, how) => labelled(r, { target: 'fake' }, how, `${r.target.id}-fake`),
    ...extra,
  };
}

const options = { catalog, specs: SPECS, jobs: 1, filter: 'mlock.zero-length', onMessage: () => {} };
const json = JSON.stringify(RESULTS);

describe('the shared launch mechanism (launcher.ts), with scripted fake runs', () => {
  it('the request names the launching build, for the run elsewhere to key the catalog cache with (catalog-cache.ts adoptBuild)', async () => {
    let request: InnerRequest | undefined;
    const base = fake(() => `printf '%s\n%s\n%s\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}'`);
    await launch({ ...base, prepare: (p) => ((request = p.request), base.prepare(p)) }, options);
    // under the tests this build is the TypeScript sources, so a compiled inner run would hash its own code
    expect(request?.build).toEqual(buildIdentity());
    expect(request?.build?.root).toBe(join(ROOT, 'src'));
  });

  it('the request names the launching run\'s catalog cache (this run\'s own by default), and none with cache: null', async () => {
    const requestWith = async (cache?: string | null): Promise<InnerRequest | undefined> => {
      let request: InnerRequest | undefined;
      const base = fake(() => `printf '%s\n%s\n%s\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}'`);
      await launch({ ...base, prepare: (p) => ((request = p.request), base.prepare(p)) }, { ...options, ...(cache !== undefined ? { cache } : {}) });
      return request;
    };
    expect((await requestWith())?.cache).toBe(cacheDir());
    expect((await requestWith('/somewhere/semconf'))?.cache).toBe('/somewhere/semconf');
    expect(await requestWith(null)).not.toHaveProperty('cache');
  });

  it('results are validated as their end marker arrives, while the command goes on (as a sandbox tears down)', async () => {
    // the command waits (up to 10 s) for the launcher to adopt its results, and says whether it saw that happen
    const base = fake((dir) => `printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}'; i=0; while [ ! -e '${dir}/adopted' ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e '${dir}/adopted' ] && echo 'adopted before exit' >&2; exit 0`);
    let stateDir = '';
    const said: string[] = [];
    const run = await launch(
      {
        ...base,
        prepare: (p) => ((stateDir = p.stateDir), base.prepare(p)),
        adopt: (r, how) => (writeFileSync(join(stateDir, 'adopted'), ''), base.adopt(r, how)),
      },
      { ...options, onMessage: (m: string) => said.push(m) },
    );
    expect(said.join('')).toContain('adopted before exit');
    expect(run.results.target.id).toBe(`${RESULTS.target.id}-fake`);
  });

  it('results printed again after the first end marker are the ones adopted (the last between markers), not the first', async () => {
    const other = JSON.stringify({ ...RESULTS, target: { ...RESULTS.target, id: 'printed-second' } });
    const run = await launch(
      fake(() => `printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}'; sleep 0.2; printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${other}' '${RESULTS_END}'`),
      options,
    );
    expect(run.results.target.id).toBe('printed-second-fake');
  });

  it('results refused by validation are a clear error, early or not', async () => {
    const bad = JSON.stringify({ ...RESULTS, cases: 'none' });
    const err = await launch(fake(() => `printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${bad}' '${RESULTS_END}'; sleep 0.2`), options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).message).toMatch(/^the results from in the fake were refused: not valid results: at cases: /);
  });

  it('results cut off after the begin marker are a clear error, with what the command did', async () => {
    const half = json.slice(0, Math.floor(json.length / 2));
    const err = await launch(fake(() => `printf '%s\\n%s' '${RESULTS_BEGIN}' '${half}'`), options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).message).toBe(`the results from in the fake came back truncated after ${half.length} bytes (sh exited with code 0)`);
    const { cleanup } = err as LaunchError;
    expect(cleanup).toMatchObject({ leftoverProcesses: [], leftoverState: [] });
    expect(existsSync(cleanup.stateDir)).toBe(false);
  });

  it('no results at all name the exit and the last messages', async () => {
    const err = await launch(fake(() => 'echo booting >&2; echo kernel panic >&2; exit 3'), options).catch((e: unknown) => e);
    expect((err as LaunchError).message).toBe('the run in the fake reported no results (sh exited with code 3); its last messages: booting | kernel panic');
  });

  it('with Launch.output, results are read from that file, and the command\'s stdout is messages', async () => {
    const said: string[] = [];
    const run = await launch(
      fake((_dir, out) => `echo 'console: hello'; printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}' > '${out}'`, { useOutput: true }),
      { ...options, onMessage: (t) => said.push(t) },
    );
    expect(run.results.target.id).toBe('linux-x86_64-glibc-fake');
    expect(run.results.target.launch).toEqual({ target: 'fake', facts: { kind: 'fake' } });
    expect(said.join('')).toBe('console: hello\n');
    expect(run.cleanup).toMatchObject({ leftoverProcesses: [], leftoverState: [] });
  });

  it('a truncated output file is a clear error too, and the output file is cleaned up with the state directory', async () => {
    const err = await launch(fake((_dir, out) => `printf '%s\\n{"schema":' '${RESULTS_BEGIN}' > '${out}'`, { useOutput: true }), options).catch((e: unknown) => e);
    expect((err as LaunchError).message).toBe('the results from in the fake came back truncated after 10 bytes (sh exited with code 0)');
    expect(existsSync((err as LaunchError).cleanup.stateDir)).toBe(false);
  });

  it('an output file never written is "no results"', async () => {
    const err = await launch(fake(() => 'true', { useOutput: true }), options).catch((e: unknown) => e);
    expect((err as LaunchError).message).toBe('the run in the fake reported no results (sh exited with code 0)');
  });

  it('an interrupt goes through the launcher\'s hook, which is given what prepare said', async () => {
    const stop = new AbortController();
    let hooked: Launch | undefined;
    const launcher = fake((dir) => `echo started >&2; while [ ! -e '${dir}/stop' ]; do sleep 0.05; done; printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}'`, {
      interrupt(_child, how) {
        hooked = how;
        writeFileSync(join(how.args[3] ?? '/nonexistent', 'stop'), '');
      },
      cleanup: (dir) => {
        const stopFile = join(dir, 'stop');
        if (existsSync(stopFile)) writeFileSync(stopFile, ''); // expected: not reported
        return [];
      },
    });
    const run = await launch(launcher, { ...options, signal: stop.signal, onMessage: () => stop.abort() });
    expect(hooked?.facts).toEqual({ kind: 'fake' });
    expect(run.stopped).toBe('interrupted');
    expect(run.cleanup.leftoverState).toEqual(['stop']);
    expect(processesMentioning(run.cleanup.stateDir)).toEqual([]);
  });

  it('a process left behind that mentions the state directory is killed and reported', async () => {
    // setsid: out of the command's process group, so only the search by state directory can find it. The command
    // waits until the detached shell runs (setsid has then happened): otherwise the group kill at clean-up could
    // still reach it, and nothing would be left behind to find.
    const run = await launch(
      fake((dir) => `setsid sh -c 'touch "$0/detached"; sleep 600; :' '${dir}' </dev/null >/dev/null 2>&1 & while [ ! -e '${dir}/detached' ]; do sleep 0.01; done; printf '%s\\n%s\\n%s\\n' '${RESULTS_BEGIN}' '${json}' '${RESULTS_END}'`),
      options,
    );
    expect(run.cleanup.leftoverProcesses).toHaveLength(1);
    expect(processesMentioning(run.cleanup.stateDir)).toEqual([]);
  });

  it('a launch started before the specs load and cancelled (bad usage found after) leaves no process and no state', async () => {
    const started = await startLaunch(
      fake((dir) => `touch '${dir}/running'; sleep 600`),
      { specs: SPECS, jobs: 1, onMessage: () => {} },
    );
    const t = performance.now();
    await started.cancel();
    const run = await started.result.catch((e: unknown) => e);
    expect(run).toBeInstanceOf(LaunchError);
    const { cleanup } = run as LaunchError;
    expect(performance.now() - t).toBeLessThan(10_000); // killed, not waited out (the script sleeps 600 s)
    expect(processesMentioning(cleanup.stateDir)).toEqual([]);
    expect(existsSync(cleanup.stateDir)).toBe(false);
  });

  it('the time limit given once the plan is known counts from the launch, and stops a run that exceeds it', async () => {
    const started = await startLaunch(fake(() => 'sleep 600'), { specs: SPECS, jobs: 1, onMessage: () => {} });
    // before limit(), the launcher's margin (30 s here) holds; this limit replaces it
    started.limit(300);
    const err = await started.result.catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('did not finish within 300 ms');
    // once the run has ended, cancel() has nothing left to stop
    await started.cancel();
  });

  it('readOutputFile reads a missing file as empty', () => {
    expect(readOutputFile('/nonexistent/semconf-output')).toBe('');
  });
});
