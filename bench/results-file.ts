// bench/results.json, `semconf-bench/1`: the figures of the last `npm run bench`, as measured, each with its ratio to
// the baseline taken in the same invocation (a bare `node -e 0`, timed in turns with the figure's runs). Written by bench/suite.ts, read by
// scripts/readme.ts, which copies it into README's speed table (test/readme.test.ts checks that table is current).
import { readFileSync, writeFileSync } from 'node:fs';
import * as z from 'zod';

export const BENCH_SCHEMA = 'semconf-bench/1';

export const Figure = z.strictObject({
  /** stable name of the figure (README rows are ordered as the bench measured them) */
  id: z.string().min(1),
  /** what was measured, in words: Markdown written by the bench (inline code spans), copied into README as is */
  what: z.string().min(1),
  /** the figure as measured, in words (e.g. "412.3 ms", "1.9 s and 212 MiB peak") */
  measured: z.string().min(1),
  /** measured time / the baseline's, when the figure is a time (a slope, such as the marginal case, may come out
   * below zero when the load of the machine varies more than the work) */
  ratio: z.number().optional(),
  /** the figure's own baseline: node start-up timed in turns with its runs (bench/startup.ts Beside); absent where the
   * ratio is against the bench's (BenchResults.baselineMs) */
  baselineMs: z.number().positive().optional(),
  /** the issue's target, in words; absent where the issue sets none */
  target: z.string().min(1).optional(),
  /** whether the target was met; absent where there is none, or it could not be measured */
  met: z.boolean().optional(),
  /** anything a reader needs to read the figure right (what it includes, why it cannot be measured here) */
  note: z.string().min(1).optional(),
});
export type Figure = z.infer<typeof Figure>;

export const BenchResults = z.strictObject({
  schema: z.literal(BENCH_SCHEMA),
  measuredAt: z.iso.datetime(),
  machine: z.strictObject({
    cores: z.int().positive(),
    cpu: z.string(),
    node: z.string(),
    /** how node's binary sat in the page cache when the bench began (bench/page-cache.ts): the whole-process cases'
     * cost depends on it */
    pageCache: z.string().optional(),
  }),
  /** median wall time of every bare `node -e 0` the bench timed: the baseline of a figure without one of its own */
  baselineMs: z.number().positive(),
  figures: z.array(Figure),
});
export type BenchResults = z.infer<typeof BenchResults>;

/** The bare `node -e 0` the issue's targets in seconds were set against: its whole native suite of 1.0 s is "within
 * about 10x of a bare node -e 0" (issue 13, whose targets are "each a ratio against a baseline taken in the same
 * invocation"). A target in seconds is judged as the ratio it is at that baseline. (It does not take the host's speed
 * out of the figures: node start-up and a figure that keeps both cores busy for seconds swing apart on this machine,
 * 54.7 to 88.4 ms against a native suite of 1.03 to 1.17 s in five benches of one day.) */
export const ISSUE_BASELINE_MS = 100;

const time = (ms: number): string => (ms < 100 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** A figure's target of `targetMs` on the issue's host: met when `ms` is within that ratio of this run's `baselineMs`.
 * Where the time itself, against `targetMs`, would say otherwise, `note` says so: both verdicts are shown. */
export function timeTarget(ms: number, targetMs: number, baselineMs: number): Required<Pick<Figure, 'target' | 'met'>> & Pick<Figure, 'note'> {
  const limit = targetMs / ISSUE_BASELINE_MS;
  const met = ms / baselineMs <= limit;
  const asTime = ms <= targetMs;
  return {
    target: `${time(targetMs)} at node start-up ${ISSUE_BASELINE_MS} ms: ${limit} ×`,
    met,
    ...(met !== asTime ? { note: `as a time: ${asTime ? 'met' : 'not met'}, ${ms >= 100 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`} against ${time(targetMs)}, on a host whose node start-up took ${baselineMs.toFixed(1)} ms` } : {}),
  };
}

export function readBenchResults(file: string): BenchResults {
  return BenchResults.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function writeBenchResults(file: string, results: BenchResults): void {
  writeFileSync(file, `${JSON.stringify(BenchResults.parse(results), null, 2)}\n`);
}
