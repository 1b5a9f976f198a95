// Loading: YAML text → plain data (with a SourceMap for positions) → zod-validated spec or profile.
// Nothing here knows about other files; cross-file rules live in lint.ts.
import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { type Diagnostic, type PathKey, InputError, SourceMap } from './diagnostics.js';
import { describeInput, specErrorMap } from './messages.js';
import { readInputFile } from './read.js';
import { Profile, SpecFile } from './schema.js';
import { checkStructure, MAX_ALIAS_NODES } from './structure.js';
import { YAML_OPTIONS } from './yaml-lazy.js';

/** Where a loaded file's keys are: a SourceMap, or one made only when first asked (a catalog from the cache). */
export type SourceLocator = Pick<SourceMap, 'file' | 'at' | 'atNode'>;

export interface Loaded<T> {
  file: string;
  value: T;
  source: SourceLocator;
}

export { YAML_OPTIONS } from './yaml-lazy.js';

/** Parse YAML and validate it with `schema`; throws InputError with every problem's position. */
export function loadYaml<S extends z.ZodType>(file: string, text: string, schema: S): Loaded<z.infer<S>> {
  const lines = new LineCounter();
  const fail = (ds: Diagnostic[]): never => {
    throw new InputError(ds);
  };
  let doc;
  try {
    // Duplicate keys are checked by checkStructure (linearly); yaml's own uniqueKeys compares every pair.
    doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
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
  const parsed = schema.safeParse(data, { reportInput: true, error: specErrorMap });
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

/** Turn one zod issue into positioned diagnostics. The message itself was made by specErrorMap (messages.ts), in
 * the spec's terms; this only decides where each problem is, and for unions which alternative to report. */
function describeIssue(issue: Issue, prefix: readonly PathKey[], source: SourceMap): Diagnostic[] {
  const path = [...prefix, ...(issue.path as PathKey[])];
  switch (issue.code) {
    case 'unrecognized_keys': {
      // One message line per key, in the order of issue.keys (see specErrorMap).
      const lines = issue.message.split('\n');
      return issue.keys.map((k, i) => source.at(path, lines[i] ?? `unknown key ${JSON.stringify(k)}`, k));
    }
    case 'invalid_union':
      if (issue.input === undefined) return [missingKey(path, issue.message, source)];
      return describeUnion(issue, path, source);
    case 'invalid_key': {
      // A record key that fails its pattern: point at the key, and say what a key must look like.
      const key = String(path[path.length - 1]);
      const want = issue.issues.map((i) => i.message).join('; ');
      return [source.at(path.slice(0, -1), `bad key ${JSON.stringify(key)}: expected ${want}`, key)];
    }
    case 'invalid_type':
      if (issue.input === undefined) return [missingKey(path, issue.message, source)];
      return [source.at(path, issue.message)];
    case 'invalid_format':
      // A pattern's own message (`.regex(re, 'a dotted id such as ...')`) names only what is expected.
      return [source.at(path, /^(got|expected)\b/.test(issue.message) ? issue.message : `got ${describeInput(issue.input)}; expected ${issue.message}`)];
    default:
      return [source.at(path, issue.message)];
  }
}

/** `message` is the error map's "expected X" for the missing value. */
function missingKey(path: PathKey[], message: string, source: SourceMap): Diagnostic {
  const key = path[path.length - 1];
  return source.at(path.slice(0, -1), `missing required key "${String(key)}" (${message})`);
}

/** A union failed: report the alternative that got furthest, or (the union's own message) what each expects. */
function describeUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: PathKey[],
  source: SourceMap,
): Diagnostic[] {
  const branches = issue.errors;
  // Descend into an alternative only if the input had its shape and failed deeper inside; otherwise the input
  // matched no alternative's shape, and the union's message lists them all.
  const deeper = branches.filter((b) => b.length > 0 && b.every((i) => i.path.length > 0 || isRefinement(i)));
  const best = deeper.sort((a, b) => a.length - b.length)[0];
  if (best !== undefined) return best.flatMap((i) => describeIssue(i, path, source));
  return [source.at(path, issue.message)];
}

/** A custom (superRefine) issue means the input had the branch's shape and broke one of its rules. */
function isRefinement(i: Issue): boolean {
  return i.code === 'custom';
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
