// Diagnostics for bad input: every problem names file:line:col, the offending key path and what was expected.
import { isMap, isScalar, isSeq, LineCounter, type Document, type Node, type Pair } from 'yaml';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** dotted/indexed key path, e.g. cases[3].expect.hpux.fails; empty for the document itself */
  path: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path ? `${d.path}: ` : ''}${d.message}`;
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

/** Locates key paths of one parsed YAML document in its source text. */
export class SourceMap {
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
      const child = childOf(node, k);
      if (child === undefined) break;
      node = child.value ?? child.key;
      offset = rangeStart(child.value) ?? rangeStart(child.key) ?? offset;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      offset = rangeStart(pair?.key) ?? offset;
    }
    const pos = this.lines.linePos(offset);
    const fullPath = key !== undefined ? [...path, key] : path;
    return { file: this.file, line: pos.line, col: pos.col, path: formatPath(fullPath), message };
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as Node | undefined)?.range;
  return r ? r[0] : undefined;
}

function childOf(node: unknown, k: PathKey): { key?: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = (node.items as Pair[]).find((p) => isScalar(p.key) && String(p.key.value) === String(k));
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof k === 'number') {
    const item = node.items[k];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}
