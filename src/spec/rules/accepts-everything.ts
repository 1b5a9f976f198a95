// Lint rule: an expectation that accepts every outcome is not a check. `one_of: [{returns: 0}, {fails: any}]` with
// no effect stated anywhere conforms whatever the call does, so its verdict could never be `diverges`; the document
// either promises something (say it) or is silent (say `unspecified` and why).
import { allCases, type Catalog } from '../catalog.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Expectation, Outcome } from '../schema.js';

const EFFECT_KEYS = ['locked', 'resident', 'not_resident', 'locked_total', 'child', 'exec', 'completes'] as const;

const statesEffect = (o: Outcome | Expectation): boolean => EFFECT_KEYS.some((k) => o[k] !== undefined && Object.keys(o[k] ?? {}).length > 0);

/** Whether `e` conforms to any outcome of the call: success and any failure, with no effect to tell them apart. */
export function acceptsEverything(e: Expectation): boolean {
  const alternatives: (Outcome | Expectation)[] = e.one_of ?? [e];
  if (statesEffect(e) || alternatives.some(statesEffect)) return false;
  const anySuccess = alternatives.some((o) => o.returns !== undefined);
  const anyFailure = alternatives.some((o) => o.fails === 'any');
  return anySuccess && anyFailure;
}

export const expectationsCheckSomething = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) =>
    Object.entries(ref.case.expect).flatMap(([profile, e]) => {
      if (typeof e === 'string' || !('returns' in e || 'fails' in e || 'one_of' in e)) return [];
      return acceptsEverything(e as Expectation)
        ? [
            ref.spec.source.at(
              ['cases', ref.index, 'expect'],
              'this expectation accepts every outcome (success, or failure with any errno, and no effect stated), so it cannot diverge; say what the document promises, or mark it unspecified with the reason',
              profile,
            ),
          ]
        : [];
    }),
  );
