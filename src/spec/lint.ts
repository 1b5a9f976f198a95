// Cross-file lint rules, one small rule per check (as test262's lint does). Each rule sees the whole catalog and
// returns positioned diagnostics; a rule never throws.
import { type AddressSpace, confinementProblem, describeConfinement, type Region } from '../worker/confine.js';
import { chainsOf } from '../worker/place.js';
import { CallSyntaxError, evaluate, namesIn, parseCall, type ParsedCall } from './call.js';
import { callsOf, lintRegions } from './case-calls.js';
import { allCases, profileFileId, readCatalog, type Catalog } from './catalog.js';
import { InputError, type Diagnostic } from './diagnostics.js';
import { didYouMean, unknownName } from './did-you-mean.js';
import { CALLABLES, CONSTANT_NAMES, isCallable, isConstantName, isStepBuiltin, STEP_BUILTINS } from './functions.js';
import { LINT_PAGE_SIZE, LOCK_BUDGET_BYTES, pagesOf } from './memory.js';
import { expectationsCheckSomething } from './rules/accepts-everything.js';
import { expectationsRestOnTheFunctionsRelease } from './rules/document-release.js';
import { deferredMappingsMappedOnce, filesResized, mappingsFollowMappings, nameArgumentsName } from './rules/memory-kinds.js';
import { touchesWritablePages } from './rules/touch-writable.js';
import { remapsFollowable } from './rules/remap-arguments.js';
import { type Expectation, type PageSet } from './schema.js';

export type Rule = (catalog: Catalog) => Diagnostic[];

function parsed(text: string): ParsedCall | undefined {
  try {
    return parseCall(text);
  } catch {
    return undefined;
  }
}

const caseIdsUnique: Rule = (catalog) => {
  const seen = new Map<string, string>();
  const out: Diagnostic[] = [];
  for (const ref of allCases(catalog)) {
    const base = ['cases', ref.index];
    const ids: [string, (string | number)[]][] = [
      [ref.case.id, [...base, 'id']],
      ...(ref.case.aliases ?? []).map((a, k): [string, (string | number)[]] => [a, [...base, 'aliases', k]]),
    ];
    for (const [id, path] of ids) {
      const here = ref.spec.source.at(path, '');
      const first = seen.get(id);
      if (first !== undefined) out.push({ ...here, message: `duplicate case id "${id}" (first used at ${first})` });
      else seen.set(id, `${here.file}:${here.line}:${here.col}`);
    }
  }
  return out;
};

const caseIdPrefixedByFunction: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) =>
    ref.case.id.startsWith(`${ref.spec.value.function}.`)
      ? []
      : [ref.spec.source.at(['cases', ref.index, 'id'], `expected the id to start with "${ref.spec.value.function}."`)],
  );

const callsParse: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) =>
    callsOf(ref).flatMap(({ text, path }) => {
      try {
        parseCall(text);
        return [];
      } catch (e) {
        const why = e instanceof CallSyntaxError ? `${e.message} at offset ${e.offset}` : String(e);
        return [ref.spec.source.at(path, `bad call expression ${JSON.stringify(text)}: ${why}`)];
      }
    }),
  );

const callsAllowlisted: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) =>
    callsOf(ref).flatMap(({ text, path, stage }) => {
      const call = parsed(text);
      if (!call) return [];
      if (isStepBuiltin(call.fn)) {
        if (stage === 'call') return [ref.spec.source.at(path, `${call.fn} is a step (in before: or after:), not a call under test; expected a call to ${ref.spec.value.function}`)];
        const arity = STEP_BUILTINS[call.fn].length;
        return call.args.length === arity ? [] : [ref.spec.source.at(path, `${call.fn} takes ${arity} argument(s) (address, length), got ${call.args.length}`)];
      }
      if (!isCallable(call.fn)) {
        const known = [...Object.keys(CALLABLES), ...(stage === 'call' ? [] : Object.keys(STEP_BUILTINS))];
        return [ref.spec.source.at(path, unknownName('function', call.fn, known))];
      }
      const arity = CALLABLES[call.fn].length;
      return call.args.length === arity
        ? []
        : [ref.spec.source.at(path, `${call.fn} takes ${arity} argument(s), got ${call.args.length}`)];
    }),
  );

const callMatchesFile: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) => {
    const call = parsed(ref.case.call);
    const fn = ref.spec.value.function;
    return call && isCallable(call.fn) && call.fn !== fn
      ? [ref.spec.source.at(['cases', ref.index, 'call'], `expected a call to ${fn} (the function of this file), got ${call.fn}`)]
      : [];
  });

const callNamesResolve: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) =>
    callsOf(ref).flatMap(({ text, path }) => {
      const call = parsed(text);
      if (!call) return [];
      const mappings = new Set(Object.keys(ref.case.memory ?? {}));
      return namesIn(call)
        .filter((n) => !mappings.has(n) && !isConstantName(n))
        .map((n) => ref.spec.source.at(path, `unknown name "${n}"${didYouMean(n, [...mappings, ...CONSTANT_NAMES])}; expected a mapping of this case (${[...mappings].join(', ') || 'none'}) or a constant (${CONSTANT_NAMES.join(', ')})`));
    }),
  );

const expectationsNameKnownProfiles: Rule = (catalog) => {
  const known = new Set(catalog.profiles.map((p) => p.value.id));
  return allCases(catalog).flatMap((ref) =>
    Object.keys(ref.case.expect)
      .filter((p) => !known.has(p))
      .map((p) => ref.spec.source.at(['cases', ref.index, 'expect'], unknownName('profile', p, [...known]), p)),
  );
};

const expectationsCoverEveryProfile: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) =>
    catalog.profiles
      .map((p) => p.value.id)
      .filter((p) => !Object.hasOwn(ref.case.expect, p))
      .map((p) => ref.spec.source.at(['cases', ref.index, 'expect'], `no expectation for profile "${p}" (write \`${p}: unspecified\` if its documents are silent)`)),
  );

function citedClauses(e: Expectation | { clause?: string | string[] }): string[] {
  return e.clause === undefined ? [] : Array.isArray(e.clause) ? e.clause : [e.clause];
}

const clausesExist: Rule = (catalog) => {
  const clauses = new Map(catalog.profiles.map((p) => [p.value.id, new Set(p.value.clauses.map((c) => c.id))]));
  return allCases(catalog).flatMap((ref) =>
    Object.entries(ref.case.expect).flatMap(([profile, e]) => {
      const known = clauses.get(profile);
      if (known === undefined || typeof e === 'string') return [];
      return citedClauses(e)
        .filter((id) => !known.has(id))
        .map((id) => ref.spec.source.at(['cases', ref.index, 'expect', profile, 'clause'], `unknown clause ${JSON.stringify(id)} in profile "${profile}"${didYouMean(id, [...known])}; expected one of ${[...known].join(', ')}`));
    }),
  );
};

const effectsNameMappings: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) => {
    const memory = ref.case.memory ?? {};
    const check = (sets: Record<string, PageSet> | undefined, path: (string | number)[]): Diagnostic[] =>
      Object.entries(sets ?? {}).flatMap(([name, set]) => {
        const m = Object.hasOwn(memory, name) ? memory[name] : undefined;
        if (m === undefined) return [ref.spec.source.at(path, unknownName('mapping', name, Object.keys(memory), ' (the mappings of this case, under memory:)'), name)];
        const n = pagesOf(m);
        return (Array.isArray(set) ? set : []).flatMap((page, k) =>
          page >= n ? [ref.spec.source.at([...path, name, k], `page index out of range: "${name}" has ${n} page(s)`)] : [],
        );
      });
    return Object.entries(ref.case.expect).flatMap(([profile, e]) => {
      if (typeof e === 'string' || !('returns' in e || 'fails' in e || 'one_of' in e)) return [];
      const exp = e as Expectation;
      const base = ['cases', ref.index, 'expect', profile];
      return [
        ...check(exp.locked, [...base, 'locked']),
        ...check(exp.resident, [...base, 'resident']),
        ...check(exp.not_resident, [...base, 'not_resident']),
        ...check(exp.child?.locked, [...base, 'child', 'locked']),
        ...(exp.one_of ?? []).flatMap((o, k) => [
          ...check(o.locked, [...base, 'one_of', k, 'locked']),
          ...check(o.resident, [...base, 'one_of', k, 'resident']),
          ...check(o.not_resident, [...base, 'one_of', k, 'not_resident']),
          ...check(o.child?.locked, [...base, 'one_of', k, 'child', 'locked']),
        ]),
      ];
    });
  });

const lockBudget: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) => {
    const pages = Object.values(ref.case.memory ?? {}).reduce((n, m) => n + pagesOf(m), 0);
    return pages * LINT_PAGE_SIZE > LOCK_BUDGET_BYTES
      ? [ref.spec.source.at(['cases', ref.index, 'memory'], `the case maps ${pages} pages, over the lock budget of ${LOCK_BUDGET_BYTES / LINT_PAGE_SIZE} pages`)]
      : [];
  });

/** Constant values for the static confinement check: only the address-like ones matter (a flag never lands in an
 * address argument of a well-formed case); the 64-bit values, the width every 64-bit target shares. */
export const LINT_CONSTANTS: Readonly<Record<string, bigint>> = Object.fromEntries(
  CONSTANT_NAMES.map((n) => [n, n === 'SIZE_MAX' || n === 'UINTPTR_MAX' ? (1n << 64n) - 1n : n === 'NULL' ? 0n : 1n]),
);
/** The address space every 64-bit target shares: the first page unmappable, the upper half the kernel's. */
const LINT_SPACE: AddressSpace = { wordBits: 64, nullEnd: BigInt(LINT_PAGE_SIZE), userEnd: 1n << 63n };

/** Every range a call can touch is the case's own memory or a named form (src/worker/confine.ts), decided with the
 * case's mappings placed far apart in a made-up address space. What depends on the real layout is checked again in
 * the worker before every call. */
const callsConfined: Rule = (catalog) =>
  allCases(catalog).flatMap((ref) => {
    const ps = BigInt(LINT_PAGE_SIZE);
    // The steps after the call see the mappings made after it too.
    const all = lintRegions(ref);
    const early = all.filter((r) => ref.case.memory?.[r.name]?.after_call !== true);
    const envOf = (regions: readonly (Region & { base: bigint })[]) => ({ pageSize: ps, wordBits: 64 as const, mappings: Object.fromEntries(regions.map((r) => [r.name, r.base])), constants: LINT_CONSTANTS });
    return callsOf(ref).flatMap(({ text, path, stage }) => {
      const regions = stage === 'after' ? all : early;
      const env = envOf(regions);
      const call = parsed(text);
      if (call === undefined || !isCallable(call.fn)) return [];
      let args: bigint[];
      try {
        args = call.args.map((a) => evaluate(a, env));
      } catch {
        return []; // an unknown name: callNamesResolve says so
      }
      const problem = confinementProblem(call.fn, args, regions, LINT_SPACE, ps);
      return problem === null ? [] : [ref.spec.source.at(path, `${describeConfinement(problem, false)} (with ${LINT_PAGE_SIZE}-byte pages)`)];
    });
  });

const profileIdMatchesFile: Rule = (catalog) =>
  catalog.profiles.flatMap((p) =>
    p.value.id === profileFileId(p.file) ? [] : [p.source.at(['id'], `expected id "${profileFileId(p.file)}" (the file name)`)],
  );

const profileIdsUnique: Rule = (catalog) => {
  const seen = new Map<string, string>();
  return catalog.profiles.flatMap((p) => {
    const first = seen.get(p.value.id);
    if (first === undefined) {
      seen.set(p.value.id, p.file);
      return [];
    }
    return [p.source.at(['id'], `duplicate profile id "${p.value.id}" (also declared in ${first})`)];
  });
};

const profileClausesWellFormed: Rule = (catalog) =>
  catalog.profiles.flatMap((p) => {
    const docs = new Set(p.value.documents.map((d) => d.id));
    const seen = new Set<string>();
    return p.value.clauses.flatMap((c, i) => {
      const out: Diagnostic[] = [];
      if (seen.has(c.id)) out.push(p.source.at(['clauses', i, 'id'], `duplicate clause id "${c.id}"`));
      seen.add(c.id);
      if (!docs.has(c.document)) {
        out.push(p.source.at(['clauses', i, 'document'], unknownName('document', c.document, [...docs])));
      }
      return out;
    });
  });

export const RULES: Record<string, Rule> = {
  caseIdsUnique,
  caseIdPrefixedByFunction,
  callsParse,
  callsAllowlisted,
  callMatchesFile,
  callNamesResolve,
  expectationsNameKnownProfiles,
  expectationsCoverEveryProfile,
  clausesExist,
  effectsNameMappings,
  expectationsCheckSomething,
  expectationsRestOnTheFunctionsRelease,
  lockBudget,
  callsConfined,
  touchesWritablePages,
  mappingsFollowMappings,
  nameArgumentsName,
  deferredMappingsMappedOnce,
  filesResized,
  remapsFollowable,
  profileIdMatchesFile,
  profileIdsUnique,
  profileClausesWellFormed,
};

export function lintCatalog(catalog: Catalog): Diagnostic[] {
  return Object.values(RULES).flatMap((rule) => rule(catalog));
}

/** Read a specs directory and apply every rule: the catalog a run may use, or InputError with every problem. */
export function loadCatalog(dir: string): Catalog {
  const catalog = readCatalog(dir);
  const problems = lintCatalog(catalog);
  if (problems.length > 0) throw new InputError(problems);
  return catalog;
}
