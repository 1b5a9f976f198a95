// Loading: YAML text → plain data (with a SourceMap for positions) → zod-validated spec or profile.
// Nothing here knows about other files; cross-file rules live in lint.ts.
import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { type Diagnostic, type PathKey, InputError, SourceMap } from './diagnostics.js';
import { readInputFile } from './read.js';
import { Profile, SpecFile } from './schema.js';
import { checkStructure, MAX_ALIAS_NODES } from './structure.js';

export interface Loaded<T> {
  file: string;
  value: T;
  source: SourceMap;
}

/** Parse YAML and validate it with `schema`; throws InputError with every problem's position. */
export function loadYaml<S extends z.ZodType>(file: string, text: string, schema: S): Loaded<z.infer<S>> {
  const lines = new LineCounter();
  const fail = (ds: Diagnostic[]): never => {
    throw new InputError(ds);
  };
  let doc;
  try {
    // Duplicate keys are checked by checkStructure (linearly); yaml's own uniqueKeys compares every pair.
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true });
  } catch (e) {
    // The parser recurses per nesting level: a file of 100,000 '[' exhausts the stack before any check can run.
    return fail([{ file, line: 1, col: 1, path: '', message: `YAML syntax: the document cannot be parsed (${(e as Error).message}); expected a spec nested a few levels deep` }]);
  }
  if (doc.errors.length > 0) {
    fail(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${firstLine(e.message)}` };
      }),
    );
  }
  const source = new SourceMap(file, doc, lines);
  const structural = checkStructure(doc, (node, message, path) => source.atNode(node, message, path));
  if (structural.length > 0) fail(structural);
  let data: unknown;
  try {
    // checkStructure has bounded what aliases copy; the library's own limit stays as a second guard.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_NODES });
  } catch (e) {
    return fail([source.atNode(doc.contents, `the document cannot be converted to data (${(e as Error).message}); expected plain maps, lists and scalars`)]);
  }
  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new InputError(dedupe(parsed.error.issues.flatMap((i) => describeIssue(i, [], source))));
  return { file, value: parsed.data, source };
}

/** A spec file read from disk: a regular file (a symlink may not lead out of its directory) within the size limit
 * of read.ts. */
export function loadSpecFile(file: string, text = readInputFile(file, dirname(file))): Loaded<SpecFile> {
  return loadYaml(file, text, SpecFile);
}

export function loadProfileFile(file: string, text = readInputFile(file, dirname(file))): Loaded<Profile> {
  return loadYaml(file, text, Profile);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

type Issue = z.core.$ZodIssue;

/** Turn one zod issue into positioned diagnostics, with a message that says what was expected. */
function describeIssue(issue: Issue, prefix: readonly PathKey[], source: SourceMap): Diagnostic[] {
  const path = [...prefix, ...(issue.path as PathKey[])];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => source.at(path, `unknown key "${k}"; expected one of the keys in schema/`, k));
    case 'invalid_union':
      if (issue.input === undefined) return [missingKey(path, 'a value', source)];
      return describeUnion(issue, path, source);
    case 'invalid_key': {
      // A record key that fails its pattern: point at the key, and say what a key must look like.
      const key = String(path[path.length - 1]);
      const want = issue.issues.map((i) => i.message).join('; ');
      return [source.at(path.slice(0, -1), `bad key ${JSON.stringify(key)}: expected ${want}`, key)];
    }
    case 'invalid_value':
      return [source.at(path, describeChoice(issue.input, issue.values))];
    case 'invalid_type': {
      if (issue.input === undefined) return [missingKey(path, issue.expected, source)];
      return [source.at(path, `expected ${issue.expected}; ${issue.message.replace(/^Invalid input: /, '')}`)];
    }
    default:
      return [source.at(path, issue.message)];
  }
}

function missingKey(path: PathKey[], expected: string, source: SourceMap): Diagnostic {
  const key = path[path.length - 1];
  return source.at(path.slice(0, -1), `missing required key "${String(key)}" (expected ${expected})`);
}

/** A union failed: report the alternative that got furthest, or list what each alternative expects. */
function describeUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: PathKey[],
  source: SourceMap,
): Diagnostic[] {
  const branches = issue.errors;
  // Descend into an alternative only if the input had its shape and failed deeper inside; otherwise the input
  // matched no alternative's shape, and the message lists them all.
  const deeper = branches.filter((b) => b.length > 0 && b.every((i) => i.path.length > 0 || isRefinement(i)));
  const best = deeper.sort((a, b) => a.length - b.length)[0];
  if (best !== undefined) return best.flatMap((i) => describeIssue(i, path, source));
  // A string where one alternative is a list of names (errno names, page kinds): name the nearest ones.
  const choice = branches.map((b) => b[0]).find((i) => i?.code === 'invalid_value' && typeof issue.input === 'string');
  if (choice?.code === 'invalid_value' && choice.values.length > 1) return [source.at(path, describeChoice(issue.input, choice.values))];
  const wants = branches.map((b) => summarise(b[0])).filter((s) => s !== '');
  const got = issue.input === undefined ? '' : `got ${JSON.stringify(issue.input)}; `;
  return [source.at(path, `${got}expected ${[...new Set(wants)].join(' or ')}`)];
}

/** A custom (superRefine) issue means the input had the branch's shape and broke one of its rules. */
function isRefinement(i: Issue): boolean {
  return i.code === 'custom';
}

function summarise(issue: Issue | undefined): string {
  if (!issue) return '';
  if (issue.code === 'invalid_value') return issue.values.map((v) => JSON.stringify(v)).join(' or ');
  if (issue.code === 'invalid_type') return `a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`;
  if (issue.code === 'invalid_format') return `a string matching ${issue.message}`;
  return issue.message;
}

/** "got X; expected one of A, B" for short lists; for long ones (errno names) the nearest few and the count. */
export function describeChoice(input: unknown, values: readonly unknown[]): string {
  const got = input === undefined ? '' : `got ${JSON.stringify(input)}; `;
  if (values.length <= 12) return `${got}expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  const near = typeof input === 'string' ? nearest(input, values.map(String)) : [];
  const hint = near.length > 0 ? `did you mean ${near.map((v) => JSON.stringify(v)).join(' or ')}? ` : '';
  return `${got}${hint}(expected one of ${values.length} names, listed in schema/spec.schema.json)`;
}

function nearest(word: string, candidates: string[]): string[] {
  const scored = candidates.map((c) => [c, editDistance(word.toUpperCase(), c.toUpperCase())] as const);
  const best = Math.min(...scored.map(([, d]) => d));
  return best <= 3 ? scored.filter(([, d]) => d === best).map(([c]) => c).slice(0, 3) : [];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
