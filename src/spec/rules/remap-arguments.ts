// Lint rule: an mremap the worker can follow. Its address is one of the case's mappings by name alone (the worker
// follows a moved or resized mapping from its first page, so the name can stand for where it is afterwards), and
// its flags are `0` or `MREMAP_MAYMOVE` as written: MREMAP_FIXED would move the mapping over an address the spec
// names, unmapping whatever is there, and MREMAP_DONTUNMAP leaves a copy the case does not track. The worker
// checks the same on the real values before the call (src/worker/confine.ts remapProblem); this says it at the
// line that wrote it.
import { parseCall, type Arg } from '../call.js';
import { allCases, type Catalog } from '../catalog.js';
import type { Diagnostic } from '../diagnostics.js';

const single = (arg: Arg | undefined): string | null => {
  const term = arg?.terms.length === 1 ? arg.terms[0] : undefined;
  if (term === undefined) return null;
  return term.kind === 'name' ? term.name : term.pages ? null : String(term.value);
};

/** Why this mremap call text is not one the worker follows, or null (also for other functions and bad syntax). */
export function remapArgumentsProblem(text: string, mappings: readonly string[]): string | null {
  let call;
  try {
    call = parseCall(text);
  } catch {
    return null; // callsParse says so
  }
  if (call.fn !== 'mremap' || call.args.length !== 4) return null;
  const addr = single(call.args[0]);
  if (addr === null || !mappings.includes(addr)) {
    return `mremap's address ${JSON.stringify(call.args[0]?.text ?? '')} is not a mapping of this case by itself; expected one of ${mappings.join(', ') || '(none)'}, the mapping it resizes or moves from its first page`;
  }
  const flags = single(call.args[3]);
  if (flags !== '0' && flags !== 'MREMAP_MAYMOVE') {
    return `mremap's flags ${JSON.stringify(call.args[3]?.text ?? '')} are refused: expected 0 or MREMAP_MAYMOVE (MREMAP_FIXED would replace memory at an address of the spec's choosing, MREMAP_DONTUNMAP leaves an untracked copy)`;
  }
  return null;
}

export const remapsFollowable = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) => {
    const mappings = Object.keys(ref.case.memory ?? {});
    const base = ['cases', ref.index];
    const texts: [string, (string | number)[]][] = [
      ...(ref.case.before ?? []).map((step, i): [string, (string | number)[]] =>
        typeof step === 'string' ? [step, [...base, 'before', i]] : [step.call, [...base, 'before', i, 'call']],
      ),
      [ref.case.call, [...base, 'call']],
    ];
    return texts.flatMap(([text, path]) => {
      const problem = remapArgumentsProblem(text, mappings);
      return problem === null ? [] : [ref.spec.source.at(path, problem)];
    });
  });
