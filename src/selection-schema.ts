// The record of a run's selection in a results file (src/selection.ts says what it means), as schemas: apart from the
// selection's logic, which a run plans with, so that planning loads no zod.
import * as z from 'zod';
import { ShortText } from './spec/schema.js';

export const Shard = z.strictObject({ index: z.int().min(1), count: z.int().min(1) }).refine((s) => s.index <= s.count, 'a shard index is at most the shard count');
export type Shard = z.infer<typeof Shard>;

/** A run of part of the catalog, as given on the command line. Absent from a results file: the whole catalog, every
 * profile (files written before this field existed mean that too). */
export const Selection = z.strictObject({
  /** --filter: a case runs when its id matches one of these */
  filter: z.array(ShortText).min(1).optional(),
  /** --exclude: ... and none of these */
  exclude: z.array(ShortText).min(1).optional(),
  shard: Shard.optional(),
  /** --profile: judged against these profiles only */
  profiles: z.array(ShortText).min(1).optional(),
  /** how many cases the whole catalog would have run (per repetition) */
  catalogCases: z.int().min(0),
});
export type Selection = z.infer<typeof Selection>;
