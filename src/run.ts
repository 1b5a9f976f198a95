// A whole run: catalog → plan → workers → verdicts → results. The CLI prints and writes; this module decides.
import { differences } from './behaviour.js';
import { toolVersion } from './package-info.js';
import { plan, type PlanOptions } from './plan.js';
import { type CaseResult, type Results, RESULTS_SCHEMA, summarise } from './results.js';
import { profileById, type Catalog } from './spec/catalog.js';
import type { Clause } from './spec/schema.js';
import { judge } from './verdict.js';
import { runItems, type WorkerReport } from './worker/pool.js';

export interface RunOptions extends PlanOptions {
  /** judge only against these profiles (default: all) */
  profiles?: string[];
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (r: WorkerReport) => void;
  /** called once the plan is made, with the number of items about to run */
  onStart?: (items: number) => void;
}


export async function runCatalog(catalog: Catalog, options: RunOptions = {}): Promise<Results> {
  const startedAt = new Date().toISOString();
  const profiles = [...profileById(catalog).values()].filter((p) => !options.profiles || options.profiles.includes(p.id));
  const clauseMaps = new Map(profiles.map((p) => [p.id, new Map<string, Clause>(p.clauses.map((c) => [c.id, c]))]));
  const items = plan(catalog, options);
  options.onStart?.(items.length);
  const pool = await runItems(items, {
    jobs: options.jobs ?? 2,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutScale !== undefined ? { timeoutScale: options.timeoutScale } : {}),
    ...(options.onProgress ? { onReport: options.onProgress } : {}),
  });
  if (pool.facts === null || pool.probes === null) {
    const why = pool.reports[0]?.outcome.reason ?? 'no cases were planned';
    throw new Error(`no worker started, so nothing is known about this target: ${why}`);
  }
  const probes = pool.probes;
  const each = pool.reports.map((r): { key: string; result: CaseResult } => {
    const judged = { status: r.outcome.status, probes, ...pick(r.outcome) };
    const verdicts = Object.fromEntries(
      profiles.map((p) => [p.id, judge(judged, r.item.case.expect[p.id] ?? 'unspecified', clauseMaps.get(p.id) ?? new Map())]),
    );
    const result: CaseResult = {
      id: r.item.case.id,
      function: r.item.function,
      title: r.item.case.title,
      context: r.context,
      status: r.outcome.status,
      ...pick(r.outcome),
      durationMs: Math.round(r.outcome.durationMs * 100) / 100,
      ...(r.outcome.warnings !== undefined ? { warnings: r.outcome.warnings } : {}),
      verdicts,
    };
    return { key: `${r.item.case.id}@${r.item.contextName}`, result };
  });
  // One case result per case and context, in plan order, whatever order the repetitions completed in.
  const byCase = new Map<string, CaseResult[]>(items.map((i) => [`${i.case.id}@${i.contextName}`, []]));
  for (const { key, result } of each) byCase.get(key)?.push(result);
  const final = [...byCase.values()].flatMap((runs) => {
    const one = collapseRepetitions(runs);
    return one === null ? [] : [one];
  });
  const repeat = options.repeat ?? 1;
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
  return differed.length === 0 ? first : { ...first, flaky: { repetitions: runs.length, differed } };
}

function pick(o: WorkerReport['outcome']): { reason?: string; observed?: CaseResult['observed'] } {
  return { ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.observed !== undefined ? { observed: o.observed } : {}) };
}
