// What kind of value this is, for every layer: the one plain-mapping check, and the words error
// messages use to name a value (operator-facing, bare, or as Python/Jinja names it).

/**
 * A mapping as YAML, JSON and templates produce it: an object whose prototype is Object's (or
 * null). Lists, Buffers (YAML `!!binary`), class instances (Undef, Callable, Map, Date) are not.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** The bare kind: `null`, `list`, `mapping` or the JS type (`cannot compare list with mapping`). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isPlainObject(v)) return 'mapping';
  return typeof v;
}

/** Python's type names, for error messages users of Ansible recognise (and `type_debug`). */
export function pythonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (isPlainObject(v)) return 'dict';
  if (typeof v === 'function') return 'function';
  return 'object';
}

export interface DescribeStyle {
  /**
   * How a scalar reads: `the string "x"` / `the number 5` (default, playbook loading),
   * `a string ("x")` / `a number (5)` (inventories, vars files), or a string alone in single quotes
   * `'x'` and other scalars as `the number 5` (module arguments: the value as the user typed it).
   */
  scalar?: 'the' | 'a' | 'quoted';
  /** What null and undefined read as (default `null`; playbook loading says `nothing`). */
  nothing?: string;
  /** A secret: only its type is told (`a string (value hidden)`). */
  secret?: boolean;
}

/** A value as an error message names it after "got"/"found": `a list`, `a mapping`, `the string "x"`, … */
export function describeValue(v: unknown, style: DescribeStyle = {}): string {
  if (v === null || v === undefined) return style.nothing ?? 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (style.secret) return `a ${typeof v} (value hidden)`;
  const scalar = style.scalar ?? 'the';
  if (typeof v === 'string') return scalar === 'quoted' ? `'${v}'` : scalar === 'a' ? `a string (${JSON.stringify(v)})` : `the string ${JSON.stringify(v)}`;
  return scalar === 'a' ? `a ${typeof v} (${String(v)})` : `the ${typeof v} ${String(v)}`;
}
