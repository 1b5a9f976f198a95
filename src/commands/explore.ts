// semconf explore: generated call sequences run on several targets; differences shrunk into ready-to-review cases.
import { join } from 'node:path';
import { explore } from '../explore/explore.js';
import { writeExploredTree } from '../explore/emit.js';
import { summaryMarkdown, summaryTerminal } from '../explore/summary.js';
import { defaultResultsDir } from '../results-home.js';
import { writeFileAtomic } from '../atomic-file.js';
import { loadCatalog } from '../spec/lint.js';
import { isTarget, runOnTarget, TARGETS, targetProblem } from '../target.js';
import { type Command, DEFAULT_SPECS, EXIT, str, UsageError } from './command.js';

/** "60s", "2m", "500ms" or a number of seconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`--time ${text}: expected a duration such as 60s, 2m or 500ms`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--${name} ${text}: expected a whole number of at least 1`);
  return Number(text);
}

export const exploreCommand: Command = {
  summary: 'generate call sequences, run them on several targets, shrink every difference into a ready-to-review case',
  usage: `semconf explore --targets native,gvisor[,vm,ia32] [--seed S] [--runs N | --time 60s] [--out DIR]

  --targets LIST    two or more of ${TARGETS.join(', ')}, comma-separated
  --seed S          the seed (default 1): the same seed and --runs reproduce a run exactly
  --runs N          stop generating after N sequences
  --time D          stop generating after D (60s, 2m; default 60s when --runs is not given); shrinking and the
                    confirming rerun come after
  --batch N         sequences per batch, run at once on each target (default 40)
  --max-shrunk N    most distinct differences shrunk (default 12)
  --out DIR         where the cases go: a copy of the spec tree plus explore-<function>.yaml (default
                    $XDG_STATE_HOME/semconf/explore/seed-S); also summary.md
  --specs DIR       spec tree whose profiles the cases are judged against (default: the shipped specs/)`,
  options: {
    targets: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    time: { type: 'string' },
    batch: { type: 'string' },
    'max-shrunk': { type: 'string' },
    out: { type: 'string' },
    specs: { type: 'string' },
  },
  async run(values) {
    const targets = (str(values.targets) ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (targets.length < 2) throw new UsageError('--targets: expected two or more targets, e.g. --targets native,gvisor');
    for (const t of targets) if (!isTarget(t)) throw new UsageError(`--targets: unknown target "${t}"; expected ${TARGETS.join(', ')}`);
    if (new Set(targets).size !== targets.length) throw new UsageError('--targets: each target once');
    for (const t of targets) {
      const why = await targetProblem(t);
      if (why !== null) throw new UsageError(`--targets ${t}: ${why}`);
    }
    const seedText = str(values.seed) ?? '1';
    if (!/^\d+$/.test(seedText)) throw new UsageError(`--seed ${seedText}: expected a whole number`);
    const seed = Number(seedText);
    if (values.runs !== undefined && values.time !== undefined) throw new UsageError('--runs and --time: give one of them');
    const runs = str(values.runs) === undefined ? undefined : positiveInt('runs', str(values.runs), 1);
    const timeMs = runs === undefined ? durationMs(str(values.time) ?? '60s') : undefined;
    const specs = str(values.specs) ?? DEFAULT_SPECS;
    const catalog = loadCatalog(specs);
    const profiles = catalog.profiles.map((p) => p.value.id);
    const out = str(values.out) ?? join(defaultResultsDir(), '..', 'explore', `seed-${seed}`);
    const report = await explore({
      targets,
      seed,
      ...(runs !== undefined ? { runs } : {}),
      ...(timeMs !== undefined ? { timeMs } : {}),
      batchSize: positiveInt('batch', str(values.batch), 40),
      specs,
      profiles,
      run: (target, c, dir) => runOnTarget(target, c, dir, { jobs: 2, profiles: ['linux'] }),
      shrink: { width: 24, maxSteps: 40 },
      maxShrunk: positiveInt('max-shrunk', str(values['max-shrunk']), 12),
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    const written = writeExploredTree(out, specs, report.findings, targets, profiles);
    writeFileAtomic(join(out, 'summary.md'), summaryMarkdown(report));
    process.stdout.write(summaryTerminal(report));
    process.stderr.write(`semconf: ${report.findings.length} case(s) in ${written.join(', ') || '(none)'}; summary in ${join(out, 'summary.md')}\n`);
    return EXIT.ok;
  },
};
