// A per-user cache of parsed YAML files. Parsing is the largest part of bosun's start-up: the etcd
// roles' 70 KB of YAML cost ~0.3 s of CPU per run through the `yaml` package, a cached copy ~5 ms
// of JSON.parse. An entry holds the converted value and the source positions of every mapping, key
// and sequence item, so error messages still point at file:line:col.
//
// What is never cached: vault files and files with `!vault` values (decrypted values must not reach
// the disk), files other users cannot read (a 0600 group_vars file may hold plain-text secrets; a
// cache copy would outlive the original), values JSON cannot carry exactly (binary, .inf, -0), and
// `__proto__` keys. The directory must be the user's own and private (0700), or it is not used.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceLocation } from '../errors.js';
import { privateCacheDir, writeCacheEntry } from '../cache-dir.js';

/** Bump when the entry format or the conversion rules in yaml.ts change. */
const FORMAT = 'bosun-yaml-cache-1';
/** The cache keeps the most recently written entries up to this many (an edited file leaves its old entry). */
const MAX_ENTRIES = 1000;
/** Bigger files are parsed every time: their entries would crowd out the rest. */
const MAX_TEXT = 1 << 20;

/** [line, col] of a value or key; absent positions are null. */
type Pos = [number, number] | null;
/** A cached value tree: scalars as they are, mappings and sequences with their positions. */
type Entry =
  | { s: string | number | boolean | null }
  | { m: Pos; k: Record<string, Pos>; c: Record<string, Entry> }
  | { q: Pos; i: Pos[]; c: Entry[] };

export interface Located {
  loc: SourceLocation;
  keys: Map<string, SourceLocation>;
}

let dirChecked: string | null | undefined;

/** The cache directory, created 0700 on first use; null when caching is off or not private. */
function cacheDir(): string | null {
  if (dirChecked === undefined) dirChecked = privateCacheDir('yaml', 'BOSUN_YAML_CACHE');
  return dirChecked;
}

/** The entry name of `file` with this exact text, parsed by this parser build (computed once per load). */
export function cacheKey(file: string, text: string, version: string): string {
  return createHash('sha256').update(`${FORMAT}\0${version}\0${file}\0`).update(text).digest('hex');
}

/** May this file's parse be written to disk? (see the header) */
export function cacheable(file: string, text: string): boolean {
  if (text.length > MAX_TEXT) return false;
  if (text.includes('!vault') || text.includes('$ANSIBLE_VAULT') || text.includes('$BOSUN_VAULT')) return false;
  try {
    return (statSync(file).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

function pos(l: SourceLocation | undefined): Pos {
  return l?.line !== undefined && l.col !== undefined ? [l.line, l.col] : null;
}

class NotCacheable extends Error {}

function encode(v: unknown, located: (o: object) => Located | undefined): Entry {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return { s: v };
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Object.is(v, -0)) throw new NotCacheable();
    return { s: v };
  }
  if (Array.isArray(v)) {
    const r = located(v);
    return { q: pos(r?.loc), i: v.map((_, i) => pos(r?.keys.get(String(i)))), c: v.map((x) => encode(x, located)) };
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const r = located(v);
    const k: Record<string, Pos> = {};
    const c: Record<string, Entry> = {};
    for (const [key, x] of Object.entries(v)) {
      if (key === '__proto__') throw new NotCacheable();
      // keys brought in by a merge (`<<`) have no position of their own: keyLoc falls back to the mapping's
      if (r?.keys.has(key)) k[key] = pos(r.keys.get(key));
      c[key] = encode(x, located);
    }
    return { m: pos(r?.loc), k, c };
  }
  throw new NotCacheable(); // binary, dates, anything JSON would not give back as it was
}

function decode(e: Entry, file: string, register: (o: object, r: Located) => void): unknown {
  const at = (p: Pos): SourceLocation => (p ? { file, line: p[0], col: p[1] } : { file });
  if ('s' in e) return e.s;
  if ('q' in e) {
    const arr = e.c.map((x) => decode(x, file, register));
    register(arr, { loc: at(e.q), keys: new Map(e.i.map((p, i) => [String(i), at(p)])) });
    return arr;
  }
  const obj: Record<string, unknown> = {};
  const keys = new Map<string, SourceLocation>();
  for (const [key, x] of Object.entries(e.c)) {
    obj[key] = decode(x, file, register);
    if (Object.hasOwn(e.k, key)) keys.set(key, at(e.k[key] ?? null));
  }
  register(obj, { loc: at(e.m), keys });
  return obj;
}

/** The cached value of `file` with this exact text, its positions re-registered; undefined on a miss. */
export function readCached(file: string, key: string, register: (o: object, r: Located) => void): { value: unknown } | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  let raw: string;
  try {
    raw = readFileSync(join(dir, key), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return { value: decode(JSON.parse(raw) as Entry, file, register) };
  } catch {
    return undefined; // a torn or foreign entry: parse again (and overwrite it)
  }
}

/** Stores a parse; silently does nothing when the value or the file may not be cached. */
export function writeCached(key: string, value: unknown, located: (o: object) => Located | undefined): void {
  const dir = cacheDir();
  if (!dir) return;
  let json: string;
  try {
    json = JSON.stringify(encode(value, located));
  } catch (e) {
    if (e instanceof NotCacheable || e instanceof RangeError) return;
    throw e;
  }
  writeCacheEntry(dir, key, json, MAX_ENTRIES);
}
