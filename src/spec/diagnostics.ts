// Diagnostics for bad input: every problem names file:line:col, the offending key path and what was expected.
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import { visibleControls } from '../report/escape.js';
import { countWork } from './work.js';
import { yaml } from './yaml-lazy.js';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** dotted/indexed key path, e.g. cases[3].expect.hpux.fails; empty for the document itself */
  path: string;
  message: string;
}

/** One line per problem on a terminal: keys and values quoted in messages come from the file and may hold control
 * characters, so they are made visible (\x1b), never written raw. */
export function formatDiagnostic(d: Diagnostic): string {
  return visibleControls(`${d.file}:${d.line}:${d.col}: ${d.path ? `${d.path}: ` : ''}${d.message}`).replace(/[\n\r]/g, ' ');
}

/** Thrown when input is bad; the CLI prints every diagnostic and exits 2. */
export class InputError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
  }
}

export type PathKey = string | number;

export function formatPath(path: readonly PathKey[]): string {
  return path
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join('');
}

/** Locates key paths of one parsed YAML document in its source text. Each map's keys are indexed once, the first
 * time a path goes through it, so a lookup costs its path length, not the size of the maps on the way (a file with
 * 40,000 unknown keys asks 40,000 times). */
export class SourceMap {
  private readonly index = new WeakMap<YAMLMap, Map<string, Pair>>();

  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of the value at `path`; with `key`, of that key inside the map at `path`. Falls back to the
   * nearest ancestor that exists, so a missing key is reported where it should have been. */
  at(path: readonly PathKey[], message: string, key?: string): Diagnostic {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const k of path) {
      const child = this.childOf(node, k);
      if (child === undefined) break;
      node = child.value ?? child.key;
      offset = rangeStart(child.value) ?? rangeStart(child.key) ?? offset;
    }
    if (key !== undefined && yaml().isMap(node)) offset = rangeStart(this.pairs(node).get(key)?.key) ?? offset;
    const fullPath = key !== undefined ? [...path, key] : path;
    return this.atOffset(offset, message, formatPath(fullPath));
  }

  /** Position of a syntax node itself (for checks made on the syntax tree, before there is data with paths). */
  atNode(node: unknown, message: string, path = ''): Diagnostic {
    return this.atOffset(rangeStart(node) ?? 0, message, path);
  }

  private atOffset(offset: number, message: string, path: string): Diagnostic {
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, col: pos.col, path, message };
  }

  /** The pairs of a map by key text; the first pair wins, as it did with a linear search. */
  private pairs(map: YAMLMap): Map<string, Pair> {
    let byKey = this.index.get(map);
    if (byKey === undefined) {
      byKey = new Map();
      for (const p of map.items as Pair[]) {
        countWork();
        const k = yaml().isScalar(p.key) ? String(p.key.value) : undefined;
        if (k !== undefined && !byKey.has(k)) byKey.set(k, p);
      }
      this.index.set(map, byKey);
    }
    return byKey;
  }

  private childOf(node: unknown, k: PathKey): { key?: unknown; value: unknown } | undefined {
    countWork();
    if (yaml().isMap(node)) {
      const pair = this.pairs(node).get(String(k));
      return pair ? { key: pair.key, value: pair.value } : undefined;
    }
    if (yaml().isSeq(node) && typeof k === 'number') {
      const item = node.items[k];
      return item === undefined ? undefined : { value: item };
    }
    return undefined;
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | undefined)?.range;
  return r ? r[0] : undefined;
}
