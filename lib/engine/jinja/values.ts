// Python/Jinja value semantics on plain JS data: truthiness, str()/repr(), ==, ordering and
// own-property-only access. Shared by the evaluator, the filters and the tests.
import { isPlainObject, pythonTypeName } from '../../value-kind.js';

/** A value that does not exist. Carries what was looked up, for the error when it gets used. */
export class Undef {
  constructor(
    readonly what: string,
    readonly pos: number,
    readonly topLevel: boolean,
    /** the error of a variable whose template failed on something undefined: using this one rethrows it */
    readonly cause?: unknown,
  ) {}
  message(): string {
    return this.topLevel ? `undefined variable '${this.what}'` : `${this.what} is undefined`;
  }
}

/**
 * A Python float with an integral value (5.0). JavaScript has one number type, so such a float is
 * boxed to print as Python prints it ("5.0"); floats with a fraction stay plain numbers. valueOf
 * keeps Number(x) and JSON working. Only the template engine sees these: values leaving it are
 * printed (text) or unboxed (plainData).
 */
export class PyFloat {
  constructor(readonly v: number) {}
  valueOf(): number {
    return this.v;
  }
  toJSON(): number {
    return this.v;
  }
  toString(): string {
    return floatRepr(this.v, true);
  }
}

/** A float result: boxed when integral, so it keeps its ".0". */
export function pyFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** A number (int or float, boxed or not). */
export function isNum(v: unknown): v is number | PyFloat {
  return typeof v === 'number' || v instanceof PyFloat;
}

/** Python float (not int): boxed, or a number with a fraction, or inf/nan. */
export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** The value with every PyFloat unboxed (a copy only where one was found), for data leaving the engine. */
export function plainData(v: unknown, depth = 0): unknown {
  if (v instanceof PyFloat) return v.v;
  if (depth > 200) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    v.forEach((x, i) => {
      const y = plainData(x, depth + 1);
      if (y !== x && !out) out = v.slice();
      if (out) out[i] = y;
    });
    return out ? (isTuple(v) ? tuple(out) : out) : v;
  }
  if (isPlainObject(v)) {
    let out: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(v)) {
      const y = plainData(x, depth + 1);
      if (y !== x && !out) out = { ...v };
      if (out) define(out, k, y);
    }
    return out ?? v;
  }
  return v;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Names no expression may read: JS prototype plumbing and Python dunders. */
export function isForbidden(name: string): boolean {
  return FORBIDDEN.has(name) || (name.startsWith('__') && name.endsWith('__'));
}

// the jinja package's names for lib/value-kind.ts: a mapping is a dict, a type name is Python's
export { isPlainObject } from '../../value-kind.js';

/** Python's type name (lib/value-kind.ts), a boxed integral float being a float. */
export function typeName(v: unknown): string {
  return v instanceof PyFloat ? 'float' : pythonTypeName(v);
}

/** Python/Jinja truthiness. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || Number.isNaN(v)) return false;
  if (v instanceof PyFloat) return v.v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python's str(): what `~`, `| string`, `join` and `{{ }}` output produce. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) {
    const text = moduleText.get(v);
    if (text !== undefined) return text;
  }
  return pyRepr(v);
}

/** An imported template (`{% import 'x' as m %}`): its names; str(m) is its rendered text, as Jinja's TemplateModule. */
const moduleText = new WeakMap<object, string>();
export function markModule<T extends object>(o: T, text: string): T {
  moduleText.set(o, text);
  return o;
}

/** Python's repr() of a float: shortest round-trip digits, exponent form as Python writes it. */
function floatRepr(v: number, float = false): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  // an integral float: Python writes 5.0, -0.0, and from 1e16 on the exponent form 1e+16
  if (float && Number.isInteger(v)) return Math.abs(v) >= 1e16 ? v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : `${Object.is(v, -0) ? '-0' : String(v)}.0`;
  const s = String(v);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) return `${m[1]}e${m[2]}${m[3]!.padStart(2, '0')}`;
  return s;
}

/** Lists that stand for Python tuples (items(), zip, `(a, b)`): they print as (a, b). */
const tuples = new WeakSet<object>();
export function tuple<T extends unknown[]>(a: T): T {
  tuples.add(a);
  return a;
}
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && tuples.has(v);
}

/** Python's repr(): strings quoted with Python's quote choice, lists/dicts as Python prints them. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return floatRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.v, true);
  if (typeof v === 'string') return strRepr(v);
  if (Array.isArray(v)) return tuples.has(v) ? (v.length === 1 ? `(${pyRepr(v[0])},)` : '(' + v.map(pyRepr).join(', ') + ')') : '[' + v.map(pyRepr).join(', ') + ']';
  if (isPlainObject(v)) return '{' + Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  if (typeof v === 'function') return '<function>';
  return String(v);
}

function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

/** Python ==: deep for lists and dicts, bool == int numerically. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  const na = isNum(a) || typeof a === 'boolean';
  const nb = isNum(b) || typeof b === 'boolean';
  if (na && nb) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return false;
}

/** Python ordering (<): numbers with bools, strings by code point, lists lexicographically; else an error message. */
export function pyCompare(a: unknown, b: unknown): number | string {
  const na = isNum(a) || typeof a === 'boolean';
  const nb = isNum(b) || typeof b === 'boolean';
  if (na && nb) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  return `not supported between instances of '${typeName(a)}' and '${typeName(b)}'`;
}

/** Reads an own property; anything else is not found. Forbidden names never get here. */
export function ownGet(obj: unknown, key: string | number): { found: boolean; value: unknown } {
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (typeof key === 'number' || /^-?\d+$/.test(key)) {
      let i = Number(key);
      if (i < 0) i += obj.length;
      if (Number.isInteger(i) && i >= 0 && i < obj.length) return { found: true, value: obj[i] };
    }
    return { found: false, value: undefined };
  }
  if (isPlainObject(obj)) {
    const k = typeof key === 'number' && Object.is(key, -0) ? '0' : String(key);
    if (Object.hasOwn(obj, k)) return { found: true, value: obj[k] };
  }
  return { found: false, value: undefined };
}

/** Top-level variable lookup; follows a vars object's own prototype chain (layered scopes) but never Object.prototype. */
export function lookupVar(vars: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  for (let o: object | null = vars; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.hasOwn(o, name)) return { found: true, value: (o as Record<string, unknown>)[name] };
  }
  return { found: false, value: undefined };
}

/** Items a Python `for`/list() sees: list items, string characters, dict keys. Undefined when not iterable. */
export function iterItems(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isPlainObject(v)) return Object.keys(v);
  return undefined;
}

/** Assigns without ever triggering the `__proto__` setter. */
export function define(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** What a Callable gets to evaluate with (the Evaluator; typed loosely here to keep this file free of it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CallEvaluator = import('./evaluator.js').Evaluator;

/** A function value: a macro, `caller`, `loop.cycle`, or a global such as range/lookup. */
export class Callable {
  constructor(
    readonly name: string,
    readonly fn: (ev: CallEvaluator, args: unknown[], kwargs: Record<string, unknown>, pos: number) => unknown,
    /** an attribute of the function itself (`super.super`), undefined when it has none of that name */
    readonly attr?: (name: string, pos: number) => unknown,
  ) {}
}

/** Objects that can also be called: a recursive loop's `loop` (`loop.depth` and `loop(children)`). */
const callables = new WeakMap<object, Callable>();
export function markCallable<T extends object>(o: T, c: Callable): T {
  callables.set(o, c);
  return o;
}
export function callableOf(v: unknown): Callable | undefined {
  return typeof v === 'object' && v !== null ? callables.get(v) : undefined;
}

/**
 * Values created by the current expression or template (list/dict literals, namespace(), dict()).
 * Only these may be changed in place (`l.append(x)`, `{% set ns.a = 1 %}`): variables never are.
 */
const fresh = new WeakSet<object>();
export function markFresh<T extends object>(o: T): T {
  fresh.add(o);
  return o;
}
export function isFresh(o: unknown): boolean {
  return typeof o === 'object' && o !== null && fresh.has(o);
}

const namespaces = new WeakSet<object>();
export function markNamespace(o: Record<string, unknown>): Record<string, unknown> {
  namespaces.add(o);
  fresh.add(o);
  return o;
}
export function isNamespace(o: unknown): o is Record<string, unknown> {
  return typeof o === 'object' && o !== null && namespaces.has(o);
}

