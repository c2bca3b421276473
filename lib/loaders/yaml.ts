// YAML loading that keeps source positions, so every later error (unknown module, bad argument,
// undefined variable) can point at file:line:col, not only YAML's own syntax errors.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, isAlias, type Node, type Document, type ScalarTag, type Tags } from 'yaml';
import { ParseError, MissingFileError, type SourceLocation } from '../errors.js';
import { decryptVault, isVaulted, maybeDecryptFile, registerSecret } from '../vault/vault.js';
import { cacheKey, cacheable, readCached, writeCached } from './yaml-cache.js';
import { moduleStamp } from '../cache-dir.js';

/** `!vault |` scalars stay text while parsing; convert() decrypts them where their position is known. */
const MAX_ALIAS_NODES = 100_000;

const VAULT_TAG: ScalarTag = { tag: '!vault', resolve: (s: string) => s };

// Ansible reads YAML with PyYAML, i.e. YAML 1.1: `no`/`yes`/`on`/`off` are booleans, `0644` is octal,
// `1:30` is 90. yaml's 1.1 schema is close but wider than PyYAML's resolver in three places, narrowed
// here so a value means what it means to Ansible: `y`/`n` stay strings, a float's exponent needs a dot
// and a sign (`1e3` is a string), a lone `.` is a string, and dates stay strings (PyYAML makes a date, printed back as written).
const BOOL = 'tag:yaml.org,2002:bool';
const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
function pyyamlTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const t of tags) {
    if (typeof t === 'string') out.push(t);
    else if (t.tag === 'tag:yaml.org,2002:timestamp') continue;
    else if (t.tag === BOOL && 'test' in t && t.test) out.push({ ...t, test: t.test.test('yes') ? PY_TRUE : PY_FALSE } as ScalarTag);
    else if (t.tag === 'tag:yaml.org,2002:float' && 'format' in t && t.format === 'EXP') out.push({ ...t, test: /^[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+$/ } as ScalarTag);
    // PyYAML's float needs a digit next to the dot: `.` (a directory, `dir: .`) and `-.` stay strings
    else if (t.tag === 'tag:yaml.org,2002:float' && 'test' in t && t.test && t.test.test('.')) out.push({ ...t, test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/ } as ScalarTag);
    else out.push(t);
  }
  out.push(VAULT_TAG);
  return out;
}

/** A parsed file: plain JS value plus a way to find where any sub-value was written. */
export interface LoadedYaml {
  file: string;
  value: unknown;
  /** Location of a value object/array/scalar-in-parent obtained from `value` (by identity), or of a key path. */
  locOf(obj: unknown): SourceLocation | undefined;
  /** Location of `key` inside mapping `obj` (the key itself). */
  keyLoc(obj: unknown, key: string): SourceLocation | undefined;
}

const registry = new WeakMap<object, { file: string; loc: SourceLocation; keys: Map<string, SourceLocation> }>();

/** Location registered for a loaded mapping/sequence, independent of which LoadedYaml it came from. */
export function locOf(obj: unknown): SourceLocation | undefined {
  if (obj && typeof obj === 'object') return registry.get(obj)?.loc;
  return undefined;
}
export function keyLoc(obj: unknown, key: string): SourceLocation | undefined {
  if (obj && typeof obj === 'object') {
    const r = registry.get(obj);
    return r?.keys.get(key) ?? r?.loc;
  }
  return undefined;
}

/** A copy of a loaded mapping that keeps its positions (a templated include rewritten with rendered values). */
export function withLocations<T extends object>(from: object, copy: T): T {
  const r = registry.get(from);
  if (r) registry.set(copy, r);
  return copy;
}

/** Per file loaded, whether its text may be kept in a cache (yaml-cache.ts `cacheable`: no vault data, readable by all). */
const cacheableFiles = new Map<string, boolean>();

/**
 * Whether text written in `file` (as last loaded by loadYamlFile) may be kept, or anything derived
 * from it: false for a file with vault data or that only some users can read, and for text that did
 * not come from loadYamlFile (`-e`, inline YAML).
 */
export function cacheableSource(file: string): boolean {
  return cacheableFiles.get(file) === true;
}

export function loadYamlFile(file: string, what = 'file'): LoadedYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MissingFileError(`${what} not found: ${file}`, { loc: { file }, cause: e });
  }
  const key = cacheable(file, text) ? cacheKey(file, text, parserVersion()) : undefined;
  if (cacheableFiles.size >= 10_000) cacheableFiles.clear();
  cacheableFiles.set(file, key !== undefined);
  if (key) {
    const hit = readCached(file, key, (o, r) => registry.set(o, { file, ...r }));
    if (hit) return { file, value: hit.value, locOf, keyLoc };
  }
  const y = parseYaml(text, file);
  if (key) writeCached(key, y.value, (o) => registry.get(o));
  return y;
}

let version: string | undefined;
/** Changes whenever this converter or the yaml package is rebuilt or reinstalled: a cache entry never outlives the code that made it. */
function parserVersion(): string {
  if (version === undefined) {
    version = `${moduleStamp(import.meta.url)}:${moduleStamp(import.meta.resolve('yaml'))}`;
  }
  return version;
}

export function parseYaml(text: string, file: string): LoadedYaml {
  // A whole-file vault (vars files, group_vars, -e @file, even a playbook): every string in it is secret.
  const wholeVault = isVaulted(text);
  if (wholeVault) text = maybeDecryptFile(text, file);
  if (text.includes('\u0000')) throw new ParseError('not a text file (contains NUL bytes); expected YAML', { loc: { file, line: 1, col: 1 } });
  const lc = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: true, strict: true, version: '1.1', customTags: pyyamlTags });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const msg = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '');
    throw new ParseError(`YAML syntax error: ${msg}`, { loc: { file, line: pos?.line, col: pos?.col } });
  }
  const at = (n: Node | null | undefined): SourceLocation => {
    const off = n?.range?.[0];
    if (off === undefined) return { file };
    const p = lc.linePos(off);
    return { file, line: p.line, col: p.col };
  };
  // Each alias is expanded into a copy; nested aliases of aliases grow exponentially ("billion
  // laughs"), so count the nodes made inside expansions and stop long before memory or time runs out.
  let aliasDepth = 0;
  let expanded = 0;
  let outerAlias: Node | undefined;
  const convert = (n: unknown): unknown => {
    if (n === null || n === undefined) return null;
    if (aliasDepth > 0 && ++expanded > MAX_ALIAS_NODES) {
      throw new ParseError(`YAML aliases expand to more than ${MAX_ALIAS_NODES} values (aliases of aliases?)`, { loc: at(outerAlias) });
    }
    if (isAlias(n)) {
      const target = n.resolve(doc);
      if (target === undefined) throw new ParseError(`YAML alias *${n.source} has no anchor`, { loc: at(n as Node) });
      if (aliasDepth++ === 0) outerAlias = n as Node;
      try {
        return convert(target);
      } finally {
        aliasDepth--;
      }
    }
    if (isScalar(n)) {
      if (n.tag === '!vault') {
        // The node's range starts at the `|`; point at the tag, which is what the user wrote first.
        const off = n.range?.[0];
        const tagOff = off === undefined ? -1 : text.lastIndexOf('!vault', off);
        const loc = tagOff >= 0 && off !== undefined && off - tagOff < 256 ? { file, ...lc.linePos(tagOff) } : at(n);
        if (typeof n.value !== 'string' || !isVaulted(n.value)) {
          throw new ParseError('!vault must tag vault data (a `!vault |` block from `bosun vault encrypt_string`)', { loc });
        }
        const plain = decryptVault(n.value, loc);
        registerSecret(plain);
        return plain;
      }
      return n.value;
    }
    if ((isMap(n) || isSeq(n)) && n.tag === '!vault') {
      throw new ParseError('!vault must tag vault data (a `!vault |` block from `bosun vault encrypt_string`), not a collection', { loc: at(n) });
    }
    if (isMap(n)) {
      const obj: Record<string, unknown> = {};
      const keys = new Map<string, SourceLocation>();
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const k = isScalar(item.key) ? item.key.value : item.key;
        if (k !== null && typeof k === 'object') {
          throw new ParseError('mapping keys must be plain scalars', { loc: at(item.key as Node) });
        }
        // YAML 1.1 resolves `<<` to yaml's merge symbol
        const key = typeof k === 'symbol' ? '<<' : String(k);
        if (key === '<<') {
          // merge key: shallow-merge referenced maps without overriding explicit keys
          const src = convert(item.value);
          const list = Array.isArray(src) ? src : [src];
          for (const s of list) if (s && typeof s === 'object') for (const [mk, mv] of Object.entries(s)) if (!(mk in obj)) obj[mk] = mv;
          continue;
        }
        // Checked here, not by yaml's uniqueKeys: that compares each key with every earlier one
        // (quadratic: minutes for a 100,000-key vars file).
        if (keys.has(key)) throw new ParseError('YAML syntax error: Map keys must be unique', { loc: at(item.key as Node) });
        keys.set(key, at(item.key as Node));
        obj[key] = convert(item.value);
      }
      registry.set(obj, { file, loc: at(n), keys });
      return obj;
    }
    if (isSeq(n)) {
      const arr = n.items.map((i) => convert(i));
      registry.set(arr, { file, loc: at(n), keys: new Map() });
      // register items' positions through a parallel key map "0","1",...
      const keys = registry.get(arr)!.keys;
      n.items.forEach((i, idx) => keys.set(String(idx), at(i as Node)));
      return arr;
    }
    return null;
  };
  let value: unknown;
  try {
    value = convert(doc.contents);
  } catch (e) {
    if (e instanceof RangeError) throw new ParseError(`YAML nesting too deep (${e.message})`, { loc: { file, line: 1, col: 1 } });
    throw e;
  }
  if (wholeVault) registerSecret(value);
  return { file, value, locOf, keyLoc };
}
