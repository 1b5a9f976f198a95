// One input file of `semconf merge`, read and validated: what the merge decides on (the facts) of each target it
// holds, and each target's results as JSON, ready to be copied into the matrix. The parsed file is dropped on return,
// so reading many files one after another holds one at a time. Runs in a merge worker (src/merge-worker.ts).
import { readReportInput } from './matrix.js';
import { factsOf, type MergeFacts } from './merge.js';

export interface ReadEntry {
  /** how the target is named in messages and in the matrix: the path as given, `file#target` inside a matrix */
  source: string;
  facts: MergeFacts;
  /** the validated results, as compact JSON */
  json: string;
}

/** The targets of `file` (given as `file`, so messages name it so): one for a results file, each of a matrix's
 * targets for a matrix merged again. A bad file throws a ResultsFileError naming it. */
export function readEntries(file: string): ReadEntry[] {
  const input = readReportInput(file);
  if (input.kind === 'results') return [{ source: file, facts: factsOf(input.results), json: JSON.stringify(input.results) }];
  return input.matrix.targets.map((t) => ({ source: `${file}#${t.id}`, facts: factsOf(t.results), json: JSON.stringify(t.results) }));
}
