// Lint rule: a `touch(addr, len)` step writes only to pages of the case's own mappings that are writable at that
// step. The protection is followed from the layout through the steps (src/worker/page-access.ts): a plain step
// succeeds, a step declared to fail changes nothing, and the call under test's effect is unknown here (the worker
// checks those pages again with the real outcome before it writes). A touch lint refuses would have killed the
// worker with SIGSEGV, or written where the case has no memory. A touch declared to fail (or to return anything but
// 0) is refused too: it returns 0 or is refused, so such a sequence could never run.
import { PageAccess, type StepEnd } from '../../worker/page-access.js';
import { evaluate, parseCall, type ParsedCall } from '../call.js';
import { callsOf, lintRegions } from '../case-calls.js';
import { allCases, type Catalog } from '../catalog.js';
import type { Diagnostic } from '../diagnostics.js';
import { CONSTANT_NAMES, isStepBuiltin } from '../functions.js';
import { LINT_PAGE_SIZE } from '../memory.js';
import type { Mapping, PageKind, Step } from '../schema.js';

/** The protection bits every target semconf knows shares (Linux, the BSDs, macOS, illumos): PROT_READ 1, PROT_WRITE
 * 2, PROT_EXEC 4, PROT_NONE 0; the other constants as lint's confinement check takes them. */
const CONSTANTS: Readonly<Record<string, bigint>> = Object.fromEntries(
  CONSTANT_NAMES.map((n) => [n, n === 'SIZE_MAX' || n === 'UINTPTR_MAX' ? (1n << 64n) - 1n : n === 'NULL' || n === 'PROT_NONE' ? 0n : n === 'PROT_WRITE' ? 2n : n === 'PROT_EXEC' ? 4n : 1n]),
);

const layoutOf = (m: Mapping): PageKind[] => m.layout ?? Array.from({ length: m.pages ?? 0 }, () => m.prot ?? 'rw');

function parsed(text: string): ParsedCall | undefined {
  try {
    return parseCall(text);
  } catch {
    return undefined;
  }
}

/** How a step is declared to end: a plain call text succeeds, `fails:` fails, `returns: N` fails only as -1. */
function declaredEnd(step: Step | undefined): StepEnd {
  if (step === undefined || typeof step === 'string') return 'succeeded';
  if (step.fails !== undefined) return 'failed';
  return step.returns === -1 ? 'failed' : 'succeeded';
}

export const touchesWritablePages = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) => {
    const calls = callsOf(ref);
    if (!calls.some((c) => isStepBuiltin(parsed(c.text)?.fn ?? ''))) return [];
    const ps = BigInt(LINT_PAGE_SIZE);
    const memory = ref.case.memory ?? {};
    const regions = lintRegions(ref);
    const base = (name: string): bigint => regions.find((r) => r.name === name)?.base ?? ps;
    const mappingsOf = (afterCall: boolean) =>
      Object.entries(memory)
        .filter(([, m]) => (m.after_call ?? false) === afterCall)
        .map(([name, m]) => ({ name, base: base(name), layout: layoutOf(m) }));
    const access = new PageAccess(mappingsOf(false), ps, { read: 1n, write: 2n });
    const addresses: Record<string, bigint> = Object.fromEntries(mappingsOf(false).map((m) => [m.name, m.base]));
    const out: Diagnostic[] = [];
    const steps = [...(ref.case.before ?? []), ref.case.call, ...(ref.case.after ?? [])];
    calls.forEach(({ text, path, stage }, i) => {
      const call = parsed(text);
      if (call === undefined) return;
      if (stage === 'after' && calls[i - 1]?.stage === 'call') {
        for (const m of mappingsOf(true)) {
          access.add(m);
          addresses[m.name] = m.base;
        }
      }
      let args: bigint[];
      try {
        args = call.args.map((a) => evaluate(a, { wordBits: 64, pageSize: ps, mappings: addresses, constants: CONSTANTS }));
      } catch {
        return; // an unknown name: callNamesResolve says so
      }
      if (isStepBuiltin(call.fn)) {
        const step = steps[i];
        if (typeof step === 'object' && (step.fails !== undefined || step.returns !== 0)) {
          out.push(ref.spec.source.at(path.slice(0, -1), `${call.fn} always returns 0 (a refused one makes the case an error, not a failure): write it as a plain step, or declare \`returns: 0\``));
          return;
        }
        const problem = access.touchProblem(args[0] ?? 0n, args[1] ?? 0n, 64);
        if (problem !== null) out.push(ref.spec.source.at(path, `${problem} (with ${LINT_PAGE_SIZE}-byte pages)`));
        return;
      }
      access.apply(call.fn, args, stage === 'call' ? 'unknown' : declaredEnd(steps[i]));
    });
    return out;
  });
