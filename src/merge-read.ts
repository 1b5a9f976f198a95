// One input file of `semconf merge`, read and validated: what the merge decides on (the facts) of each target it
// holds, and each target's results as compact JSON, as a results file holds them (`semconf-results/2`), ready to be
// copied into the matrix. The parsed file is dropped on return, so reading many files one after another holds one at
// a time. Runs in a merge worker (src/merge-worker.ts).
import { JsonCompactor } from './compact-json.js';
import { readFileInputWithBytes } from './matrix.js';
import { factsOf, type MergeFacts } from './merge.js';

export interface ReadEntry {
  /** how the target is named in messages and in the matrix: the path as given, `file#target` inside a matrix */
  source: string;
  facts: MergeFacts;
  /** the validated results, as compact JSON: bytes valid until the next readEntries of this thread (they are in its
   * compactor's memory), or a string */
  json: string | Uint8Array;
}

/** This thread's: the file is read into its memory and compacted there (src/compact-json.ts). */
let compactor: JsonCompactor | undefined;

/** The targets of `file` (given as `file`, so messages name it so): one for a results file, each of a matrix's
 * targets for a matrix merged again. A bad file throws a ResultsFileError naming it. */
export function readEntries(file: string): ReadEntry[] {
  const c = (compactor ??= new JsonCompactor());
  const { input, bytes, lines } = readFileInputWithBytes(file, (size) => c.room(size));
  if (input.kind === 'results') {
    // A results file the fast path accepted as parsed is its own JSON: its bytes, compacted (its case lines copied),
    // cost a quarter of JSON.stringify (src/compact-json.ts). Zod's output (it may differ from the input), or a file
    // of version 1 encoded, is stringified.
    const json = (input.asIs ? c.compact(bytes, lines) : null) ?? JSON.stringify(input.results);
    return [{ source: file, facts: factsOf(input.results), json }];
  }
  // A matrix merged again: each target's results are a part of the file, stringified (not the case merge is fast for).
  return input.targets.map((t) => ({ source: `${file}#${t.id}`, facts: factsOf(t.results), json: JSON.stringify(t.results) }));
}
