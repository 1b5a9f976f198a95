// Messages in the spec's own terms. zod's defaults speak of its types ("Invalid input: expected number, received
// string", "Invalid option"); a spec author thinks in keys, mappings, errno names and pages. This error map is
// given to every parse of a spec or profile (load.ts), so each message is made in one place, from the schema that
// failed: it names what the place expects, once, and the nearest allowed name when the input looks like a typo.
// A message a schema states itself (`.regex(re, 'a dotted id ...')`, a refinement) takes precedence, as zod gives it.
import type * as z from 'zod';
import { didYouMean, MAX_LISTED, suggestion } from './did-you-mean.js';

type Schema = z.core.$ZodType;
type RawIssue = z.core.$ZodRawIssue;

/** The names a string may take at a place (enum values and string literals, through unions), for did-you-mean. */
export function choicesOf(schema: Schema): string[] {
  const s = schema as z.core.$ZodTypes;
  const def = s._zod.def;
  switch (def.type) {
    case 'enum':
      return Object.values(def.entries).map(String);
    case 'literal':
      return def.values.filter((v): v is string => typeof v === 'string');
    case 'union':
      return [...new Set(def.options.flatMap(choicesOf))];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return choicesOf(def.innerType);
    default:
      return [];
  }
}

/** The allowed keys of an object schema, in the order the schema declares them. */
export function keysOf(schema: Schema): string[] {
  const s = schema as z.core.$ZodTypes;
  return s._zod.def.type === 'object' ? Object.keys(s._zod.def.shape) : [];
}

const quoteAll = (vs: readonly unknown[]): string[] => vs.map((v) => JSON.stringify(v));

/** " from 1 to 1024", " of at least 1", or '': bounds past 2^53 are zod's defaults for an int, not the spec's. */
function range(min: unknown, max: unknown): string {
  const bound = (v: unknown): number | undefined => (typeof v === 'number' && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  const [lo, hi] = [bound(min), bound(max)];
  if (lo !== undefined && hi !== undefined) return ` from ${lo} to ${hi}`;
  if (lo !== undefined) return ` of at least ${lo}`;
  if (hi !== undefined) return ` of at most ${hi}`;
  return '';
}

/** What a schema accepts, as a phrase to follow "expected": "a whole number from 1 to 1024", "a list of errno
 * names". With `many`, the plural form, for the items of a list or the values of a map. */
export function expectedText(schema: Schema, many = false): string {
  const s = schema as z.core.$ZodTypes;
  const def = s._zod.def;
  const a = (one: string, several: string): string => (many ? several : `${/^[aeiou]/.test(one) ? 'an' : 'a'} ${one}`);
  switch (def.type) {
    case 'number': {
      // The bounds are read from the checks: zod fills the schema's bag only once a value has been checked.
      const bounds = checkDefs(s);
      const min = bounds.find((c) => c.check === 'greater_than')?.value;
      const max = bounds.find((c) => c.check === 'less_than')?.value;
      const whole = 'format' in def && (def.format === 'safeint' || def.format === 'int32');
      return `${whole ? a('whole number', 'whole numbers') : a('number', 'numbers')}${range(min, max)}`;
    }
    case 'string': {
      const stated = statedPattern(s);
      if (stated !== undefined) return stated;
      const bag = s._zod.bag as { minimum?: number };
      return `text${bag.minimum !== undefined && bag.minimum > 0 ? ` of at least ${bag.minimum} characters` : ''}`;
    }
    case 'boolean':
      return 'true or false';
    case 'enum':
      return namesText(Object.values(def.entries).map(String), many);
    case 'literal':
      return quoteAll(def.values).join(' or ');
    case 'array':
      return `${a('list', 'lists')} of ${expectedText(def.element, true)}`;
    case 'object':
      return `${a('map', 'maps')} with the keys ${Object.keys(def.shape).join(', ')}`;
    case 'record':
      return `${a('map', 'maps')} of ${expectedText(def.valueType, true)}`;
    case 'union':
      return orList([...new Set(unionOptions(s).map((o) => expectedText(o, many)))]);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return expectedText(def.innerType, many);
    case 'pipe':
      return expectedText(def.in, many);
    default:
      return 'a value of another kind';
  }
}

function checkDefs(s: z.core.$ZodTypes): { check?: string; value?: unknown }[] {
  const checks = (s._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [];
  return checks.map((c) => c._zod.def as { check?: string; value?: unknown });
}

/** The message a string schema states for its pattern (`.regex(re, 'a dotted id such as ...')`): the schema's own
 * words for what it expects, used where the value is missing or a union lists its alternatives. Such a message is
 * static (or, for memlock, falls back to the static range without an input), so it is asked with no input. */
function statedPattern(s: z.core.$ZodTypes): string | undefined {
  const checks = (s._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [];
  for (const c of checks) {
    const def = c._zod.def as { check?: string; format?: string; error?: z.core.$ZodErrorMap };
    if (def.check !== 'string_format' || def.format !== 'regex' || def.error === undefined) continue;
    const said = def.error({ code: 'invalid_format', format: 'regex', input: undefined } as z.core.$ZodRawIssue);
    const text = typeof said === 'string' ? said : said?.message;
    if (text !== undefined && text !== '') return text.replace(/^expected /, '');
  }
  return undefined;
}

const isErrnoName = (v: string): boolean => /^E[A-Z0-9]+$/.test(v);

/** A choice among names: spelled out when short, counted (and where to find them) when long. */
function namesText(values: readonly string[], many: boolean): string {
  if (values.length === 1) return JSON.stringify(values[0]);
  if (values.every(isErrnoName) && values.length > MAX_LISTED) {
    return many ? 'errno names' : `an errno name (one of the ${values.length} listed in schema/spec.schema.json)`;
  }
  return `${many ? 'names, each ' : ''}one of ${quoteAll(values).join(', ')}`;
}

/** The alternatives of a union, nested unions flattened, so that a message lists them once and in one list. */
function unionOptions(schema: Schema): Schema[] {
  const s = schema as z.core.$ZodTypes;
  return s._zod.def.type === 'union' ? s._zod.def.options.flatMap(unionOptions) : [schema];
}

function orList(items: string[]): string {
  if (items.length <= 2) return items.join(' or ');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** How the input looked, as the author wrote it: `"lots"`, 12, a list, a map. */
export function describeInput(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a map';
  if (typeof input === 'string') return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
  return String(input);
}

const got = (input: unknown): string => (input === undefined ? '' : `got ${describeInput(input)}; `);

function sizeBound(iss: RawIssue & { origin?: unknown; inclusive?: unknown }, bound: unknown, least: boolean): string {
  const n = typeof bound === 'bigint' ? bound.toString() : String(bound);
  const exclusive = iss.inclusive === false;
  const word = least ? (exclusive ? 'more than' : 'at least') : exclusive ? 'less than' : 'at most';
  switch (iss.origin) {
    case 'array':
    case 'set':
      return `expected a list of ${word} ${n} item(s)`;
    case 'string':
      return `expected text of ${word} ${n} characters`;
    default:
      return `${got(iss.input)}expected ${word} ${n}`;
  }
}

/** The error map (zod's `error` parse option). Every code zod can raise here gets a message; none is left to
 * zod's wording. For `unrecognized_keys` the message has one line per unknown key, in the issue's order (zod
 * reports them in one issue; load.ts gives each its own position). */
export const specErrorMap = (iss: RawIssue): string => {
  const schema = iss.inst !== undefined && 'def' in iss.inst._zod && 'type' in iss.inst._zod.def ? (iss.inst as Schema) : undefined;
  switch (iss.code) {
    case 'unrecognized_keys': {
      const allowed = schema === undefined ? [] : keysOf(schema);
      const want = allowed.length === 0 ? 'expected no keys here' : `expected one of the keys ${allowed.join(', ')}`;
      return iss.keys.map((k) => `unknown key ${JSON.stringify(k)}${didYouMean(k, allowed)}; ${want}`).join('\n');
    }
    case 'invalid_type': {
      const want = schema === undefined ? iss.expected : expectedText(schema);
      return `${got(iss.input)}expected ${want}`;
    }
    case 'invalid_value':
      return describeChoice(iss.input, iss.values);
    case 'invalid_union': {
      const want = schema === undefined ? 'a value of another kind' : expectedText(schema);
      const near = typeof iss.input === 'string' && schema !== undefined ? suggestion(iss.input, choicesOf(schema)) : '';
      return `${got(iss.input)}${near === '' ? '' : `${near} `}expected ${want}`;
    }
    case 'too_small':
      return sizeBound(iss, iss.minimum, true);
    case 'too_big':
      return sizeBound(iss, iss.maximum, false);
    case 'invalid_format':
      return `${got(iss.input)}expected text matching ${iss.format === 'regex' && typeof iss.pattern === 'string' ? iss.pattern : `the ${iss.format} format`}`;
    case 'not_multiple_of':
      return `${got(iss.input)}expected a multiple of ${String(iss.divisor)}`;
    case 'invalid_key':
      return 'a key of another form';
    case 'invalid_element':
      return 'an element of another form';
    case 'custom':
      return typeof iss.message === 'string' ? iss.message : 'a value that breaks a rule of the spec language';
  }
};

/** "got X; expected one of A, B" for short lists; for long ones (errno names) the nearest ones and the count. */
export function describeChoice(input: unknown, values: readonly unknown[]): string {
  const names = values.map(String);
  const near = typeof input === 'string' ? suggestion(input, names) : '';
  return `${got(input)}${near === '' ? '' : `${near} `}expected ${namesText(names, false)}`;
}
