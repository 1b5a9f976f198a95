// A whole run: catalog → plan → workers → verdicts → results. The CLI prints and writes; this module decides.
import { differences } from './behaviour.js';
import { toolVersion } from './package-info.js';
import { plan, type PlanOptions } from './plan.js';
import { selectionRecord } from './selection.js';
import type { CaseResult, Probes, Results } from './results.js';
import { RESULTS_SCHEMA, summarise } from './results-summary.js';
import { allCases, profileById, type Catalog } from './spec/catalog-model.js';
import type { Clause } from './spec/schema.js';
import { judge } from './verdict.js';
import { runItems, type StartedWorkers, type WorkerReport } from './worker/pool.js';

export interface RunOptions extends PlanOptions {
  /** judge only against these profiles (default: all) */
  profiles?: string[];
  jobs?: number;
  signal?: AbortSignal;
  /** each item as it completes, judged (run --progress) */
  onProgress?: (p: CaseProgress) => void;
  /** called once the plan is made, with the number of items about to run */
  onStart?: (items: number) => void;
  /** reused workers started before the catalog was loaded (native runs; the pool stops any it does not take) */
  started?: StartedWorkers;
}

/** One completed item of a run: what run --progress prints. */
export interface CaseProgress {
  /** the plan item's key: case id, context and (with --repeat) repetition */
  key: string;
  /** the item judged; null when no worker ever said what it can observe (every worker failed to start) */
  result: CaseResult | null;
  status: CaseResult['status'];
  durationMs: number;
}

export async function runCatalog(catalog: Catalog, options: RunOptions = {}): Promise<Results> {
  const startedAt = new Date().toISOString();
  const profiles = [...profileById(catalog).values()].filter((p) => !options.profiles || options.profiles.includes(p.id));
  const clauseMaps = new Map(profiles.map((p) => [p.id, new Map<string, Clause>(p.clauses.map((c) => [c.id, c]))]));
  const items = plan(catalog, options);
  options.onStart?.(items.length);
  const { onProgress } = options;
  // Each item is judged as it completes, while the workers still run (the parent idles then, and at the tail a core
  // does): judging all 209 at the end took ~40 ms after the last case. A report judged before the pool settled on its
  // probes (none can be: a report comes from a worker that said hello) is judged again below.
  const judgedEarly = new Map<string, { known: Probes; result: CaseResult }>();
  const pool = await runItems(items, {
    jobs: options.jobs ?? 2,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutScale !== undefined ? { timeoutScale: options.timeoutScale } : {}),
    ...(options.freshProcesses === true ? { isolation: 'fresh' as const } : {}),
    ...(options.started !== undefined ? { started: options.started } : {}),
    onReport: (r: WorkerReport, known: Probes | null) => {
      const result = known === null ? null : judgeReport(r, known);
      if (known !== null && result !== null) judgedEarly.set(r.item.key, { known, result });
      onProgress?.({ key: r.item.key, result, status: r.outcome.status, durationMs: r.outcome.durationMs });
    },
  });
  if (pool.facts === null || pool.probes === null) {
    const why = pool.reports[0]?.outcome.reason ?? 'no cases were planned';
    throw new Error(`no worker started, so nothing is known about this target: ${why}`);
  }
  const probes = pool.probes;
  function judgeReport(r: WorkerReport, known: Probes): CaseResult {
    const judged = { status: r.outcome.status, probes: known, ...pick(r.outcome) };
    const verdicts = Object.fromEntries(
      profiles.map((p) => [p.id, judge(judged, r.item.case.expect[p.id] ?? 'unspecified', clauseMaps.get(p.id) ?? new Map())]),
    );
    return {
      id: r.item.case.id,
      function: r.item.function,
      title: r.item.case.title,
      context: r.context,
      status: r.outcome.status,
      // the schema's order (src/results.ts CaseResult), so that writing the results takes the fast path
      ...(r.outcome.reason !== undefined ? { reason: r.outcome.reason } : {}),
      durationMs: Math.round(r.outcome.durationMs * 100) / 100,
      process: r.process,
      ...(r.outcome.observed !== undefined ? { observed: r.outcome.observed } : {}),
      ...(r.outcome.warnings !== undefined ? { warnings: r.outcome.warnings } : {}),
      verdicts,
    };
  }
  const judgedOnce = (r: WorkerReport): CaseResult => {
    const early = judgedEarly.get(r.item.key);
    return early !== undefined && early.known === probes ? early.result : judgeReport(r, probes);
  };
  const each = pool.reports.map((r) => ({ key: `${r.item.case.id}@${r.item.contextName}`, result: judgedOnce(r) }));
  // One case result per case and context, in plan order, whatever order the repetitions completed in.
  const byCase = new Map<string, CaseResult[]>(items.map((i) => [`${i.case.id}@${i.contextName}`, []]));
  for (const { key, result } of each) byCase.get(key)?.push(result);
  const final = [...byCase.values()].flatMap((runs) => {
    const one = collapseRepetitions(runs);
    return one === null ? [] : [one];
  });
  const repeat = options.repeat ?? 1;
  const selection = selectionRecord(options, allCases(catalog).length);
  return {
    schema: RESULTS_SCHEMA,
    tool: { name: 'semconf', version: toolVersion() },
    target: pool.facts,
    probes: pool.probes,
    specDigest: catalog.digest,
    profiles: profiles.map((p) => ({ id: p.id, name: p.name, version: p.version, kind: p.kind })),
    startedAt,
    finishedAt: new Date().toISOString(),
    complete: pool.complete,
    ...(repeat > 1 ? { repeat } : {}),
    ...(selection !== undefined ? { selection } : {}),
    cases: final,
    summary: summarise(final, profiles.map((p) => p.id)),
  };
}

/** The repetitions of one case as one case result: the first repetition's observation and verdicts, marked flaky
 * with what differed when its behaviour (src/behaviour.ts, the rule diff uses) was not the same in all of them.
 * Environment (durations, the worker's own locked total) differs every time and never makes a case flaky. null when
 * no repetition completed (an interrupted run). */
export function collapseRepetitions(runs: readonly CaseResult[]): CaseResult | null {
  const [first] = runs;
  if (first === undefined) return null;
  const differed = differences(runs);
  if (differed.length === 0) return first;
  // flaky before the verdicts, in the schema's order
  const { verdicts, ...rest } = first;
  return { ...rest, flaky: { repetitions: runs.length, differed }, verdicts };
}

function pick(o: WorkerReport['outcome']): { reason?: string; observed?: CaseResult['observed'] } {
  return { ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.observed !== undefined ? { observed: o.observed } : {}) };
}
