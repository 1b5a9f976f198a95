// The ways a case ends before it is observed: shared by the worker modules that run a case (execute.ts, place.ts),
// and the words for a process that died while running one (pool.ts for a worker, forked.ts for a copy).
import type { CallRecord } from '../results.js';

/** What the call under test had done when the process running the case died, as a clause ("" when it had not
 * returned). */
export function afterCall(call: CallRecord | undefined): string {
  if (call === undefined) return '';
  return ` after the call under test ${call.text} ${call.ret === -1 ? `failed with ${call.errno ?? 'no errno'}` : `returned ${call.ret}`}`;
}

export class CaseError extends Error {
  constructor(
    readonly status: 'error' | 'unsupported' | 'skipped',
    message: string,
    /** the worker cannot be trusted to be at its baseline any more: the parent replaces it */
    readonly retire = false,
  ) {
    super(message);
  }
}
