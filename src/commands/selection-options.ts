// The options that choose cases (run and list: --filter, --exclude, --shard), read into a selection of the catalog.
// A selection that keeps no case is a usage error with a sentence, never an empty run.
import { nearest as nearestId } from '../suggest.js';
import { selectedCases } from '../plan.js';
import { parseShard, patternList, SelectionError, type SelectionOptions } from '../selection.js';
import { allCases, type CaseRef, type Catalog } from '../spec/catalog-model.js';
import { type OptionValues, str, UsageError } from './command.js';

import { strings } from './selection-flags.js';

export { SELECTION_OPTIONS, SELECTION_USAGE } from './selection-flags.js';

/** The selection the options ask for and the cases it keeps, or a UsageError naming what was wrong. */
export function selectionFrom(values: OptionValues, catalog: Catalog, hint: string): { options: SelectionOptions; cases: CaseRef[] } {
  const filter = strings(values.filter);
  const exclude = strings(values.exclude);
  const shardText = str(values.shard);
  let options: SelectionOptions;
  let cases: CaseRef[];
  try {
    options = {
      ...(filter !== undefined ? { filter } : {}),
      ...(exclude !== undefined ? { exclude } : {}),
      ...(shardText !== undefined ? { shard: parseShard(shardText) } : {}),
    };
    cases = selectedCases(catalog, options);
  } catch (e) {
    if (e instanceof SelectionError) throw new UsageError(e.message);
    throw e;
  }
  if (cases.length === 0) {
    const ids = allCases(catalog).map((c) => c.case.id);
    const given = [
      ...patternList(filter).map((p) => `--filter "${p}"`),
      ...patternList(exclude).map((p) => `--exclude "${p}"`),
      ...(shardText !== undefined ? [`--shard ${shardText}`] : []),
    ].join(' ');
    // A plain id that is not one, but close to one (a typo, not a different word): that id is what was meant.
    const plain = patternList(filter).find((p) => !/[*?[\]{}()!/]/.test(p) && !ids.includes(p));
    const nearest = plain !== undefined ? nearestId(plain, ids) : undefined;
    const near = nearest !== undefined ? `; did you mean ${nearest}?` : '';
    throw new UsageError(`${given || 'the selection'} selects no case (${ids.length} in the catalog${near})${hint}`);
  }
  return { options, cases };
}
