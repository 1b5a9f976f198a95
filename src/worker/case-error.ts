// The ways a case ends before it is observed: shared by the worker modules that run a case (execute.ts, place.ts).

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
