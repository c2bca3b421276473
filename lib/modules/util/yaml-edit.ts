// Structured edit of one YAML document (yaml_keys): set some keys, keep everything else — the
// operator's other keys, their order, comments and blank lines — through the `yaml` package's
// Document API. Pure (text in, text out), so it is tested without a host.

import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Node, type Pair, type YAMLMap } from 'yaml';
import { isPlainObject } from '../../value-kind.js';

export interface YamlEdit {
  /** Keys to set; a mapping value is merged into an existing mapping key by key, anything else replaces. */
  set?: Record<string, unknown>;
  /** Keys set only where they are missing (never replaced). */
  defaults?: Record<string, unknown>;
  /** Dotted paths of mappings that keep only the keys named at that path in `set` or `defaults`. */
  exclusive?: readonly string[];
}

export interface YamlEditResult {
  /** The new text; the input itself when nothing changed. */
  text: string;
  /** Dotted key paths that were added, replaced (`path`) or removed (`-path`), in edit order. */
  changed: string[];
  /** The resulting document as plain data. */
  value: Record<string, unknown>;
}

/** A file that is not an editable YAML mapping; `line`/`col` (1-based) point into it when known. */
export class YamlEditError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
    this.name = 'YamlEditError';
  }
}

/** Parses `text` (empty or comments only = an empty mapping) into one document whose top is a mapping. */
export function parseMappingDocument(text: string): Document {
  const list = parseAllDocuments(text);
  if (list.length > 1) throw new YamlEditError(`holds ${list.length} YAML documents; yaml_keys edits a file with one`);
  const doc = list[0];
  if (!doc) {
    // Nothing but comments (or nothing at all): an empty mapping under those comments.
    const fresh = new Document({});
    const comment = (list as unknown as { comment?: string }).comment;
    if (comment) fresh.commentBefore = comment;
    return fresh;
  }
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw new YamlEditError(`invalid YAML: ${err.message.split('\n')[0]}`, pos?.line, pos?.col);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    // `settings:`-less empty file or a lone comment: keep the comments, start an empty mapping.
    doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  }
  if (!isMap(doc.contents)) {
    const what = isSeq(doc.contents) ? 'a list' : 'a scalar';
    const pos = doc.contents?.range ? lineCol(text, doc.contents.range[0]) : undefined;
    throw new YamlEditError(`its top level is ${what}, not a mapping`, pos?.line, pos?.col);
  }
  return doc;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  return String(isScalar(k) ? k.value : k);
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => keyOf(p) === key);
}

function plain(node: unknown, doc: Document): unknown {
  if (node === null || node === undefined) return null;
  return isNode(node) ? node.toJS(doc) : node;
}

/** A new node for `value` that keeps the comments and spacing of the node it replaces. */
function replacement(doc: Document, old: unknown, value: unknown): Node {
  const node = doc.createNode(value) as Node;
  if (isNode(old)) {
    const o = old;
    if (o.comment) node.comment = o.comment;
    if (o.commentBefore) node.commentBefore = o.commentBefore;
    if (o.spaceBefore) node.spaceBefore = o.spaceBefore;
  }
  return node;
}

function merge(doc: Document, map: YAMLMap, want: Record<string, unknown>, path: string[], onlyMissing: boolean, changed: string[]): void {
  for (const [key, value] of Object.entries(want)) {
    const here = [...path, key];
    const pair = findPair(map, key);
    if (!pair) {
      map.items.push(doc.createPair(key, value) as Pair);
      changed.push(here.join('.'));
      continue;
    }
    if (isPlainObject(value) && isMap(pair.value)) {
      merge(doc, pair.value, value, here, onlyMissing, changed);
      continue;
    }
    if (onlyMissing && pair.value !== null && !(isScalar(pair.value) && pair.value.value === null)) continue;
    if (isDeepStrictEqual(plain(pair.value, doc), value)) continue;
    pair.value = replacement(doc, pair.value, value);
    changed.push(here.join('.'));
  }
}

/** The mapping at a dotted path, or undefined when the path is missing or not a mapping. */
function mapAt(doc: Document, path: string[]): YAMLMap | undefined {
  let cur: unknown = doc.contents;
  for (const k of path) {
    if (!isMap(cur)) return undefined;
    cur = findPair(cur, k)?.value;
  }
  return isMap(cur) ? cur : undefined;
}

function wantedAt(want: Record<string, unknown> | undefined, path: string[]): Record<string, unknown> | undefined {
  let cur: unknown = want;
  for (const k of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return isPlainObject(cur) ? cur : undefined;
}

/**
 * Applies the edit to `text` (undefined = the file does not exist yet). Throws YamlEditError for a
 * file that is not one YAML mapping. Nothing else of the document is rewritten: when no key
 * changes, the text comes back byte for byte.
 */
export function editYaml(text: string | undefined, edit: YamlEdit): YamlEditResult {
  const doc = parseMappingDocument(text ?? '');
  const root = doc.contents as YAMLMap;
  const changed: string[] = [];
  if (edit.defaults) merge(doc, root, edit.defaults, [], true, changed);
  if (edit.set) merge(doc, root, edit.set, [], false, changed);
  for (const dotted of edit.exclusive ?? []) {
    const path = dotted.split('.');
    const map = mapAt(doc, path);
    if (!map) continue;
    const keep = new Set([...Object.keys(wantedAt(edit.set, path) ?? {}), ...Object.keys(wantedAt(edit.defaults, path) ?? {})]);
    for (const pair of [...(map.items as Pair[])]) {
      const k = keyOf(pair);
      if (keep.has(k)) continue;
      map.items.splice(map.items.indexOf(pair), 1);
      changed.push(`-${[...path, k].join('.')}`);
    }
  }
  const value = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (text !== undefined && changed.length === 0) return { text, changed, value };
  // lineWidth 0: long values (a long etcd-servers entry) are never folded onto a second line.
  return { text: doc.toString({ lineWidth: 0 }), changed, value };
}
