// The call texts of a case with their key paths, for the lint rules that look at calls.
import type { CaseRef } from './catalog.js';

/** Every call text of a case with its key path: the before list, then the call under test. */
export function callsOf(ref: CaseRef): { text: string; path: (string | number)[] }[] {
  const base = ['cases', ref.index];
  return [
    ...(ref.case.before ?? []).map((step, i) =>
      typeof step === 'string' ? { text: step, path: [...base, 'before', i] } : { text: step.call, path: [...base, 'before', i, 'call'] },
    ),
    { text: ref.case.call, path: [...base, 'call'] },
  ];
}
