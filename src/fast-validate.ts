// A fast path for zod validation of large, valid inputs (the results files `semconf merge` reads by the thousand):
// the zod schema itself, compiled once into JavaScript source, a function per schema (new Function). It only ever says
// "valid, and here is what zod would have produced" or "ask zod": zod stays the judge of every input the fast path
// refuses, and makes the located message. So it may refuse more than zod (then nothing is lost but time), never less,
// and it accepts only inputs that zod's output would leave as they are (so the input is the parsed value, not copied):
// any construct it does not know (a transform, a default, a format it has no pattern for, a loose object) makes the
// whole schema uncompiled, and every input goes to zod. test/fast-validate.test.ts checks, on many malformed results
// files, that whatever it accepts zod accepts with the same output. It reads zod's schema definitions (`_zod.def`),
// which zod documents as its internals.
//
// Why source and not closures: the same checks as closures (one per schema, each calling the next through a variable)
// took ~0.57 ms a results file of 100 cases, as much as JSON.parse of it, since every call site saw every closure and
// V8 could inline none. As source, each call names its function, and V8 inlines the small ones: ~0.30 ms (measured, CPU
// time, the same file). Only the schema's shape becomes source: keys and literals as JSON, numbers when finite;
// patterns, sets of values and zod's own checks stay values the source refers to (`E[i]`), never text.
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

/** Where a value is, in the generated source: an expression for each check to test. */
type Emit = (v: string) => string;

/** The source being generated for one schema and the values it refers to (`E[i]`: patterns, sets, zod's checks). */
class Source {
  readonly externals: unknown[] = [];
  readonly functions: string[] = [];
  readonly memo = new Map<SchemaLike, string | undefined>();

  /** `E[i]` in the source: a value the source uses as it is, never written into it as text. */
  external(x: unknown): string {
    this.externals.push(x);
    return `E[${this.externals.length - 1}]`;
  }

  /** A new function `name(v)` with `body`; its name. */
  define(body: string): string {
    const name = `f${this.functions.length}`;
    this.functions.push(`function ${name}(v) {\n${body}\n}`);
    return name;
  }
}

/** A finite number as source; undefined for anything else (kept out of the source, so not compiled). */
function numberText(n: unknown): string | undefined {
  return typeof n === 'number' && Number.isFinite(n) ? String(n) : undefined;
}

/** A check comparing the value (`v`, as source) with a finite number `operand`: `expression(v, n)`; undefined where the
 * operand is not one. */
function comparing(operand: unknown, expression: (v: string, n: string) => string): Emit | undefined {
  const n = numberText(operand);
  return n === undefined ? undefined : (v) => expression(v, n);
}

/** One check as an expression on a value that already has the schema's type; undefined when not supported. */
function compileCheck(c: CheckLike, src: Source): Emit | undefined {
  const d = c._zod.def;
  switch (d.check) {
    case 'max_length':
      return comparing(d.maximum, (v, n) => `${v}.length <= ${n}`);
    case 'min_length':
      return comparing(d.minimum, (v, n) => `${v}.length >= ${n}`);
    case 'length_equals':
      return comparing(d.length, (v, n) => `${v}.length === ${n}`);
    case 'greater_than':
      return comparing(d.value, (v, n) => `${v} ${d.inclusive === true ? '>=' : '>'} ${n}`);
    case 'less_than':
      return comparing(d.value, (v, n) => `${v} ${d.inclusive === true ? '<=' : '<'} ${n}`);
    case 'number_format':
      return d.format === 'safeint' ? (v) => `Number.isSafeInteger(${v})` : undefined;
    case 'string_format': {
      const pattern = d.pattern;
      if (!(pattern instanceof RegExp) || !PATTERN_FORMATS.has(String(d.format))) return undefined;
      const rx = src.external(pattern);
      return (v) => `(${rx}.lastIndex = 0, ${rx}.test(${v}))`;
    }
    case 'custom': {
      // A refinement is code: run zod's own check on the value (refined, below), and accept only if it raised nothing.
      const check = src.external(c);
      return (v) => `refined(${check}, ${v})`;
    }
    default:
      return undefined;
  }
}

/** zod's check `c` run on `value`: true when it raised no issue. Called from the generated source. */
function refined(c: CheckLike, value: unknown): boolean {
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
}

/** All of a schema's checks (a format schema, such as z.int() or z.iso.datetime(), is its own first check). */
function compileChecks(s: SchemaLike, src: Source): Emit[] | undefined {
  const all: CheckLike[] = [...(s._zod.traits.has('$ZodCheck') ? [s as unknown as CheckLike] : []), ...(s._zod.def.checks ?? [])];
  const out: Emit[] = [];
  for (const c of all) {
    const e = compileCheck(c, src);
    if (e === undefined) return undefined;
    out.push(e);
  }
  return out;
}

/** The name of the function that validates `s`, or undefined when it is not compiled. */
function compile(s: SchemaLike, src: Source): string | undefined {
  if (src.memo.has(s)) return src.memo.get(s);
  src.memo.set(s, undefined); // a schema reached again while compiling it (recursion) stays uncompiled
  const f = compileNew(s, src);
  src.memo.set(s, f);
  return f;
}

/** A function testing `base` on `v`, then each check. */
function withChecks(src: Source, base: string, checks: Emit[]): string {
  return src.define(`  return (${base})${checks.map((c) => ` && ${c('v')}`).join('')};`);
}

/** A literal value as source, or undefined when it is not one JSON has. */
function literalText(x: unknown): string | undefined {
  if (typeof x === 'string' || typeof x === 'boolean' || x === null) return JSON.stringify(x);
  return numberText(x);
}

function compileNew(s: SchemaLike, src: Source): string | undefined {
  const d = s._zod.def;
  const checks = compileChecks(s, src);
  if (checks === undefined || d.coerce === true) return undefined;
  const sub = (x: unknown): string | undefined => compile(x as SchemaLike, src);
  switch (d.type) {
    case 'string':
      return withChecks(src, "typeof v === 'string'", checks);
    case 'number':
      return withChecks(src, "typeof v === 'number' && Number.isFinite(v)", checks);
    case 'boolean':
      return withChecks(src, "typeof v === 'boolean'", checks);
    case 'literal':
    case 'enum': {
      const values = s._zod.values;
      if (values === undefined) return undefined;
      const texts = [...values].map(literalText);
      // a few values are compared one by one; more, or one that is not JSON's, through the set itself
      const base = texts.length <= 8 && texts.every((t) => t !== undefined) ? texts.map((t) => `v === ${t}`).join(' || ') || 'false' : `${src.external(values)}.has(v)`;
      return withChecks(src, base, checks);
    }
    case 'never':
      return src.define('  return false;');
    case 'nullable': {
      const inner = sub(d.innerType);
      return inner && withChecks(src, `v === null || ${inner}(v)`, checks);
    }
    case 'optional': {
      const inner = sub(d.innerType);
      return inner && withChecks(src, `v === undefined || ${inner}(v)`, checks);
    }
    case 'array': {
      const element = sub(d.element);
      if (element === undefined) return undefined;
      const loop = src.define(`  if (!Array.isArray(v)) return false;\n  for (let i = 0; i < v.length; i += 1) if (!${element}(v[i])) return false;\n  return true;`);
      return withChecks(src, `${loop}(v)`, checks);
    }
    case 'union': {
      if (d.inclusive === false) return undefined;
      const options = (d.options as unknown[]).map(sub);
      if (options.length === 0 || options.some((o) => o === undefined)) return undefined;
      // zod's union gives the output of the first option that accepts; with no option changing its input, that is
      // the input whichever one it is
      return withChecks(src, options.map((o) => `${o as string}(v)`).join(' || '), checks);
    }
    case 'object':
      return compileObject(s, checks, src);
    case 'record':
      return compileRecord(s, checks, src);
    default:
      return undefined;
  }
}

/** A plain object as JSON.parse makes them (an object of any other prototype is left to zod), as source. */
const IS_PLAIN = "typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype";

/** A strict object whose keys come in the shape's order (optional ones may be absent): zod's output is then the
 * input itself, key for key in the same order. Out of order is refused (zod would reorder: left to it), as is any key
 * outside the shape. Any other kind of object (loose, stripping) is not compiled. The source walks the object's own
 * keys against the shape, field by field: a required field must be the next key, an optional one may be; every key
 * must have been met at the end. (Against a `for (k in v)` with a `switch` on the key: ~40% less time a results file,
 * the fields read by their names, which V8 caches for objects of one shape, as JSON.parse makes them.) */
function compileObject(s: SchemaLike, checks: Emit[], src: Source): string | undefined {
  const d = s._zod.def;
  const catchall = d.catchall as SchemaLike | undefined;
  if (catchall === undefined || catchall._zod.def.type !== 'never') return undefined;
  const lines = [`  if (!(${IS_PLAIN})) return false;`, '  const keys = Object.keys(v);', '  let p = 0;'];
  for (const [key, schema] of Object.entries(d.shape as Record<string, SchemaLike>)) {
    // v["__proto__"] would read the prototype, not the key: such a shape is left to zod
    if (key === '__proto__') return undefined;
    const validate = compile(schema, src);
    if (validate === undefined) return undefined;
    const k = JSON.stringify(key);
    lines.push(
      schema._zod.def.type === 'optional'
        ? `  if (keys[p] === ${k}) { if (!${validate}(v[${k}])) return false; p += 1; }`
        : `  if (keys[p] !== ${k} || !${validate}(v[${k}])) return false;
  p += 1;`,
    );
  }
  lines.push('  return p === keys.length;');
  return withChecks(src, `${src.define(lines.join('\n'))}(v)`, checks);
}

/** A record: of an enum's keys (every one, in the enum's order, which is the order of zod's output, and no other), or
 * of keys a schema checks (zod keeps the input's order). A `__proto__` key, which zod drops, is refused. */
function compileRecord(s: SchemaLike, checks: Emit[], src: Source): string | undefined {
  const d = s._zod.def;
  if (d.partial === true || d.mode === 'loose') return undefined;
  const keyType = d.keyType as SchemaLike;
  const validateKey = compile(keyType, src);
  const validateValue = compile(d.valueType as SchemaLike, src);
  if (validateKey === undefined || validateValue === undefined) return undefined;
  const values = keyType._zod.values;
  let body: string;
  if (values !== undefined) {
    const declared = [...values];
    if (!declared.every((k): k is string => typeof k === 'string' && k !== '__proto__')) return undefined;
    body = [
      `  if (!(${IS_PLAIN})) return false;`,
      `  const declared = ${src.external(declared)};`,
      '  let i = 0;',
      '  for (const k in v) {',
      `    if (declared[i] !== k || !Object.hasOwn(v, k) || !${validateValue}(v[k])) return false;`,
      '    i += 1;',
      '  }',
      `  return i === ${declared.length};`,
    ].join('\n');
  } else {
    body = [
      `  if (!(${IS_PLAIN})) return false;`,
      '  for (const k in v) {',
      `    if (k === '__proto__' || !Object.hasOwn(v, k) || !${validateKey}(k) || !${validateValue}(v[k])) return false;`,
      '  }',
      '  return true;',
    ].join('\n');
  }
  return withChecks(src, `${src.define(body)}(v)`, checks);
}

/** The generated source made a function: the root's, with its externals and `refined` in scope. Null where code
 * cannot be made from strings (node --disallow-code-generation-from-strings): then zod judges every input. */
function build(src: Source, root: string): Validator | null {
  try {
    const factory = new Function('E', 'refined', `'use strict';\n${src.functions.join('\n')}\nreturn ${root};`) as (e: unknown[], r: typeof refined) => Validator;
    return factory(src.externals, refined);
  } catch (e) {
    if (e instanceof EvalError) return null;
    throw e;
  }
}

const compiled = new WeakMap<object, Validator | null>();

/** `schema` compiled into a predicate, or undefined when it uses anything the fast path does not know (then zod judges
 * every input). True means zod accepts the input and its output is the input itself: the caller may use the input as
 * the parsed value. False means: ask zod. */
export function fastValidator<S extends z.ZodType>(schema: S): ((input: unknown) => input is z.infer<S>) | undefined {
  let v = compiled.get(schema);
  if (v === undefined) {
    const src = new Source();
    const root = compile(schema as unknown as SchemaLike, src);
    v = root === undefined ? null : build(src, root);
    compiled.set(schema, v);
  }
  return v === null ? undefined : (v as (input: unknown) => input is z.infer<S>);
}
