// The Handlebars helper table (the extension point: one entry per helper, pure functions) and how
// the helpers are installed: arity and undefined-argument checks, failures carrying their source
// position, the builtins kept (checked) and removed.
import type Handlebars from 'handlebars';
import { stringify as yamlStringify } from 'yaml';
import { shq } from '../executor/types.js';
import { pyEquals, truthy } from './expr.js';
import { isPlainObject, kindOf } from '../value-kind.js';

/** Thrown inside helpers; carries the helper's source position and the argument at fault. */
export class HelperFailure extends Error {
  constructor(
    message: string,
    readonly helper: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    /** index of the undefined positional argument, or the hash key */
    readonly undefinedArg?: number | string,
  ) {
    super(message);
  }
}


export const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/** Text for a value inside a helper (booleans/numbers as JS prints them, objects as JSON). */
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function order(a: unknown, b: unknown): number {
  const na = typeof a === 'number' || typeof a === 'boolean';
  const nb = typeof b === 'number' || typeof b === 'boolean';
  if (na && nb) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`cannot compare ${kindOf(a)} with ${kindOf(b)}`);
}

type HelperFn = (args: unknown[], hash: Record<string, unknown>) => unknown;

/** Pure helpers. Arity is [min, max]; `undefined` arguments are rejected before these run (except where noted). */
export const HELPERS: Record<string, { arity: [number, number]; allowUndefined?: number[]; fn: HelperFn }> = {
  join: {
    arity: [1, 2],
    fn: ([list, sep]) => {
      if (!Array.isArray(list)) throw new Error(`expected a list, got ${kindOf(list)}`);
      return list.map(str).join(sep === undefined ? ',' : str(sep));
    },
  },
  // Ansible's default(): replaces only an undefined value (null and '' are kept).
  default: { arity: [2, 2], allowUndefined: [0], fn: ([v, fallback]) => (v === undefined ? fallback : v) },
  eq: { arity: [2, 2], fn: ([a, b]) => pyEquals(a, b) },
  ne: { arity: [2, 2], fn: ([a, b]) => !pyEquals(a, b) },
  lt: { arity: [2, 2], fn: ([a, b]) => order(a, b) < 0 },
  gt: { arity: [2, 2], fn: ([a, b]) => order(a, b) > 0 },
  le: { arity: [2, 2], fn: ([a, b]) => order(a, b) <= 0 },
  ge: { arity: [2, 2], fn: ([a, b]) => order(a, b) >= 0 },
  // Python truthiness, as `when:` uses: '', 0, [], {}, null, false are false.
  and: { arity: [1, Infinity], fn: (args) => args.every(truthy) },
  or: { arity: [1, Infinity], fn: (args) => args.some(truthy) },
  not: { arity: [1, 1], fn: ([v]) => !truthy(v) },
  to_json: {
    arity: [1, 2],
    fn: ([v, indent], hash) => JSON.stringify(v, null, Number(indent ?? hash.indent ?? 0) || undefined),
  },
  to_yaml: { arity: [1, 1], fn: ([v]) => yamlStringify(v) },
  b64encode: { arity: [1, 1], fn: ([v]) => Buffer.from(str(v), 'utf8').toString('base64') },
  b64decode: {
    arity: [1, 1],
    fn: ([v]) => {
      const s = str(v).trim();
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw new Error('not valid base64');
      return Buffer.from(s, 'base64').toString('utf8');
    },
  },
  upper: { arity: [1, 1], fn: ([v]) => str(v).toUpperCase() },
  lower: { arity: [1, 1], fn: ([v]) => str(v).toLowerCase() },
  trim: { arity: [1, 1], fn: ([v]) => str(v).trim() },
  len: {
    arity: [1, 1],
    fn: ([v]) => {
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isPlainObject(v)) return Object.keys(v).length;
      throw new Error(`${kindOf(v)} has no length`);
    },
  },
  first: {
    arity: [1, 1],
    fn: ([v]) => {
      if (typeof v === 'string' || Array.isArray(v)) return v[0];
      throw new Error(`expected a list, got ${kindOf(v)}`);
    },
  },
  last: {
    arity: [1, 1],
    fn: ([v]) => {
      if (typeof v === 'string' || Array.isArray(v)) return v[v.length - 1];
      throw new Error(`expected a list, got ${kindOf(v)}`);
    },
  },
  replace: { arity: [3, 3], fn: ([s, from, to]) => str(s).split(str(from)).join(str(to)) },
  // Jinja's indent: every line but the first (first=true: also the first); blank lines stay empty.
  indent: {
    arity: [1, 2],
    fn: ([s, n], hash) => {
      const pad = typeof n === 'string' ? n : ' '.repeat(Number(n ?? 4));
      return str(s)
        .split('\n')
        .map((line, i) => ((i > 0 || truthy(hash.first)) && line.trim() !== '' ? pad + line : line))
        .join('\n');
    },
  },
  quote: { arity: [1, 1], fn: ([v]) => shq(str(v)) },
  // The inside of a double-quoted value in a file both sh (`. FILE`) and systemd's EnvironmentFile=
  // read: \ " $ ` get a backslash, which both undo; nothing else is special there.
  env_dq: { arity: [1, 1], fn: ([v]) => str(v).replace(/[\\"$`]/g, '\\$&') },
  contains: {
    arity: [2, 2],
    fn: ([c, item]) => {
      if (Array.isArray(c)) return c.some((x) => pyEquals(x, item));
      if (typeof c === 'string') return c.includes(str(item));
      if (isPlainObject(c)) return Object.hasOwn(c, str(item));
      throw new Error(`expected a list, string or mapping, got ${kindOf(c)}`);
    },
  },
  // Ansible's `int` filter, but a value that is not an integer fails (Ansible would give 0).
  int: {
    arity: [1, 1],
    fn: ([v]) => {
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
      throw new Error(`not an integer: ${typeof v === 'string' ? `'${v}'` : kindOf(v)}`);
    },
  },
  // Ansible's `list | map('extract', hostvars, 'fqdn')`: each item looked up in a mapping (then its KEY).
  extract: {
    arity: [2, 3],
    fn: ([list, from, key]) => {
      if (!Array.isArray(list)) throw new Error(`expected a list, got ${kindOf(list)}`);
      if (!isPlainObject(from)) throw new Error(`expected a mapping to look items up in, got ${kindOf(from)}`);
      return list.map((item) => {
        const name = str(item);
        if (!Object.hasOwn(from, name)) throw new Error(`'${name}' is not in the mapping`);
        const v = from[name];
        if (key === undefined) return v;
        if (!isPlainObject(v) || !Object.hasOwn(v, str(key)) || v[str(key)] === undefined) throw new Error(`'${name}' has no '${str(key)}'`);
        return v[str(key)];
      });
    },
  },
  keys: {
    arity: [1, 1],
    fn: ([o]) => {
      if (isPlainObject(o)) return Object.keys(o);
      throw new Error(`expected a mapping, got ${kindOf(o)}`);
    },
  },
};

/** Internal helpers for block-param paths (see strictBlockParams). */
export const VALUE_HELPER = 'bosun-value';
export const PATH_HELPER = 'bosun-path';
HELPERS[VALUE_HELPER] = { arity: [1, 1], fn: ([v]) => v };
HELPERS[PATH_HELPER] = {
  arity: [1, Infinity],
  allowUndefined: [0],
  fn: ([base, ...keys]) => resolvePath(base, keys.map(String)).value,
};

/** Builtins whose first argument must be defined (the value being tested / iterated / looked into). */
const CHECKED_BUILTINS = ['if', 'unless', 'each', 'with', 'lookup'];
/** Builtins that write outside the rendered text (the console). */
const REMOVED_BUILTINS = ['log'];

export interface HelperOpts {
  hash?: Record<string, unknown>;
  loc?: { start: { line: number; column: number } };
  name?: string;
}

function checkArgs(name: string, args: unknown[], hash: Record<string, unknown>, opts: HelperOpts, allowUndefined: readonly number[] = []): void {
  const line = opts.loc?.start.line;
  const column = opts.loc?.start.column;
  args.forEach((a, i) => {
    if (a === undefined && !allowUndefined.includes(i)) throw new HelperFailure('undefined', name, line, column, i);
  });
  for (const [k, v] of Object.entries(hash)) if (v === undefined) throw new HelperFailure('undefined', name, line, column, k);
}

/** Own-property path lookup; `undefined` when any step is missing. */
export function resolvePath(root: unknown, parts: readonly string[]): { found: boolean; value: unknown } {
  let cur = root;
  for (const p of parts) {
    if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, p)) cur = (cur as Record<string, unknown>)[p];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

/** Registers HELPERS on a Handlebars instance, wraps the checked builtins and removes the others. */
export function installHelpers(hb: typeof Handlebars): void {
  for (const [name, h] of Object.entries(HELPERS)) {
    hb.registerHelper(name, function (this: unknown, ...all: unknown[]) {
      const opts = all.pop() as HelperOpts;
      const hash = opts.hash ?? {};
      // `{{first}}` with no arguments: a variable that happens to share a helper's name.
      if (all.length === 0 && Object.keys(hash).length === 0) {
        const r = resolvePath(this, [name]);
        if (r.found) return r.value;
        throw new HelperFailure(`undefined variable '${name}'`, name, opts.loc?.start.line, opts.loc?.start.column);
      }
      checkArgs(name, all, hash, opts, h.allowUndefined);
      if (all.length < h.arity[0] || all.length > h.arity[1]) {
        const want = h.arity[0] === h.arity[1] ? `${h.arity[0]}` : h.arity[1] === Infinity ? `at least ${h.arity[0]}` : `${h.arity[0]} to ${h.arity[1]}`;
        throw new HelperFailure(`'${name}' takes ${want} argument(s), got ${all.length}`, name, opts.loc?.start.line, opts.loc?.start.column);
      }
      try {
        return h.fn(all, hash);
      } catch (e) {
        throw new HelperFailure(`${name}: ${(e as Error).message}`, name, opts.loc?.start.line, opts.loc?.start.column);
      }
    });
  }
  for (const name of CHECKED_BUILTINS) {
    const orig = hb.helpers[name] as (this: unknown, ...a: unknown[]) => unknown;
    hb.registerHelper(name, function (this: unknown, ...all: unknown[]) {
      const opts = all[all.length - 1] as HelperOpts;
      checkArgs(name, all.slice(0, -1), {}, opts);
      if (name === 'lookup' && typeof all[1] === 'string' && FORBIDDEN.has(all[1])) {
        throw new HelperFailure(`access to '${all[1]}' is not allowed in templates`, name, opts.loc?.start.line, opts.loc?.start.column);
      }
      return orig.apply(this, all);
    });
  }
  // `{{log x}}` printed x with console.log: unmasked, and into --output json's stdout. Gone, so
  // compile() reports it as an unknown helper. Every builtin still reachable is listed and
  // justified in docs/security.md ("Templates"); the test pins the list.
  for (const name of REMOVED_BUILTINS) hb.unregisterHelper(name);
}
