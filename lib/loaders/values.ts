// Typed readers of YAML node values for the playbook loaders: each checks one shape (list, mapping,
// boolean, integer, condition list …) and fails with a ParseError located at the value.
import { keyLoc, locOf } from './yaml.js';
import { ParseError, type SourceLocation } from '../errors.js';
import type { Condition } from '../ast.js';
import { describeValue, isPlainObject } from '../value-kind.js';

export type Obj = Record<string, unknown>;

/** The loaders' name for lib/value-kind.ts isPlainObject. */
export const isObj: (v: unknown) => v is Obj = isPlainObject;

export function here(obj: unknown, key: string | undefined, file: string): SourceLocation {
  return (key !== undefined ? keyLoc(obj, key) : locOf(obj)) ?? { file };
}

/** A value in a playbook error: `nothing`, `a list`, `a mapping`, `the string "x"`. */
export function typeName(v: unknown): string {
  return describeValue(v, { nothing: 'nothing' });
}

export function expectList(v: unknown, what: string, loc: SourceLocation): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ParseError(`${what} must be a list; got ${typeName(v)}`, { loc });
  return v;
}

export function expectMap(v: unknown, what: string, loc: SourceLocation): Obj {
  if (v === null || v === undefined) return {};
  if (!isObj(v)) throw new ParseError(`${what} must be a mapping; got ${typeName(v)}`, { loc });
  return v;
}

export function strList(v: unknown, what: string, loc: SourceLocation): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
  throw new ParseError(`${what} must be a string or a list of strings; got ${typeName(v)}`, { loc });
}

export function condList(v: unknown, what: string, loc: SourceLocation): Condition[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  for (const c of list) {
    if (typeof c !== 'string' && typeof c !== 'boolean' && typeof c !== 'number') {
      throw new ParseError(`${what} must be an expression string, a boolean, a number or a list of them; got ${typeName(c)}`, { loc });
    }
  }
  return list as Condition[];
}

export function boolish(v: unknown, what: string, loc: SourceLocation): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(yes|true|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(no|false|off)$/i.test(v)) return false;
  throw new ParseError(`${what} must be a boolean (true/false); got ${typeName(v)}`, { loc });
}

export function intish(v: unknown, what: string, loc: SourceLocation): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ParseError(`${what} must be an integer; got ${typeName(v)}`, { loc });
  return n;
}

/** loop_control.pause: seconds (a number, possibly fractional). */
export function nonNegative(v: unknown, loc: SourceLocation): number {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !(n >= 0)) throw new ParseError(`loop_control.pause must be a number of seconds; got ${typeName(v)}`, { loc });
  return n;
}
