// Lint rules of the memory a case describes, beyond what one mapping's schema can say: adjacency (`follows`),
// deferred mappings and the mmap steps that place them, and the name and length arguments of the calls that act on
// a mapping as a whole (mmap, ftruncate). The worker checks the same names again before each call (confine.ts).
import { lengthProblem, nameArgumentProblem, namedMappingsOf } from '../../worker/confine.js';
import { evaluate, parseCall, type ParsedCall } from '../call.js';
import { callsOf } from '../case-calls.js';
import { allCases, type Catalog } from '../catalog.js';
import type { Diagnostic } from '../diagnostics.js';
import { unknownName } from '../did-you-mean.js';
import { isCallable } from '../functions.js';
import { LINT_PAGE_SIZE, LOCK_BUDGET_BYTES } from '../memory.js';

const parsed = (text: string): ParsedCall | undefined => {
  try {
    return parseCall(text);
  } catch {
    return undefined; // callsParse says so
  }
};

/** `follows` names another mapping of the case, placed at the same time as it; no cycle; at most one follower. */
export const mappingsFollowMappings = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) => {
    const memory = ref.case.memory ?? {};
    const at = (name: string, message: string): Diagnostic => ref.spec.source.at(['cases', ref.index, 'memory', name, 'follows'], message);
    const followers = new Map<string, string>();
    return Object.entries(memory).flatMap(([name, m]): Diagnostic[] => {
      const target = m.follows;
      if (target === undefined) return [];
      const other = Object.hasOwn(memory, target) ? memory[target] : undefined;
      if (other === undefined || target === name) {
        return [at(name, target === name ? `"${name}" cannot follow itself` : unknownName('mapping', target, Object.keys(memory).filter((n) => n !== name), ' (the mappings of this case, under memory:)'))];
      }
      const first = followers.get(target);
      if (first !== undefined) return [at(name, `"${target}" is already followed by "${first}"; expected at most one mapping directly after another`)];
      followers.set(target, name);
      if (m.deferred === true || m.after_call === true || other.deferred === true || other.after_call === true) {
        return [at(name, 'adjacent mappings are placed together at the start: expected neither of them `deferred` or `after_call`')];
      }
      // a cycle: following `follows` from here comes back to this mapping; said once, at its first-declared member
      const order = Object.keys(memory);
      const seen = [name];
      for (let next: string | undefined = target; next !== undefined; next = memory[next]?.follows) {
        if (next === name && seen.every((n) => order.indexOf(n) >= order.indexOf(name))) {
          return [at(name, `"${name}" follows a mapping that follows it (${seen.join(' -> ')} -> ${name}); expected a chain with a first mapping`)];
        }
        if (seen.includes(next)) return [];
        seen.push(next);
      }
      return [];
    });
  });

/** A `mapping` argument names a deferred mapping, a `file` argument a file-backed one (bare names only). */
export const nameArgumentsName = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) => {
    const named = namedMappingsOf(ref.case.memory ?? {});
    return callsOf(ref).flatMap(({ text, path }) => {
      const call = parsed(text);
      if (call === undefined || !isCallable(call.fn)) return [];
      const problem = nameArgumentProblem(call.fn, call.args, named);
      return problem === null ? [] : [ref.spec.source.at(path, problem)];
    });
  });

/** Each deferred mapping is placed by at most one mmap step, and no call names it before that step has run. */
export const deferredMappingsMappedOnce = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) => {
    const deferred = new Set(Object.entries(ref.case.memory ?? {}).flatMap(([n, m]) => (m.deferred === true ? [n] : [])));
    const mapped = new Set<string>();
    return callsOf(ref).flatMap(({ text, path }): Diagnostic[] => {
      const call = parsed(text);
      if (call === undefined) return [];
      if (call.fn === 'mmap') {
        const term = call.args[0]?.terms[0];
        const name = call.args[0]?.terms.length === 1 && term?.kind === 'name' ? term.name : undefined;
        if (name === undefined || !deferred.has(name)) return []; // nameArgumentsName says so
        if (mapped.has(name)) return [ref.spec.source.at(path, `"${name}" is mapped by an earlier step already; expected one mmap step per deferred mapping`)];
        mapped.add(name);
        return [];
      }
      const early = call.args.flatMap((a) => a.terms.flatMap((t) => (t.kind === 'name' && deferred.has(t.name) && !mapped.has(t.name) ? [t.name] : [])));
      return early.length === 0 ? [] : [ref.spec.source.at(path, `"${early[0]}" is deferred and not mapped yet here; expected a step mmap(${early[0]}) before this call`)];
    });
  });

const LINT_ENV_CONSTANTS: Readonly<Record<string, bigint>> = { SIZE_MAX: (1n << 64n) - 1n, UINTPTR_MAX: (1n << 64n) - 1n, NULL: 0n };

/** A new file length (ftruncate's) is within the case's lock budget, at 4 KiB pages. */
export const filesResized = (catalog: Catalog): Diagnostic[] =>
  allCases(catalog).flatMap((ref) => {
    const env = {
      wordBits: 64 as const,
      pageSize: BigInt(LINT_PAGE_SIZE),
      // names stand for nothing here: a `file` argument is checked as a name, a length must be a number
      mappings: Object.fromEntries(Object.keys(ref.case.memory ?? {}).map((n) => [n, 0n])),
      constants: LINT_ENV_CONSTANTS,
    };
    return callsOf(ref).flatMap(({ text, path }) => {
      const call = parsed(text);
      if (call === undefined || call.fn !== 'ftruncate' || !isCallable(call.fn)) return [];
      let args: bigint[];
      try {
        args = call.args.map((a) => evaluate(a, env));
      } catch {
        return []; // an unknown name: callNamesResolve says so
      }
      const problem = lengthProblem(call.fn, args, LOCK_BUDGET_BYTES);
      return problem === null ? [] : [ref.spec.source.at(path, `${problem} (with ${LINT_PAGE_SIZE}-byte pages)`)];
    });
  });
