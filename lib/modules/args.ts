// Argument validation against a module's declared schema (Ansible's argument_spec): free form,
// aliases, unknown/required/choices checks and type coercion. Runs twice: at load time with
// templates deferred (values still containing `{{` are checked after rendering), then per host.

import { ArgumentError, closest, type SourceLocation } from '../errors.js';
import type { AnyModule, ArgSpec, ArgType } from './types.js';
import { describeValue, isPlainObject } from '../value-kind.js';

export interface ValidateWhere {
  loc?: SourceLocation;
  keyLoc?: (key: string) => SourceLocation | undefined;
  /** At load time, before variables are known: do not type-check values containing `{{`. */
  deferTemplates?: boolean;
}

const TRUE = new Set(['true', 'yes', 'on', '1', 'y', 't']);
const FALSE = new Set(['false', 'no', 'off', '0', 'n', 'f']);

function isTemplated(v: unknown): boolean {
  return typeof v === 'string' && v.includes('{{');
}

/** An argument's value as written: `'x'` for a string, `the number 5`; a secret only by its type. */
function describe(v: unknown, secret: boolean): string {
  return describeValue(v, { scalar: 'quoted', secret });
}

/** Thrown inside coercion; carries only the message, the caller adds module name and location. */
class CoerceError extends Error {}

/** `label` names the value in messages ("argument 'x' of module 'm'"); `name` is the argument. */
function coerce(label: string, name: string, type: ArgType, v: unknown, spec: ArgSpec, defer: boolean): unknown {
  if (defer && isTemplated(v)) return v;
  const secret = spec.secret === true;
  const bad = (what: string): never => {
    throw new CoerceError(`${label} must be ${what}; got ${describe(v, secret)}`);
  };
  switch (type) {
    case 'raw':
      return v;
    case 'str':
    case 'path':
      if (typeof v === 'string') return v;
      // Python's str(): a YAML `off` or a rendered boolean reaches a string argument as 'False', as in Ansible
      if (typeof v === 'boolean') return v ? 'True' : 'False';
      if (typeof v === 'number') return String(v);
      return bad('a string');
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
      return bad('an integer');
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
      if (typeof v === 'string') {
        const s = v.trim().toLowerCase();
        if (TRUE.has(s)) return true;
        if (FALSE.has(s)) return false;
      }
      return bad('a boolean (true/false, yes/no, on/off, 1/0)');
    case 'list': {
      let items: unknown[];
      if (Array.isArray(v)) items = v;
      // Ansible's check_type_list: a comma-separated string becomes a list, a scalar a one-item list.
      else if (typeof v === 'string') items = v.split(',');
      else if (typeof v === 'number' || typeof v === 'boolean') items = [String(v)];
      else return bad('a list');
      const el = spec.elements;
      if (!el) return [...items];
      return items.map((item, i) => coerce(`element ${i + 1} of ${label}`, name, el, item, { ...spec, elements: undefined }, defer));
    }
    case 'dict':
      if (isPlainObject(v)) return { ...v };
      return bad('a mapping');
    case 'mode':
      if (typeof v === 'number') {
        // YAML 1.1 (Ansible's) reads `0644` as octal, i.e. the number 420: that number is the mode, as in
        // Ansible. `644` without the 0 is decimal 644 = 01204, which Ansible applies silently; a number in
        // 512-777 written with octal digits only is that classic mistake, refused with the fix.
        const s = String(v);
        if (Number.isInteger(v) && v >= 512 && v <= 777 && /^[0-7]{3}$/.test(s)) {
          throw new CoerceError(`${name} must be octal: write 0${s} or "0${s}"; got the decimal number ${s} (= 0${v.toString(8)})`);
        }
        if (!Number.isInteger(v) || v < 0 || v > 0o7777) throw new CoerceError(`${name} must be a mode like "0644"; got the number ${s}`);
        return `0${v.toString(8).padStart(3, '0')}`;
      }
      if (typeof v === 'string') {
        // 3-4 octal digits, optionally with a leading 0 before 4 ("01777").
        if (/^0?[0-7]{3,4}$/.test(v)) return v;
        const symbolic = /[ugoa]*[-+=][rwxXst]*/.test(v) ? ' (symbolic modes are not supported)' : '';
        throw new CoerceError(`${name} must be a quoted octal string like "0644"; got '${v}'${symbolic}`);
      }
      return bad('a quoted octal string like "0644"');
  }
}

/** A module's schema as validateArgs reads it: the canonical name of every accepted key (names and aliases), the specs in order. */
interface Schema {
  canonical: ReadonlyMap<string, string>;
  specs: ReadonlyArray<readonly [string, ArgSpec]>;
}

/**
 * Made once per schema object (a module's `args` is fixed when it is defined; a new one is a new
 * key): validateArgs runs per task and host, ~200 times in an etcd no-op, and rebuilt this each time.
 */
const SCHEMAS = new WeakMap<AnyModule['args'], Schema>();
function schemaOf(mod: AnyModule): Schema {
  let s = SCHEMAS.get(mod.args);
  if (!s) {
    const canonical = new Map<string, string>();
    const specs = Object.entries(mod.args) as Array<[string, ArgSpec]>;
    for (const [name, spec] of specs) {
      canonical.set(name, name);
      for (const a of spec.aliases ?? []) canonical.set(a, name);
    }
    SCHEMAS.set(mod.args, (s = { canonical, specs }));
  }
  return s;
}

export function validateArgs(mod: AnyModule, raw: unknown, where: ValidateWhere = {}): Record<string, unknown> {
  const defer = where.deferTemplates === true;
  const at = (key?: string): SourceLocation | undefined => (key !== undefined ? where.keyLoc?.(key) : undefined) ?? where.loc;
  const fail = (msg: string, key?: string, hint?: string): never => {
    throw new ArgumentError(msg, { loc: at(key), hint });
  };

  let given: Record<string, unknown>;
  if (raw === null || raw === undefined) given = {};
  else if (typeof raw === 'string') {
    if (!mod.freeForm) fail(`module '${mod.name}' does not take free-form arguments; got '${raw}'`, undefined, 'write its arguments as a mapping');
    given = { [mod.freeForm!]: raw };
  } else if (isPlainObject(raw)) given = raw;
  else {
    given = fail(`arguments of module '${mod.name}' must be a mapping${mod.freeForm ? ' or a string' : ''}; got ${describe(raw, false)}`);
  }

  const { canonical, specs } = schemaOf(mod);

  const out: Record<string, unknown> = {};
  const givenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(given)) {
    const name = canonical.get(key);
    if (name === undefined && mod.restArg) {
      // add_host: every other key is a host variable, kept as written (rendered with the rest)
      out[mod.restArg] = { ...((out[mod.restArg] as Record<string, unknown> | undefined) ?? {}), [key]: value };
      continue;
    }
    if (name === undefined) {
      const valid = [...canonical.keys()].sort();
      const guess = closest(key, valid);
      fail(`unknown argument '${key}' for module '${mod.name}'${guess ? ` (did you mean '${guess}'?)` : ''}; valid: ${valid.join(', ')}`, key);
    }
    const prev = givenAs.get(name!);
    if (prev !== undefined) fail(`argument '${name}' of module '${mod.name}' given twice (as '${prev}' and '${key}')`, key);
    givenAs.set(name!, key);
    // null means "not given" (as in Ansible): the default applies.
    if (value === null || value === undefined) continue;
    const spec = mod.args[name!]!;
    let v: unknown;
    try {
      v = coerce(`argument '${name}' of module '${mod.name}'`, name!, spec.type, value, spec, defer);
    } catch (e) {
      if (e instanceof CoerceError) fail(e.message, key);
      throw e;
    }
    if (spec.choices && !(defer && isTemplated(v))) {
      const vals = Array.isArray(v) ? v : [v];
      for (const x of vals) {
        if (defer && isTemplated(x)) continue;
        if (!spec.choices.includes(String(x))) {
          const shown = spec.secret ? '(value hidden)' : `'${String(x)}'`;
          const guess = typeof x === 'string' ? closest(x, spec.choices) : undefined;
          fail(
            `argument '${name}' of module '${mod.name}' must be one of: ${spec.choices.join(', ')}; got ${shown}${guess ? ` (did you mean '${guess}'?)` : ''}`,
            key,
          );
        }
      }
    }
    out[name!] = v;
  }

  for (const [name, spec] of specs) {
    if (name in out) continue;
    if (spec.required) fail(`missing required argument '${name}' for module '${mod.name}'`);
    // a mapping or list default is the module's own: each task gets a copy
    if (spec.default !== undefined) out[name] = typeof spec.default === 'object' && spec.default !== null ? structuredClone(spec.default) : spec.default;
  }

  // Cross-argument checks need final values: at load time they run only when nothing is templated.
  if (mod.validate && !(defer && Object.values(out).some((v) => containsTemplate(v)))) {
    try {
      mod.validate(out);
    } catch (e) {
      if (e instanceof ArgumentError && !e.loc && at()) throw new ArgumentError(e.message, { loc: at(), hint: e.hint, cause: e.cause });
      throw e;
    }
  }
  return out;
}

function containsTemplate(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(containsTemplate);
  if (isPlainObject(v)) return Object.values(v).some(containsTemplate);
  return false;
}
