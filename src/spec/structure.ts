// Checks on the shape of a parsed YAML document, before it becomes data: the things a schema cannot see because
// they are gone (or have already done their damage) once the document is a JavaScript object. One small check per
// rule, all over one walk of the syntax tree, each linear in the size of the document.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type Scalar } from 'yaml';
import { type Diagnostic, formatPath, type PathKey } from './diagnostics.js';
import { countWork } from './work.js';

/** Deepest nesting of maps and lists a spec file may have: the committed specs nest 8 deep. */
export const MAX_NESTING_DEPTH = 64;
/** Most nodes aliases may copy into a file, in all (a "billion laughs" file copies 10^9). No committed spec uses
 * an alias; this leaves room for a shared expectation reused a few dozen times. Also yaml's maxAliasCount. */
export const MAX_ALIAS_NODES = 1000;

/** Keys that name Object.prototype machinery: in data they vanish (`__proto__`) or shadow what code relies on. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// C0 controls other than tab and line feed, DEL, and the C1 controls: in a title or reason they would reach a
// terminal (ESC sequences move the cursor, rewrite the screen, set the clipboard) and every report.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

interface Visit<N = Node> {
  node: N;
  depth: number;
  /** key path of the node, as diagnostics print it: cases[0].memory.buf */
  path: string;
}

interface Walk {
  maps: Visit[];
  scalars: Visit<Scalar>[];
  deepest: Visit | undefined;
  /** each alias with the number of nodes it copies (its target's size, aliases inside counted expanded) */
  aliases: (Visit & { copies: number | 'recursive' })[];
}

/** One iterative walk (a deep document cannot exhaust the stack), in document order so that an alias is met after
 * the anchor it names, as YAML requires. Sizes are computed after each node's children, memoised per node. */
function walk(doc: Document): Walk {
  const out: Walk = { maps: [], scalars: [], deepest: undefined, aliases: [] };
  const size = new Map<Node, number>();
  const anchors = new Map<string, Node>();
  const root = doc.contents as Node | null;
  if (root === null) return out;
  type Child = { node: Node; path: PathKey[] };
  type Frame = { node: Node; depth: number; path: PathKey[]; children: Child[] | undefined };
  const stack: Frame[] = [{ node: root, depth: 1, path: [], children: undefined }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    countWork();
    if (top.children === undefined) {
      const { node, depth } = top;
      const visit = { node, depth, path: formatPath(top.path) };
      if (out.deepest === undefined || depth > out.deepest.depth) out.deepest = visit;
      if ('anchor' in node && typeof node.anchor === 'string') anchors.set(node.anchor, node);
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        const copies = target === undefined ? 0 : size.get(target);
        out.aliases.push({ ...visit, copies: copies === undefined ? 'recursive' : copies });
        size.set(node, typeof copies === 'number' ? copies : 0);
        stack.pop();
        continue;
      }
      if (isScalar(node)) out.scalars.push({ ...visit, node });
      if (isMap(node)) out.maps.push(visit);
      // Past the depth limit the walk stops descending: the check below reports it, and nothing deeper is needed.
      top.children =
        depth > MAX_NESTING_DEPTH
          ? []
          : isMap(node)
            ? (node.items as Pair[]).flatMap((p) => {
                const here = [...top.path, keyText(p) ?? '?'];
                return [p.key, p.value].filter(isNode).map((n) => ({ node: n, path: here }));
              })
            : isSeq(node)
              ? (node.items as unknown[]).flatMap((n, i) => (isNode(n) && !isPair(n) ? [{ node: n, path: [...top.path, i] }] : []))
              : [];
      for (let i = top.children.length - 1; i >= 0; i--) {
        const c = top.children[i] as Child;
        stack.push({ node: c.node, depth: depth + 1, path: c.path, children: undefined });
      }
      continue;
    }
    stack.pop();
    size.set(top.node, top.children.reduce((n, c) => n + (size.get(c.node) ?? 0), 1));
  }
  return out;
}

const isNode = (n: unknown): n is Node => n !== null && typeof n === 'object';

/** A located diagnostic: at a syntax node, with the key path of the map or list it is in. */
type At = (node: unknown, message: string, path: string) => Diagnostic;
type Check = (w: Walk, at: At) => Diagnostic[];

const keyText = (p: Pair): string | undefined => (isScalar(p.key) ? String(p.key.value) : undefined);

/** A key is a plain scalar: a list, map or alias as a key has no meaning in a spec, and YAML would stringify it. */
const keysArePlain: Check = (w, at) =>
  w.maps.flatMap(({ node, path }) =>
    (node as { items: Pair[] }).items.flatMap((p) =>
      isScalar(p.key) ? [] : [at(p.key ?? node, 'expected a plain key (a name), not a list, map or alias', path)],
    ),
  );

/** A key appears once per map. A Set per map, where yaml's own uniqueKeys compares each key with every earlier one
 * (quadratic: 40,000 keys took 20 s). Same message as the parser's. */
const keysUnique: Check = (w, at) =>
  w.maps.flatMap(({ node }) => {
    const seen = new Set<string>();
    return (node as { items: Pair[] }).items.flatMap((p) => {
      countWork();
      const k = keyText(p);
      if (k === undefined) return [];
      // No path, as for every YAML syntax error: the parser reported this one before.
      if (seen.has(k)) return [at(p.key, 'YAML syntax: Map keys must be unique', '')];
      seen.add(k);
      return [];
    });
  });

const noPrototypeKeys: Check = (w, at) =>
  w.maps.flatMap(({ node, path }) =>
    (node as { items: Pair[] }).items.flatMap((p) => {
      const k = keyText(p);
      return k !== undefined && PROTOTYPE_KEYS.has(k)
        ? [at(p.key, `key "${k}" is not allowed: it names JavaScript object machinery (expected a name other than __proto__, constructor or prototype)`, path === '' ? k : `${path}.${k}`)]
        : [];
    }),
  );

const noControlCharacters: Check = (w, at) =>
  w.scalars.flatMap((s) => {
    if (typeof s.node.value !== 'string') return [];
    const m = CONTROL.exec(s.node.value);
    if (m === null) return [];
    const code = `U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return [at(s.node, `control character ${code} in text; expected printable text (tab and line breaks are allowed)`, s.path)];
  });

const nestingBounded: Check = (w, at) =>
  w.deepest !== undefined && w.deepest.depth > MAX_NESTING_DEPTH
    ? [at(w.deepest.node, `nested more than ${MAX_NESTING_DEPTH} levels deep; expected at most ${MAX_NESTING_DEPTH}`, w.deepest.path)]
    : [];

/** Aliases together copy at most MAX_ALIAS_NODES nodes; reported at the alias that crosses the limit. */
const aliasesBounded: Check = (w, at) => {
  let total = 0;
  for (const a of w.aliases) {
    if (a.copies === 'recursive') return [at(a.node, 'an alias inside the node its anchor names (a recursive alias); expected an alias to a complete earlier node', a.path)];
    total += a.copies;
    if (total > MAX_ALIAS_NODES) {
      return [at(a.node, `aliases copy more than ${MAX_ALIAS_NODES} nodes into this file (${total} so far); expected at most ${MAX_ALIAS_NODES} in all`, a.path)];
    }
  }
  return [];
};

export const STRUCTURE_CHECKS: Record<string, Check> = {
  nestingBounded,
  aliasesBounded,
  keysArePlain,
  keysUnique,
  noPrototypeKeys,
  noControlCharacters,
};

/** Every structural problem of `doc`, positioned by `at` (given a syntax node). */
export function checkStructure(doc: Document, at: At): Diagnostic[] {
  const w = walk(doc);
  return Object.values(STRUCTURE_CHECKS).flatMap((check) => check(w, at));
}
