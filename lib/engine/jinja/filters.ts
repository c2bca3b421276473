// The filter table: Jinja's builtin filters and Ansible's. This is the extension point — add an
// entry to FILTERS (or call registerFilter) and `{{ x | name(args) }}`, `map('name')` and
// --syntax-check all know it. A filter gets the evaluated value (undefined values only when
// `undefinedOk`), positional and keyword arguments, and a ctx to fail with the filter's position.
import { createHash } from 'node:crypto';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { homedir } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { parse as yamlParse, parseAllDocuments } from 'yaml';
import type { Evaluator } from './evaluator.js';
import { markFresh } from './values.js';
import { PyFloat, isFloat, isNum, pyFloat, Undef, tuple, isTuple, define, isForbidden, isPlainObject, iterItems, ownGet, pyCompare, pyEquals, pyRepr, pyStr, truthy, typeName } from './values.js';
import { compileRegex, RegexError, type RegexFlags } from './regex.js';
import { percentFormat } from './pyformat.js';
import { pySplit } from './methods.js';
import { pyJson } from './pyjson.js';
import { pyYaml } from './pyyaml.js';
import { passwordHash } from './crypt.js';

export interface FilterCtx {
  ev: Evaluator;
  /** the filter's (or test's) name, as written */
  name: string;
  pos: number;
  fail(msg: string): never;
}

export type FilterFn = (ctx: FilterCtx, value: unknown, args: unknown[], kw: Record<string, unknown>) => unknown;
export interface FilterDef {
  fn: FilterFn;
  /** receives an undefined value instead of failing on it (default, mandatory) */
  undefinedOk?: boolean;
}

// --- argument helpers -------------------------------------------------------------------------

/** Positional-or-keyword argument `i`/`name`, else `dflt`. */
function arg(args: unknown[], kw: Record<string, unknown>, i: number, name: string, dflt?: unknown): unknown {
  if (i < args.length) return args[i];
  if (Object.hasOwn(kw, name)) return kw[name];
  return dflt;
}

function str(ctx: FilterCtx, v: unknown): string {
  if (typeof v !== 'string') return ctx.fail(`expects a string, got ${typeName(v)}`);
  return v;
}

function list(ctx: FilterCtx, v: unknown): unknown[] {
  const l = iterItems(v);
  if (!l) return ctx.fail(`expects a list, got ${typeName(v)}`);
  return l;
}

function num(ctx: FilterCtx, v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return ctx.fail(`expects a number, got ${typeName(v)}`);
}

/** `attribute='a.b.0'` as Jinja's make_attrgetter: dotted path, integer steps index lists. */
function attrGetter(ctx: FilterCtx, attribute: unknown, dflt?: unknown): (x: unknown) => unknown {
  const parts = typeof attribute === 'number' ? [attribute] : pyStr(attribute).split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (const p of parts) if (typeof p === 'string' && isForbidden(p)) ctx.fail(`access to '${p}' is not allowed`);
  return (x: unknown) => {
    let cur = x;
    for (const p of parts) {
      const r = ownGet(cur, p);
      if (!r.found) {
        if (dflt !== undefined) return dflt;
        return ctx.fail(`${typeName(cur)} object has no attribute '${p}'`);
      }
      cur = r.value;
    }
    return cur;
  };
}

function sortKey(caseSensitive: boolean): (x: unknown) => unknown {
  return (x) => (!caseSensitive && typeof x === 'string' ? x.toLowerCase() : x);
}

function order(ctx: FilterCtx, a: unknown, b: unknown): number {
  const c = pyCompare(a, b);
  if (typeof c === 'string') return ctx.fail(`'<' ${c}`);
  return c;
}

function regexFlags(kw: Record<string, unknown>): RegexFlags {
  return { ignorecase: truthy(kw.ignorecase), multiline: truthy(kw.multiline), dotall: truthy(kw.dotall) };
}

function regex(ctx: FilterCtx, pattern: unknown, flags: RegexFlags) {
  if (typeof pattern !== 'string') return ctx.fail(`expects a pattern string, got ${typeName(pattern)}`);
  try {
    return compileRegex(pattern, flags);
  } catch (e) {
    if (e instanceof RegexError) return ctx.fail(`invalid regular expression '${pattern}': ${e.message}`);
    throw e;
  }
}

/** Ansible's to_bool. */
export function toBool(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'boolean') return v ?? null;
  const x = typeof v === 'string' ? v.toLowerCase() : v;
  return x === 'yes' || x === 'on' || x === '1' || x === 'true' || x === 1;
}

/** Python int(): '42', ' 42 ', '0x1F' with base 0/16, floats truncate; failure → default. */
function toInt(v: unknown, dflt: unknown, base: number): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNum(v)) return Number.isFinite(Number(v)) ? Math.trunc(Number(v)) : dflt;
  if (typeof v !== 'string') return dflt;
  const s = v.trim().replace(/(\d)_(?=\d)/g, '$1');
  const prefixes: Record<string, number> = { '0x': 16, '0o': 8, '0b': 2 };
  const m = /^([+-]?)(0[xob])?([0-9a-z]+)$/i.exec(s);
  if (m) {
    const p = m[2]?.toLowerCase();
    let b = base;
    if (p) {
      if (base === 0 || base === prefixes[p]) b = prefixes[p]!;
      else if (base !== 10 || true) b = -1;
    } else if (base === 0) b = /^0+$/.test(m[3]!) || !m[3]!.startsWith('0') ? 10 : -1;
    if (b > 0) {
      const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
      if ([...m[3]!.toLowerCase()].every((c) => digits.includes(c))) {
        const n = parseInt(m[3]!, b);
        return m[1] === '-' ? -n : n;
      }
    }
  }
  // Jinja's int filter falls back to float(): '3.7' → 3
  if (base === 10 && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Math.trunc(Number(s));
  return dflt;
}

function toFloat(v: unknown, dflt: unknown): unknown {
  if (isNum(v)) return pyFloat(Number(v));
  if (typeof v === 'boolean') return pyFloat(v ? 1 : 0);
  if (typeof v === 'string') {
    const s = v.trim().replace(/(\d)_(?=\d)/g, '$1');
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return pyFloat(Number(s));
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(s)) return NaN;
  }
  return dflt;
}

function flatten(l: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of l) {
    if (skipNulls && (x === null || x === 'None')) continue;
    if (Array.isArray(x) && (levels === undefined || levels > 0)) out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

function dedupe(l: unknown[], key: (x: unknown) => unknown = (x) => x): unknown[] {
  const out: unknown[] = [];
  const seen: unknown[] = [];
  for (const x of l) {
    const k = key(x);
    if (!seen.some((y) => pyEquals(y, k))) {
      seen.push(k);
      out.push(x);
    }
  }
  return out;
}

/** Ansible's combine: later dicts win; recursive merges nested dicts; list_merge decides lists. */
function combine(ctx: FilterCtx, a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    if (recursive && isPlainObject(old) && isPlainObject(v)) define(out, k, combine(ctx, old, v, true, listMerge));
    else if (Array.isArray(old) && Array.isArray(v) && listMerge !== 'replace') {
      if (listMerge === 'keep') continue;
      if (listMerge === 'append') define(out, k, [...old, ...v]);
      else if (listMerge === 'prepend') define(out, k, [...v, ...old]);
      else if (listMerge === 'append_rp') define(out, k, [...old.filter((x) => !v.some((y) => pyEquals(x, y))), ...v]);
      else if (listMerge === 'prepend_rp') define(out, k, [...v, ...old.filter((x) => !v.some((y) => pyEquals(x, y)))]);
      else ctx.fail(`list_merge must be replace, keep, append, prepend, append_rp or prepend_rp, not '${listMerge}'`);
    } else define(out, k, v);
  }
  return out;
}

function hashOf(ctx: FilterCtx, v: unknown, algo: string): string {
  const a = algo === 'sha' ? 'sha1' : algo;
  try {
    return createHash(a).update(pyStr(v), 'utf8').digest('hex');
  } catch {
    return ctx.fail(`unsupported hash type '${algo}'`);
  }
}

/** Python's textwrap-free wordwrap as Jinja's (break_long_words, no hyphen splitting). */
function wordwrap(s: string, width: number, breakLong: boolean, wrapstring: string, breakOnHyphens: boolean): string {
  return s
    .split(/\r?\n/)
    .map((para) => {
      const words = para.split(/[ \t]+/).filter(Boolean);
      const lines: string[] = [];
      let line = '';
      for (let w of words) {
        void breakOnHyphens;
        while (breakLong && w.length > width) {
          const room = line ? width - line.length - 1 : width;
          if (room <= 0) {
            lines.push(line);
            line = '';
            continue;
          }
          lines.push(line ? line + ' ' + w.slice(0, room) : w.slice(0, room));
          line = '';
          w = w.slice(room);
        }
        if (!line) line = w;
        else if (line.length + 1 + w.length <= width) line += ' ' + w;
        else {
          lines.push(line);
          line = w;
        }
      }
      if (line) lines.push(line);
      return lines.join(wrapstring);
    })
    .join(wrapstring);
}

function fileSize(v: number, binary: boolean): string {
  const base = binary ? 1024 : 1000;
  const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (v === 1) return '1 Byte';
  if (v < base) return `${v} Bytes`;
  let unit = base;
  let i = 0;
  for (; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    if (v < unit) break;
  }
  return `${((base * v) / unit).toFixed(1)} ${prefixes[Math.min(i, prefixes.length - 1)]}`;
}

const HUMAN_UNITS = ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];

function humanReadable(ctx: FilterCtx, v: unknown, isBits: boolean, unit: unknown): string {
  const f = toFloat(v, undefined);
  if (!isNum(f)) return ctx.fail(`human_readable() can't interpret ${pyRepr(v)}`);
  const n = Number(f);
  const suffix = isBits ? 'b' : 'B';
  let i = 0;
  if (unit) i = Math.max(0, HUMAN_UNITS.indexOf(pyStr(unit)[0]!.toUpperCase()));
  else while (i < HUMAN_UNITS.length - 1 && Math.abs(n) >= 1024 ** (i + 1)) i++;
  const val = n / 1024 ** i;
  return `${val.toFixed(2)} ${HUMAN_UNITS[i]}${i === 0 && !isBits ? 'Bytes' : i === 0 ? 'bits' : suffix}`;
}

function humanToBytes(ctx: FilterCtx, v: unknown, defaultUnit: unknown, isBits: boolean): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([KMGTPEZY]?)(i?[Bb](?:ytes?|its?)?)?\s*$/i.exec(pyStr(v)) ?? (defaultUnit ? /^\s*(-?\d+(?:\.\d+)?)()()\s*$/.exec(pyStr(v)) : null);
  if (!m) return ctx.fail(`human_to_bytes() can't interpret ${pyRepr(v)}`);
  let unit = m[2]!.toUpperCase();
  if (!m[2] && !m[3] && defaultUnit) unit = pyStr(defaultUnit)[0]!.toUpperCase();
  if (m[3] && /b/.test(m[3]) !== isBits && m[3].length === 1) return ctx.fail(`human_to_bytes() failed on bit/byte suffix of ${pyRepr(v)}`);
  return Math.round(Number(m[1]) * 1024 ** Math.max(0, HUMAN_UNITS.indexOf(unit)));
}

function mapOrAttr(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const l = list(ctx, v);
  if (args.length === 0 && Object.hasOwn(kw, 'attribute')) {
    const get = attrGetter(ctx, kw.attribute, kw.default);
    return l.map(get);
  }
  if (args.length === 0) return ctx.fail("needs a filter name or attribute='…'");
  const name = pyStr(args[0]);
  const rest = args.slice(1);
  return l.map((x) => ctx.ev.applyFilter(name, x, rest, kw, ctx.pos));
}

function selectOrReject(ctx: FilterCtx, v: unknown, args: unknown[], select: boolean, byAttr: boolean): unknown[] {
  const l = list(ctx, v);
  let get = (x: unknown): unknown => x;
  let a = args;
  if (byAttr) {
    if (!a.length) return ctx.fail('needs an attribute name');
    get = attrGetter(ctx, a[0], byAttr ? new Undef('attribute', ctx.pos, false) : undefined);
    a = a.slice(1);
  }
  const test = (x: unknown): boolean => {
    const y = get(x);
    if (!a.length) return !(y instanceof Undef) && truthy(y);
    const name = pyStr(a[0]);
    if (y instanceof Undef && name !== 'defined' && name !== 'undefined') return ctx.fail(`${typeName(x)} object has no attribute '${pyStr(args[0])}'`);
    return ctx.ev.applyTest(name, y, a.slice(1), ctx.pos);
  };
  return l.filter((x) => test(x) === select);
}

function items2dict(ctx: FilterCtx, v: unknown, kw: Record<string, unknown>, args: unknown[]): Record<string, unknown> {
  const key = pyStr(arg(args, kw, 0, 'key_name', 'key'));
  const value = pyStr(arg(args, kw, 1, 'value_name', 'value'));
  const out: Record<string, unknown> = {};
  for (const it of list(ctx, v)) {
    if (!isPlainObject(it)) return ctx.fail(`expects a list of dicts, got an item of type ${typeName(it)}`);
    if (!Object.hasOwn(it, key) || !Object.hasOwn(it, value)) return ctx.fail(`an item has no '${key}' or '${value}' key`);
    define(out, pyStr(it[key]), it[value]);
  }
  return out;
}

function zipLists(ls: unknown[][], longest: boolean, fill: unknown): unknown[][] {
  const n = ls.length ? (longest ? Math.max(...ls.map((l) => l.length)) : Math.min(...ls.map((l) => l.length))) : 0;
  return Array.from({ length: n }, (_, i) => tuple(ls.map((l) => (i < l.length ? l[i] : fill))));
}

function product(ls: unknown[][]): unknown[][] {
  return ls.reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]).map(tuple);
}

function combinations(l: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  const out: unknown[][] = [];
  l.forEach((x, i) => {
    for (const rest of combinations(l.slice(i + 1), r - 1)) out.push(tuple([x, ...rest]));
  });
  return out;
}

function permutations(l: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  const out: unknown[][] = [];
  l.forEach((x, i) => {
    for (const rest of permutations([...l.slice(0, i), ...l.slice(i + 1)], r - 1)) out.push(tuple([x, ...rest]));
  });
  return out;
}

/** Jinja's round: 'common' rounds half away from zero (Python's round() is banker's, Jinja's isn't). */
/**
 * Python's round() (Jinja's 'common' method) is correctly rounded on the double's exact decimal
 * value (round(2.675, 2) is 2.67), and an exact tie goes to the even neighbour (round(2.5) is 2).
 * toFixed also works on the exact value, but sends ties up.
 */
function halfEven(v: number, precision: number): number {
  const a = Math.abs(v);
  const digits = a.toFixed(Math.min(100, precision + 70));
  const tie = /^50*$/.test(digits.slice(digits.indexOf('.') + 1 + precision));
  let r = Number(a.toFixed(precision));
  const f = 10 ** precision;
  if (tie && Math.round(r * f) % 2 !== 0) r = Math.round(r * f - 1) / f;
  return Math.sign(v) * r;
}

function roundNum(v: number, precision: number, method: string): number {
  if (method !== 'ceil' && method !== 'floor' && precision >= 0 && precision <= 30 && Number.isFinite(v)) return halfEven(v, precision);
  const f = 10 ** precision;
  const x = v * f;
  const r = method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : Math.sign(x) * Math.round(Math.abs(x));
  return r / f;
}

function urlencode(v: unknown): string {
  const enc = (x: unknown): string => encodeURIComponent(pyStr(x)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%2F/g, '/');
  const plus = (x: unknown): string => enc(x).replace(/\//g, '%2F').replace(/%20/g, '+');
  if (isPlainObject(v)) return Object.entries(v).map(([k, x]) => `${plus(k)}=${plus(x)}`).join('&');
  if (Array.isArray(v)) return v.map((p) => (Array.isArray(p) ? `${enc(p[0]).replace(/\//g, '%2F')}=${enc(p[1]).replace(/\//g, '%2F')}` : enc(p))).join('&');
  return enc(v);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

/** Ansible's `quote`: shlex.quote. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, "'\"'\"'") + "'";
}

function b64decode(ctx: FilterCtx, v: unknown): string {
  const s = pyStr(v).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) return ctx.fail('invalid base64 input');
  return Buffer.from(s, 'base64').toString('utf8');
}

function pathParts(p: string): [string, string] {
  const ext = extname(p);
  return tuple([ext && !basename(p).startsWith('.') ? p.slice(0, -ext.length) : p, basename(p).startsWith('.') && !basename(p).slice(1).includes('.') ? '' : ext]);
}

function subelements(ctx: FilterCtx, v: unknown, key: unknown, skipMissing: boolean): unknown[] {
  const items = isPlainObject(v) ? Object.values(v) : list(ctx, v);
  const out: unknown[] = [];
  for (const it of items) {
    let cur: unknown = it;
    for (const k of pyStr(key).split('.')) {
      const r = ownGet(cur, k);
      if (!r.found) {
        if (skipMissing) {
          cur = undefined;
          break;
        }
        return ctx.fail(`could not find '${key}' key in iterated item ${pyRepr(it)}`);
      }
      cur = r.value;
    }
    if (cur === undefined) continue;
    if (!Array.isArray(cur)) return ctx.fail(`the key ${key} should point to a list, got ${pyRepr(cur)}`);
    for (const x of cur) out.push(tuple([it, x])); // Ansible yields (item, subelement) tuples
  }
  return out;
}

/** The time module's strftime on a JS Date (local time unless utc). */
export function strftime(fmt: string, d: Date, utc = false): string {
  const g = (k: 'FullYear' | 'Month' | 'Date' | 'Hours' | 'Minutes' | 'Seconds' | 'Day' | 'Milliseconds'): number =>
    (d as unknown as Record<string, () => number>)[`get${utc ? 'UTC' : ''}${k}`]!.call(d);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const start = utc ? Date.UTC(g('FullYear'), 0, 1) : new Date(g('FullYear'), 0, 1).getTime();
  const doy = Math.floor(((utc ? Date.UTC(g('FullYear'), g('Month'), g('Date')) : new Date(g('FullYear'), g('Month'), g('Date')).getTime()) - start) / 864e5) + 1;
  return fmt.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case 'Y': return String(g('FullYear'));
      case 'y': return p2(g('FullYear') % 100);
      case 'm': return p2(g('Month') + 1);
      case 'd': return p2(g('Date'));
      case 'e': return String(g('Date')).padStart(2, ' ');
      case 'H': return p2(g('Hours'));
      case 'I': return p2(g('Hours') % 12 || 12);
      case 'M': return p2(g('Minutes'));
      case 'S': return p2(g('Seconds'));
      case 'f': return String(g('Milliseconds') * 1000).padStart(6, '0');
      case 'p': return g('Hours') < 12 ? 'AM' : 'PM';
      case 'a': return days[g('Day')]!.slice(0, 3);
      case 'A': return days[g('Day')]!;
      case 'b': case 'h': return months[g('Month')]!.slice(0, 3);
      case 'B': return months[g('Month')]!;
      case 'j': return String(doy).padStart(3, '0');
      case 'w': return String(g('Day'));
      case 'u': return String(g('Day') || 7);
      case 's': return String(Math.floor(d.getTime() / 1000));
      case 'z': {
        if (utc) return '+0000';
        const off = -d.getTimezoneOffset();
        return (off >= 0 ? '+' : '-') + p2(Math.floor(Math.abs(off) / 60)) + p2(Math.abs(off) % 60);
      }
      case 'Z': return utc ? 'UTC' : (Intl.DateTimeFormat('en', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '');
      case 'F': return `${g('FullYear')}-${p2(g('Month') + 1)}-${p2(g('Date'))}`;
      case 'T': return `${p2(g('Hours'))}:${p2(g('Minutes'))}:${p2(g('Seconds'))}`;
      case 'D': return `${p2(g('Month') + 1)}/${p2(g('Date'))}/${p2(g('FullYear') % 100)}`;
      case 'c': return `${days[g('Day')]!.slice(0, 3)} ${months[g('Month')]!.slice(0, 3)} ${String(g('Date')).padStart(2, ' ')} ${p2(g('Hours'))}:${p2(g('Minutes'))}:${p2(g('Seconds'))} ${g('FullYear')}`;
      case '%': return '%';
    }
    return all;
  });
}

/** uuid5 in Ansible's namespace, as its to_uuid filter. */
function uuid5(name: string, ns = '361E6D51-FAEC-444A-9079-341386DA8E2E'): string {
  const nsBytes = Buffer.from(ns.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(Buffer.concat([nsBytes, Buffer.from(name, 'utf8')])).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** YAML 1.1 as PyYAML reads it: y/n are strings (the yaml package's 1.1 schema makes them booleans). */
const PYYAML = {
  version: '1.1' as const,
  customTags: (tags: TagList): TagList =>
    tags.map((t) => {
      if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool') return t;
      const isTrue = String((t as { test?: RegExp }).test).includes('rue');
      return { ...t, test: isTrue ? /^(?:[Tt]rue|TRUE|[Yy]es|YES|[Oo]n|ON)$/ : /^(?:[Ff]alse|FALSE|[Nn]o|NO|[Oo]ff|OFF)$/ } as typeof t;
    }),
};
type TagList = Exclude<Parameters<typeof yamlParse>[2], undefined | ((...a: never[]) => unknown)> extends { customTags?: infer C } ? Extract<C, unknown[]> : never;

// --- the table --------------------------------------------------------------------------------

export const FILTERS: Record<string, FilterDef> = Object.create(null) as Record<string, FilterDef>;

/** Adds (or replaces) a filter. Also reachable as ansible.builtin.NAME. */
export function registerFilter(name: string, def: FilterDef | FilterFn): void {
  FILTERS[name] = typeof def === 'function' ? { fn: def } : def;
}

const F = registerFilter;

// Undefined handling
const dflt: FilterDef = {
  undefinedOk: true,
  fn: (_c, v, a, kw) => {
    const fallback = arg(a, kw, 0, 'default_value', '');
    if (v instanceof Undef || (truthy(arg(a, kw, 1, 'boolean', false)) && !truthy(v))) return fallback;
    return v;
  },
};
F('default', dflt);
F('d', dflt);
F('mandatory', {
  undefinedOk: true,
  fn: (c, v, a, kw) => {
    if (v instanceof Undef) return c.fail(a[0] !== undefined || kw.msg !== undefined ? pyStr(arg(a, kw, 0, 'msg')) : `Mandatory variable ${v.topLevel ? `'${v.what}'` : v.what} not defined.`);
    return v;
  },
});

// Types
F('bool', (_c, v) => toBool(v));
F('int', (_c, v, a, kw) => toInt(v, arg(a, kw, 0, 'default', 0), Number(arg(a, kw, 1, 'base', 10))));
F('float', (_c, v, a, kw) => toFloat(v, arg(a, kw, 0, 'default', 0)));
F('string', (_c, v) => pyStr(v));
F('list', (c, v) => markFresh([...list(c, v)]));
F('type_debug', (_c, v) => (v === null || v === undefined ? 'NoneType' : typeName(v) === 'str' ? 'str' : typeName(v)));
F('abs', (c, v) => (isFloat(v) ? pyFloat(Math.abs(num(c, v))) : Math.abs(num(c, v))));
F('round', (c, v, a, kw) => {
  const method = pyStr(arg(a, kw, 1, 'method', 'common'));
  const r = roundNum(num(c, v), Number(arg(a, kw, 0, 'precision', 0)), method);
  // Jinja: round() of an int is an int; of a float, and ceil/floor (a division), a float
  return isFloat(v) || method === 'ceil' || method === 'floor' ? pyFloat(r) : r;
});

// Strings
F('lower', (_c, v) => pyStr(v).toLowerCase());
F('upper', (_c, v) => pyStr(v).toUpperCase());
F('capitalize', (_c, v) => {
  const s = pyStr(v);
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
});
F('title', (_c, v) => pyStr(v).replace(/([\w]+)/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()));
F('trim', (_c, v, a, kw) => {
  const chars = arg(a, kw, 0, 'chars');
  const s = pyStr(v);
  if (chars === undefined || chars === null) return s.replace(/^\s+|\s+$/g, '');
  const set = pyStr(chars);
  let i = 0;
  let j = s.length;
  while (i < j && set.includes(s[i]!)) i++;
  while (j > i && set.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
});
F('replace', (_c, v, a, kw) => {
  const s = pyStr(v);
  const from = pyStr(a[0]);
  const to = pyStr(a[1]);
  const count = arg(a, kw, 2, 'count');
  if (count === undefined || count === null) return s.split(from).join(to);
  let n = Number(count);
  let out = '';
  let rest = s;
  while (n-- > 0) {
    const i = from === '' ? 0 : rest.indexOf(from);
    if (i < 0) break;
    out += rest.slice(0, i) + to;
    rest = rest.slice(i + from.length);
    if (from === '') {
      out += rest.slice(0, 1);
      rest = rest.slice(1);
    }
  }
  return out + rest;
});
F('center', (_c, v, a, kw) => {
  const s = pyStr(v);
  const w = Number(arg(a, kw, 0, 'width', 80));
  if (s.length >= w) return s;
  const total = w - s.length;
  const left = Math.floor(total / 2) + (total & w & 1);
  return ' '.repeat(left) + s + ' '.repeat(total - left);
});
F('indent', (_c, v, a, kw) => {
  const width = arg(a, kw, 0, 'width', 4);
  const first = truthy(arg(a, kw, 1, 'first', false));
  const blank = truthy(arg(a, kw, 2, 'blank', false));
  const pad = typeof width === 'string' ? width : ' '.repeat(Number(width));
  let s = pyStr(v);
  let nl = '\n';
  if (s.endsWith('\n')) {
    s = s.slice(0, -1);
  } else nl = '';
  const lines = s.split('\n');
  const out = lines.map((line, i) => (i === 0 && !first ? line : blank || line.trim() !== '' ? pad + line : line));
  return out.join('\n') + nl;
});
F('truncate', (_c, v, a, kw) => {
  const s = pyStr(v);
  const length = Number(arg(a, kw, 0, 'length', 255));
  const killwords = truthy(arg(a, kw, 1, 'killwords', false));
  const end = pyStr(arg(a, kw, 2, 'end', '...'));
  const leeway = Number(arg(a, kw, 3, 'leeway', 5));
  if (s.length <= length + leeway) return s;
  if (killwords) return s.slice(0, length - end.length) + end;
  const cut = s.slice(0, length - end.length);
  const sp = cut.lastIndexOf(' ');
  return (sp >= 0 ? cut.slice(0, sp) : cut) + end;
});
F('wordcount', (_c, v) => (pyStr(v).match(/\w+/gu) ?? []).length);
F('wordwrap', (_c, v, a, kw) =>
  wordwrap(pyStr(v), Number(arg(a, kw, 0, 'width', 79)), truthy(arg(a, kw, 1, 'break_long_words', true)), pyStr(arg(a, kw, 2, 'wrapstring', '\n') ?? '\n'), truthy(arg(a, kw, 3, 'break_on_hyphens', true))),
);
F('format', (c, v, a, kw) => {
  try {
    return percentFormat(pyStr(v), Object.keys(kw).length ? kw : tuple([...a])); // Jinja: value % (kwargs or args)
  } catch (e) {
    return c.fail((e as Error).message);
  }
});
F('striptags', (_c, v) => pyStr(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, '').replace(/\s+/g, ' ').trim().replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'"));
F('escape', (_c, v) => escapeHtml(pyStr(v)));
F('e', (_c, v) => escapeHtml(pyStr(v)));
F('forceescape', (_c, v) => escapeHtml(pyStr(v)));
F('safe', (_c, v) => v);
F('urlencode', (_c, v) => urlencode(v));
F('filesizeformat', (c, v, a, kw) => fileSize(num(c, toFloat(v, v)), truthy(arg(a, kw, 0, 'binary', false))));
F('split', (c, v, a, kw) => {
  try {
    return pySplit(str(c, pyStr(v)), arg(a, kw, 0, 'sep'), arg(a, kw, 1, 'maxsplit', -1));
  } catch (e) {
    return c.fail((e as Error).message);
  }
});
F('comment', (_c, v, a, kw) => {
  const style = pyStr(arg(a, kw, 0, 'style', 'plain'));
  const styles: Record<string, [string, string, string]> = { plain: ['', '# ', ''], erlang: ['', '% ', ''], c: ['', '// ', ''], cblock: ['/*', ' * ', ' */'], xml: ['<!--', ' - ', '-->'] };
  const [beg, pre, end] = styles[style] ?? styles.plain!;
  const decor = pyStr(kw.decoration ?? pre);
  const lines = pyStr(v).split('\n').map((l) => (decor + l).replace(/\s+$/, ''));
  const pre1 = decor.replace(/\s+$/, '');
  const body = [pre1, ...lines, pre1];
  return [...(beg ? [beg] : []), ...body, ...(end ? [end] : [])].join('\n');
});
F('quote', (_c, v) => shellQuote(v === null || v === undefined ? '' : pyStr(v)));
F('regex_escape', (_c, v, a, kw) => {
  const type = pyStr(arg(a, kw, 0, 're_type', 'python'));
  const s = pyStr(v);
  return type === 'posix_basic' ? s.replace(/[.[\]\\*^$]/g, '\\$&') : s.replace(/[^A-Za-z0-9_]/g, '\\$&');
});
F('regex_replace', (c, v, a, kw) => {
  const re = regex(c, arg(a, kw, 0, 'pattern'), regexFlags(kw));
  return re.replace(pyStr(v), pyStr(arg(a, kw, 1, 'replacement', '')), Number(arg(a, kw, 2, 'count', 0)));
});
F('regex_search', (c, v, a, kw) => {
  const re = regex(c, a[0], regexFlags(kw));
  const m = re.search(pyStr(v));
  if (!m) return null;
  const refs = a.slice(1);
  if (!refs.length) return m.text;
  // '\\1' / '\\g<name>' arguments return the captured groups as a list, as Ansible does.
  return refs.map((r) => {
    const ref = pyStr(r);
    const n = /^\\(\d+)$/.exec(ref);
    if (n) return m.groups[Number(n[1])] ?? null;
    const named = /^\\g<(\w+)>$/.exec(ref);
    if (named) return m.named[named[1]!] ?? null;
    return c.fail(`unknown argument '${ref}' (use '\\\\1' or '\\\\g<name>')`);
  });
});
F('regex_findall', (c, v, a, kw) => {
  const re = regex(c, a[0], regexFlags(kw));
  return re.findAll(pyStr(v)).map((m) => (m.groups.length === 1 ? m.text : m.groups.length === 2 ? (m.groups[1] ?? '') : tuple(m.groups.slice(1).map((g) => g ?? ''))));
});

// Lists and dicts
F('length', (c, v) => {
  if (typeof v === 'string' || Array.isArray(v)) return [...(typeof v === 'string' ? v : v)].length;
  if (isPlainObject(v)) return Object.keys(v).length;
  return c.fail(`object of type '${typeName(v)}' has no len()`);
});
FILTERS.count = FILTERS.length!;
F('first', (c, v) => {
  const l = list(c, v);
  return l.length ? l[0] : new Undef(`first item of an empty ${typeName(v)}`, c.pos, false);
});
F('last', (c, v) => {
  const l = list(c, v);
  return l.length ? l[l.length - 1] : new Undef(`last item of an empty ${typeName(v)}`, c.pos, false);
});
F('join', (c, v, a, kw) => {
  let l = list(c, v);
  const attr = arg(a, kw, 1, 'attribute');
  if (attr !== undefined && attr !== null) l = l.map(attrGetter(c, attr));
  return l.map(pyStr).join(pyStr(arg(a, kw, 0, 'd', '')));
});
F('reverse', (c, v) => (typeof v === 'string' ? [...v].reverse().join('') : [...list(c, v)].reverse()));
F('sort', (c, v, a, kw) => {
  const reverse = truthy(arg(a, kw, 0, 'reverse', false));
  const key = sortKey(truthy(arg(a, kw, 1, 'case_sensitive', false)));
  const attr = arg(a, kw, 2, 'attribute');
  const get = attr !== undefined && attr !== null ? attrGetter(c, attr) : (x: unknown) => x;
  const out = [...list(c, v)].sort((x, y) => order(c, key(get(x)), key(get(y))));
  return reverse ? out.reverse() : out;
});
F('dictsort', (c, v, a, kw) => {
  if (!isPlainObject(v)) return c.fail(`expects a dict, got ${typeName(v)}`);
  const cs = truthy(arg(a, kw, 0, 'case_sensitive', false));
  const by = pyStr(arg(a, kw, 1, 'by', 'key'));
  const reverse = truthy(arg(a, kw, 2, 'reverse', false));
  const key = sortKey(cs);
  const i = by === 'value' ? 1 : 0;
  const out = Object.entries(v).map(tuple).sort((x, y) => order(c, key(x[i]), key(y[i])));
  return reverse ? out.reverse() : out;
});
F('unique', (c, v, a, kw) => {
  const cs = truthy(arg(a, kw, 0, 'case_sensitive', false));
  const attr = arg(a, kw, 1, 'attribute');
  const get = attr !== undefined && attr !== null ? attrGetter(c, attr) : (x: unknown) => x;
  const key = sortKey(cs);
  return dedupe(list(c, v), (x) => key(get(x)));
});
for (const which of ['min', 'max'] as const) {
  F(which, (c, v, a, kw) => {
    const l = list(c, v);
    const attr = arg(a, kw, 1, 'attribute');
    const get = attr !== undefined && attr !== null ? attrGetter(c, attr) : (x: unknown) => x;
    const key = sortKey(truthy(arg(a, kw, 0, 'case_sensitive', false)));
    if (!l.length) return new Undef(`${which} of an empty sequence`, c.pos, false);
    return l.reduce((x, y) => {
      const cmp = order(c, key(get(y)), key(get(x)));
      return (which === 'min' ? cmp < 0 : cmp > 0) ? y : x;
    });
  });
}
F('sum', (c, v, a, kw) => {
  const attr = arg(a, kw, 0, 'attribute');
  const get = attr !== undefined && attr !== null ? attrGetter(c, attr) : (x: unknown) => x;
  let acc: unknown = arg(a, kw, 1, 'start', 0);
  for (const x of list(c, v)) acc = c.ev.binary('+', acc, get(x), c.pos);
  return acc;
});
F('map', (c, v, a, kw) => mapOrAttr(c, v, a, kw));
F('select', (c, v, a) => selectOrReject(c, v, a, true, false));
F('reject', (c, v, a) => selectOrReject(c, v, a, false, false));
F('selectattr', (c, v, a) => selectOrReject(c, v, a, true, true));
F('rejectattr', (c, v, a) => selectOrReject(c, v, a, false, true));
F('attr', (c, v, a) => {
  const name = pyStr(a[0]);
  if (isForbidden(name)) return c.fail(`access to '${name}' is not allowed`);
  const r = ownGet(v, name);
  return r.found ? r.value : new Undef(`attribute '${name}'`, c.pos, false);
});
F('batch', (c, v, a, kw) => {
  const n = Number(arg(a, kw, 0, 'linecount'));
  const fill = arg(a, kw, 1, 'fill_with');
  const l = list(c, v);
  const out: unknown[][] = [];
  for (let i = 0; i < l.length; i += n) out.push(l.slice(i, i + n));
  if (fill !== undefined && fill !== null && out.length && out[out.length - 1]!.length < n) while (out[out.length - 1]!.length < n) out[out.length - 1]!.push(fill);
  return out;
});
F('slice', (c, v, a, kw) => {
  const n = Number(arg(a, kw, 0, 'slices'));
  const fill = arg(a, kw, 1, 'fill_with');
  const l = list(c, v);
  const per = Math.floor(l.length / n);
  const extra = l.length % n;
  const out: unknown[][] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const size = per + (i < extra ? 1 : 0);
    const part = l.slice(off, off + size);
    off += size;
    if (fill !== undefined && fill !== null && i >= extra && extra > 0) part.push(fill);
    out.push(part);
  }
  return out;
});
F('groupby', (c, v, a, kw) => {
  const get = attrGetter(c, arg(a, kw, 0, 'attribute'), arg(a, kw, 1, 'default'));
  const groups: [unknown, unknown[]][] = [];
  const sorted = [...list(c, v)].sort((x, y) => order(c, get(x), get(y)));
  for (const x of sorted) {
    const k = get(x);
    const g = groups.find(([gk]) => pyEquals(gk, k));
    if (g) g[1].push(x);
    else groups.push([k, [x]]);
  }
  return groups;
});
F('items', (c, v) => {
  if (v instanceof Undef) return [];
  if (!isPlainObject(v)) return c.fail(`can only get item pairs from a mapping, not ${typeName(v)}`);
  return Object.entries(v).map(tuple);
});
F('dict2items', (c, v, a, kw) => {
  if (!isPlainObject(v)) return c.fail(`dict2items requires a dictionary, got ${typeName(v)} instead.`);
  const k = pyStr(arg(a, kw, 0, 'key_name', 'key'));
  const val = pyStr(arg(a, kw, 1, 'value_name', 'value'));
  return Object.entries(v).map(([x, y]) => ({ [k]: x, [val]: y }));
});
F('items2dict', (c, v, a, kw) => items2dict(c, v, kw, a));
F('combine', (c, v, a, kw) => {
  const recursive = truthy(kw.recursive);
  const listMerge = pyStr(kw.list_merge ?? 'replace');
  const dicts = [v, ...a].flatMap((d) => (Array.isArray(d) ? d : [d]));
  let out: Record<string, unknown> = {};
  for (const d of dicts) {
    if (!isPlainObject(d)) return c.fail(`failed to combine variables, expected dicts but got ${typeName(d)}`);
    out = combine(c, out, d, recursive, listMerge);
  }
  return out;
});
F('flatten', (c, v, a, kw) => {
  const levels = arg(a, kw, 0, 'levels');
  return flatten(list(c, v), levels === undefined || levels === null ? undefined : Number(levels), truthy(arg(a, kw, 1, 'skip_nulls', true)));
});
F('union', (c, v, a) => dedupe([...list(c, v), ...list(c, a[0])]));
F('intersect', (c, v, a) => {
  const b = list(c, a[0]);
  return dedupe(list(c, v).filter((x) => b.some((y) => pyEquals(x, y))));
});
F('difference', (c, v, a) => {
  const b = list(c, a[0]);
  return dedupe(list(c, v).filter((x) => !b.some((y) => pyEquals(x, y))));
});
F('symmetric_difference', (c, v, a) => {
  const x = list(c, v);
  const y = list(c, a[0]);
  return dedupe([...x.filter((p) => !y.some((q) => pyEquals(p, q))), ...y.filter((p) => !x.some((q) => pyEquals(p, q)))]);
});
F('zip', (c, v, a) => zipLists([list(c, v), ...a.map((x) => list(c, x))], false, null));
F('zip_longest', (c, v, a, kw) => zipLists([list(c, v), ...a.map((x) => list(c, x))], true, kw.fillvalue ?? null));
F('product', (c, v, a, kw) => {
  const ls = [list(c, v), ...a.map((x) => list(c, x))];
  const repeat = Number(kw.repeat ?? 1);
  return product(Array.from({ length: repeat }, () => ls).flat());
});
F('combinations', (c, v, a) => combinations(list(c, v), Number(a[0])));
F('permutations', (c, v, a) => {
  const l = list(c, v);
  return permutations(l, a[0] === undefined ? l.length : Number(a[0]));
});
F('extract', (c, v, a, kw) => {
  const container = a[0];
  let r = ownGet(container, v as string | number);
  if (!r.found) return c.fail(`${typeName(container)} object has no element ${pyRepr(v)}`);
  const morekeys = arg(a, kw, 1, 'morekeys');
  if (morekeys !== undefined && morekeys !== null) {
    for (const k of Array.isArray(morekeys) ? morekeys : [morekeys]) {
      r = ownGet(r.value, k as string | number);
      if (!r.found) return c.fail(`no element ${pyRepr(k)}`);
    }
  }
  return r.value;
});
F('subelements', (c, v, a, kw) => {
  const skip = isPlainObject(a[1]) ? truthy(a[1].skip_missing) : truthy(arg(a, kw, 1, 'skip_missing', false));
  return subelements(c, v, a[0], skip);
});
F('random', (c, v, a, kw) => {
  if (typeof v === 'number') {
    const start = Number(arg(a, kw, 0, 'start', 0));
    const step = Number(arg(a, kw, 1, 'step', 1));
    const n = Math.ceil((v - start) / step);
    return start + Math.floor(Math.random() * n) * step;
  }
  const l = list(c, v);
  return l[Math.floor(Math.random() * l.length)];
});
F('shuffle', (c, v) => {
  const l = [...list(c, v)];
  for (let i = l.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [l[i], l[j]] = [l[j], l[i]];
  }
  return l;
});

// Math
// math.log/pow/sqrt return floats
F('log', (c, v, a) => pyFloat(a[0] === undefined ? Math.log(num(c, v)) : Math.log(num(c, v)) / Math.log(num(c, a[0]))));
F('pow', (c, v, a) => pyFloat(num(c, v) ** num(c, a[0])));
F('root', (c, v, a) => pyFloat(a[0] === undefined || Number(a[0]) === 2 ? Math.sqrt(num(c, v)) : num(c, v) ** (1 / num(c, a[0]))));
F('human_readable', (c, v, a, kw) => humanReadable(c, v, truthy(arg(a, kw, 0, 'isbits', false)), arg(a, kw, 1, 'unit')));
F('human_to_bytes', (c, v, a, kw) => humanToBytes(c, v, arg(a, kw, 0, 'default_unit'), truthy(arg(a, kw, 1, 'isbits', false))));

// Serialisation
F('to_json', (c, v, _a, kw) => pyJson(c, v, { indent: kw.indent as number | undefined, sortKeys: truthy(kw.sort_keys), separators: kw.separators as [string, string] | undefined, ensureAscii: kw.ensure_ascii === undefined ? true : truthy(kw.ensure_ascii) }));
F('tojson', (c, v, a, kw) => pyJson(c, v, { indent: arg(a, kw, 0, 'indent') as number | undefined, sortKeys: true, htmlSafe: true }));
F('to_nice_json', (c, v, a, kw) => pyJson(c, v, { indent: Number(arg(a, kw, 0, 'indent', 4)), sortKeys: kw.sort_keys === undefined ? true : truthy(kw.sort_keys), separators: [',', ': '], ensureAscii: kw.ensure_ascii === undefined ? true : truthy(kw.ensure_ascii) }));
F('from_json', (c, v) => {
  try {
    return JSON.parse(pyStr(v)) as unknown;
  } catch (e) {
    return c.fail((e as Error).message);
  }
});
F('to_yaml', (c, v, _a, kw) => pyYaml(c, v, { indent: Number(kw.indent ?? 2), flow: kw.default_flow_style === undefined ? null : (kw.default_flow_style as boolean | null), sortKeys: kw.sort_keys === undefined ? true : truthy(kw.sort_keys), width: Number(kw.width ?? 80) }));
F('to_nice_yaml', (c, v, a, kw) => pyYaml(c, v, { indent: Number(arg(a, kw, 0, 'indent', 4)), flow: false, sortKeys: kw.sort_keys === undefined ? true : truthy(kw.sort_keys), width: Number(kw.width ?? 80) }));
F('from_yaml', (c, v) => {
  if (typeof v !== 'string') return v;
  try {
    return yamlParse(v, PYYAML) as unknown;
  } catch (e) {
    return c.fail((e as Error).message);
  }
});
F('from_yaml_all', (c, v) => {
  try {
    return parseAllDocuments(pyStr(v), PYYAML).map((d) => d.toJS() as unknown);
  } catch (e) {
    return c.fail((e as Error).message);
  }
});
F('b64encode', (_c, v) => Buffer.from(pyStr(v), 'utf8').toString('base64'));
F('b64decode', (c, v) => b64decode(c, v));
F('to_uuid', (_c, v, a, kw) => uuid5(pyStr(v), arg(a, kw, 0, 'namespace') as string | undefined));

// Hashes
F('hash', (c, v, a) => hashOf(c, v, pyStr(a[0] ?? 'sha1')));
F('checksum', (c, v) => hashOf(c, v, 'sha1'));
F('sha1', (c, v) => hashOf(c, v, 'sha1'));
F('md5', (c, v) => hashOf(c, v, 'md5'));
F('password_hash', (c, v, a, kw) => {
  try {
    return passwordHash(pyStr(v), pyStr(arg(a, kw, 0, 'hashtype', 'sha512')), arg(a, kw, 1, 'salt') as string | undefined, arg(a, kw, 2, 'salt_size') as number | undefined, kw.rounds as number | undefined);
  } catch (e) {
    return c.fail((e as Error).message);
  }
});

// Paths
F('basename', (_c, v) => basename(pyStr(v)) === '' || pyStr(v).endsWith('/') ? '' : basename(pyStr(v)));
F('dirname', (_c, v) => {
  const s = pyStr(v);
  const i = s.lastIndexOf('/');
  if (i < 0) return '';
  const head = s.slice(0, i + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
});
F('expanduser', (_c, v) => pyStr(v).replace(/^~(?=\/|$)/, homedir()));
F('expandvars', (_c, v) => pyStr(v).replace(/\$(\w+)|\$\{(\w+)\}/g, (all, a1: string | undefined, a2: string | undefined) => process.env[a1 ?? a2!] ?? all));
F('realpath', (_c, v) => resolve(pyStr(v)));
F('relpath', (_c, v, a) => relative(pyStr(a[0] ?? process.cwd()), pyStr(v)));
F('splitext', (_c, v) => pathParts(pyStr(v)));
F('path_join', (c, v) => {
  const parts = (Array.isArray(v) ? v : [v]).map(pyStr);
  let out = '';
  for (const p of parts) out = isAbsolute(p) ? p : out === '' || out.endsWith('/') ? out + p : out + '/' + p;
  void c;
  return out;
});
F('normpath', (_c, v) => normalize(pyStr(v)));
F('win_basename', (_c, v) => pyStr(v).split(/[\\/]/).pop() ?? '');
F('win_dirname', (_c, v) => pyStr(v).replace(/[\\/][^\\/]*$/, ''));
// fileglob: shell wildcards in the last path component, files only, sorted (as glob.glob on the control node)
F('fileglob', (_c, v) => {
  const pattern = pyStr(v);
  const dir = dirname(pattern);
  const re = new RegExp('^' + basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f) && !f.startsWith('.') && statSync(join(dir, f)).isFile())
      .map((f) => (dir === '.' && !pattern.startsWith('./') ? f : join(dir, f)))
      .sort();
  } catch {
    return [];
  }
});

// Logic and time
F('ternary', (_c, v, a, kw) => {
  const t = arg(a, kw, 0, 'true_val');
  const f = arg(a, kw, 1, 'false_val');
  const none = arg(a, kw, 2, 'none_val');
  if ((v === null || v === undefined) && none !== undefined) return none;
  return truthy(v) ? t : f;
});
F('strftime', (_c, v, a, kw) => {
  const sec = arg(a, kw, 0, 'second');
  const d = sec === undefined || sec === null ? new Date() : new Date(Number(sec) * 1000);
  return strftime(pyStr(v), d, truthy(arg(a, kw, 1, 'utc', false)));
});
// Python's pprint sorts dict keys (sort_dicts), at every level
const sortedDeep = (x: unknown): unknown =>
  isPlainObject(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortedDeep(x[k])])) : Array.isArray(x) ? (isTuple(x) ? tuple(x.map(sortedDeep)) : x.map(sortedDeep)) : x;
F('pprint', (_c, v) => pyRepr(sortedDeep(v)));
F('xmlattr', (c, v, a) => {
  if (!isPlainObject(v)) return c.fail(`expects a dict, got ${typeName(v)}`);
  const parts = Object.entries(v)
    .filter(([, x]) => x !== null && x !== undefined)
    .map(([k, x]) => `${escapeHtml(k)}="${escapeHtml(pyStr(x))}"`);
  const s = parts.join(' ');
  return s && (a[0] === undefined || truthy(a[0])) ? ' ' + s : s;
});

/** Every filter is also reachable by its collection-qualified name, as Ansible's. */
export function qualifiedNames(table: Record<string, unknown>): void {
  for (const n of Object.keys(table)) if (!n.includes('.')) table[`ansible.builtin.${n}`] = table[n];
}
qualifiedNames(FILTERS);
