// A fast path for zod validation of large, valid inputs (the results files `semconf merge` reads by the thousand):
// the zod schema itself, compiled into plain checks once. It only ever says "valid, and here is what zod would have
// produced" or "ask zod": zod stays the judge of every input the fast path refuses, and makes the located message. So
// it may refuse more than zod (then nothing is lost but time), never less, and it accepts only inputs that zod's
// output would leave as they are (so the input is the parsed value, not copied): any construct it does not know (a
// transform, a default, a format it has no pattern for, a loose object) makes the whole schema uncompiled, and every
// input goes to zod. test/fast-validate.test.ts checks, on many malformed results files, that whatever it accepts zod
// accepts with the same output. It reads zod's schema definitions (`_zod.def`), which zod documents as its internals.
import type * as z from 'zod';

/** Whether zod accepts the input AND its output is the input itself (same keys, in the same order). */
type Validator = (input: unknown) => boolean;

/** The parts of zod's internal schema and check objects read here. */
interface CheckLike {
  _zod: { def: { check?: string; [k: string]: unknown }; check: (payload: { value: unknown; issues: unknown[] }) => unknown };
}
interface SchemaLike {
  _zod: { def: { type: string; checks?: readonly CheckLike[]; [k: string]: unknown }; values?: ReadonlySet<unknown>; traits: ReadonlySet<string> };
}

/** String formats checked by their pattern alone in zod (its $ZodStringFormat with `def.pattern`). */
const PATTERN_FORMATS = new Set(['regex', 'datetime', 'date', 'time']);

type Predicate = (value: unknown) => boolean;

function lengthOf(v: unknown): number {
  return (v as { length: number }).length;
}

/** One check as a predicate on a value that already has the schema's type; undefined when not supported. */
function compileCheck(c: CheckLike): Predicate | undefined {
  const d = c._zod.def;
  switch (d.check) {
    case 'max_length': {
      const max = d.maximum as number;
      return (v) => lengthOf(v) <= max;
    }
    case 'min_length': {
      const min = d.minimum as number;
      return (v) => lengthOf(v) >= min;
    }
    case 'length_equals': {
      const n = d.length as number;
      return (v) => lengthOf(v) === n;
    }
    case 'greater_than': {
      const n = d.value as number;
      return d.inclusive === true ? (v) => (v as number) >= n : (v) => (v as number) > n;
    }
    case 'less_than': {
      const n = d.value as number;
      return d.inclusive === true ? (v) => (v as number) <= n : (v) => (v as number) < n;
    }
    case 'number_format':
      return d.format === 'safeint' ? (v) => Number.isSafeInteger(v) : undefined;
    case 'string_format': {
      const pattern = d.pattern;
      if (!(pattern instanceof RegExp) || !PATTERN_FORMATS.has(String(d.format))) return undefined;
      return (v) => {
        pattern.lastIndex = 0;
        return pattern.test(v as string);
      };
    }
    case 'custom':
      // A refinement is code: run zod's own check on the value, and accept only if it raised nothing.
      return (value) => {
        const payload: { value: unknown; issues: unknown[] } = { value, issues: [] };
        try {
          const r = c._zod.check(payload);
          return !(r instanceof Promise) && payload.issues.length === 0;
        } catch {
          return false;
        } finally {
          // Dead after this, yet while it pointed at the value, young-generation collections took the whole parsed
          // results file as live: measured over 300 files, 10x the bytes surviving them (164 MB against 15) and 8x
          // their time, and merge ~25% slower. Likely V8 placed the payload (zod's check hangs a closure on it) in its
          // old generation, which a young collection does not trace, so whatever it points to is kept.
          payload.value = undefined;
        }
      };
    default:
      return undefined;
  }
}

/** All of a schema's checks (a format schema, such as z.int() or z.iso.datetime(), is its own first check). */
function compileChecks(s: SchemaLike): Predicate[] | undefined {
  const all: CheckLike[] = [...(s._zod.traits.has('$ZodCheck') ? [s as unknown as CheckLike] : []), ...(s._zod.def.checks ?? [])];
  const out: Predicate[] = [];
  for (const c of all) {
    const p = compileCheck(c);
    if (p === undefined) return undefined;
    out.push(p);
  }
  return out;
}

/** A plain object as JSON.parse makes them (an object of any other prototype is left to zod). */
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function compile(s: SchemaLike, memo: Map<SchemaLike, Validator | undefined>): Validator | undefined {
  if (memo.has(s)) return memo.get(s);
  memo.set(s, undefined); // a schema reached again while compiling it (recursion) stays uncompiled
  const v = compileNew(s, memo);
  memo.set(s, v);
  return v;
}

function withChecks(base: Validator, checks: Predicate[]): Validator {
  if (checks.length === 0) return base;
  return (input) => {
    if (!base(input)) return false;
    for (const c of checks) if (!c(input)) return false;
    return true;
  };
}

function compileNew(s: SchemaLike, memo: Map<SchemaLike, Validator | undefined>): Validator | undefined {
  const d = s._zod.def;
  const checks = compileChecks(s);
  if (checks === undefined || d.coerce === true) return undefined;
  const sub = (x: unknown): Validator | undefined => compile(x as SchemaLike, memo);
  switch (d.type) {
    case 'string':
      return withChecks((v) => typeof v === 'string', checks);
    case 'number':
      return withChecks((v) => typeof v === 'number' && Number.isFinite(v), checks);
    case 'boolean':
      return withChecks((v) => typeof v === 'boolean', checks);
    case 'literal':
    case 'enum': {
      const values = s._zod.values;
      if (values === undefined) return undefined;
      return withChecks((v) => values.has(v), checks);
    }
    case 'never':
      return () => false;
    case 'nullable': {
      const inner = sub(d.innerType);
      return inner && withChecks((v) => v === null || inner(v), checks);
    }
    case 'optional': {
      const inner = sub(d.innerType);
      return inner && withChecks((v) => v === undefined || inner(v), checks);
    }
    case 'array': {
      const element = sub(d.element);
      if (element === undefined) return undefined;
      return withChecks((v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i += 1) if (!element(v[i])) return false;
        return true;
      }, checks);
    }
    case 'union': {
      if (d.inclusive === false) return undefined;
      const options = (d.options as unknown[]).map(sub);
      if (options.some((o) => o === undefined)) return undefined;
      const compiled = options as Validator[];
      // zod's union gives the output of the first option that accepts; with no option changing its input, that is
      // the input whichever one it is
      return withChecks((v) => compiled.some((o) => o(v)), checks);
    }
    case 'object':
      return compileObject(s, checks, memo);
    case 'record':
      return compileRecord(s, checks, memo);
    default:
      return undefined;
  }
}

/** A strict object whose keys come in the shape's order (optional ones may be absent): zod's output is then the
 * input itself, key for key in the same order. Out of order is refused (zod would reorder: left to it), as is any key
 * outside the shape. Any other kind of object (loose, stripping) is not compiled. */
function compileObject(s: SchemaLike, checks: Predicate[], memo: Map<SchemaLike, Validator | undefined>): Validator | undefined {
  const d = s._zod.def;
  const catchall = d.catchall as SchemaLike | undefined;
  if (catchall === undefined || catchall._zod.def.type !== 'never') return undefined;
  const fields: { key: string; validate: Validator; optional: boolean }[] = [];
  for (const [key, schema] of Object.entries(d.shape as Record<string, SchemaLike>)) {
    const validate = compile(schema, memo);
    if (validate === undefined) return undefined;
    fields.push({ key, validate, optional: schema._zod.def.type === 'optional' });
  }
  const n = fields.length;
  return withChecks((v) => {
    if (!isPlain(v)) return false;
    let i = 0;
    for (const k in v) {
      for (; i < n && (fields[i] as (typeof fields)[number]).key !== k; i += 1) if (!(fields[i] as (typeof fields)[number]).optional) return false;
      if (i === n || !Object.hasOwn(v, k) || !(fields[i] as (typeof fields)[number]).validate(v[k])) return false;
      i += 1;
    }
    for (; i < n; i += 1) if (!(fields[i] as (typeof fields)[number]).optional) return false;
    return true;
  }, checks);
}

/** A record: of an enum's keys (every one, in the enum's order, which is the order of zod's output, and no other), or
 * of keys a schema checks (zod keeps the input's order). A `__proto__` key, which zod drops, is refused. */
function compileRecord(s: SchemaLike, checks: Predicate[], memo: Map<SchemaLike, Validator | undefined>): Validator | undefined {
  const d = s._zod.def;
  if (d.partial === true || d.mode === 'loose') return undefined;
  const keyType = d.keyType as SchemaLike;
  const validateKey = compile(keyType, memo);
  const validateValue = compile(d.valueType as SchemaLike, memo);
  if (validateKey === undefined || validateValue === undefined) return undefined;
  const values = keyType._zod.values;
  if (values !== undefined) {
    const declared = [...values];
    if (!declared.every((k): k is string => typeof k === 'string' && k !== '__proto__')) return undefined;
    return withChecks((v) => {
      if (!isPlain(v)) return false;
      let i = 0;
      for (const k in v) {
        if (declared[i] !== k || !Object.hasOwn(v, k) || !validateValue(v[k])) return false;
        i += 1;
      }
      return i === declared.length;
    }, checks);
  }
  return withChecks((v) => {
    if (!isPlain(v)) return false;
    for (const k in v) {
      if (k === '__proto__' || !Object.hasOwn(v, k) || !validateKey(k) || !validateValue(v[k])) return false;
    }
    return true;
  }, checks);
}

const compiled = new WeakMap<object, Validator | null>();

/** `schema` compiled into a predicate, or undefined when it uses anything the fast path does not know (then zod judges
 * every input). True means zod accepts the input and its output is the input itself: the caller may use the input as
 * the parsed value. False means: ask zod. */
export function fastValidator<S extends z.ZodType>(schema: S): ((input: unknown) => input is z.infer<S>) | undefined {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = compile(schema as unknown as SchemaLike, new Map()) ?? null;
    compiled.set(schema, v);
  }
  return v === null ? undefined : (v as (input: unknown) => input is z.infer<S>);
}
