// Ansible 2.14's ArgumentSpecValidator (module_utils/common/arg_spec.py, parameters.py,
// validation.py) as validate_argument_spec and a role's argument_specs use it: the same steps in
// the same order, the same conversions, the same error texts — an operator who knows Ansible's
// "Validation of arguments failed:" lines reads the same ones here.
//
// Python's type names appear in those texts (`<class 'int'>`). A string's class depends on where
// it came from (YAML text is AnsibleUnicode, a rendered template str): the caller says it per
// top-level name; what a conversion makes (a list from "a,b") is str, as in Python.
import { isPlainObject } from '../../value-kind.js';
import { isFloat, pyEquals, pyFloat, PyFloat, pyStr } from '../../engine/jinja/values.js';
import { pyJson } from '../../engine/jinja/pyjson.js';
import { pyLiteral } from '../../loaders/pyliteral.js';

type Obj = Record<string, unknown>;

/** One option of an argument spec (the keys the validator reads; documentation keys are ignored). */
export interface OptionSpec {
  type?: string;
  elements?: string;
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  options?: ArgumentSpec;
  aliases?: string[];
  no_log?: boolean;
  apply_defaults?: boolean;
  mutually_exclusive?: unknown[];
  required_together?: unknown[];
  required_one_of?: unknown[];
  required_if?: unknown[];
  required_by?: Obj;
  [doc: string]: unknown;
}
export type ArgumentSpec = Record<string, OptionSpec>;

/** YAML text in Ansible (a playbook, vars file, role defaults, the spec itself). */
export const YAML_STR = 'ansible.parsing.yaml.objects.AnsibleUnicode';

export interface ValidationResult {
  /** Ansible's error_messages, in its order. */
  errors: string[];
  /** The parameters converted, defaults set (Ansible 2.14's role validation does not export them). */
  validated: Obj;
  /** Values of `no_log` options (to be masked). */
  noLogValues: string[];
}

/** The types Ansible's validator converts to (bytes/bits, human-readable sizes, are not implemented). */
export const ARG_TYPES = ['str', 'list', 'dict', 'bool', 'int', 'float', 'path', 'raw', 'jsonarg', 'json'] as const;

// ---- Python's view of the values ----

/** The class of strings inside each container (a deep copy's containers are tagged with their top-level name's). */
const STR_CLASS = new WeakMap<object, string>();

function copyTagged(v: unknown, cls: string): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => copyTagged(x, cls));
    STR_CLASS.set(out, cls);
    return out;
  }
  if (isPlainObject(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyTagged(x, cls);
    STR_CLASS.set(out, cls);
    return out;
  }
  return v;
}

/** The top-level parameters: their strings' class is per name. */
const TOP_CLASS = new WeakMap<object, (name: string) => string>();

/** `<class 'int'>`: the value `v` held by `owner` under `key`. */
function pyType(v: unknown, owner: object, key: string | number): string {
  const top = TOP_CLASS.get(owner);
  return `<class '${className(v, top ? top(String(key)) : (STR_CLASS.get(owner) ?? 'str'), true)}'>`;
}

/** Python's class name: full (`ansible.parsing...AnsibleUnicode`) for `type()`, short for `__class__.__name__`. */
function className(v: unknown, strCls: string, full: boolean): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return full ? strCls : strCls.split('.').pop()!;
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** A conversion failed: Python's TypeError/ValueError text. */
class Invalid extends Error {}

const BOOL_TRUE = ['y', 'yes', 'on', '1', 'true', 't'];
const BOOL_FALSE = ['n', 'no', 'off', '0', 'false', 'f'];
// Python prints the frozenset in hash order, which varies from run to run for strings: any order is Ansible's
const BOOLEANS_SHOWN = "'y', 'yes', 'on', '1', 'true', 't', 1, 'n', 'no', 'off', '0', 'false', 'f', 0";

function boolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const n = typeof v === 'string' ? v.toLowerCase().trim() : v;
  if (typeof n === 'string' ? BOOL_TRUE.includes(n) : Number(n) === 1) return true;
  if (typeof n === 'string' ? BOOL_FALSE.includes(n) : Number(n) === 0) return false;
  throw new Invalid(`The value '${pyStr(v)}' is not a valid boolean.  Valid booleans include: ${BOOLEANS_SHOWN}`);
}

const isInt = (v: unknown): boolean => typeof v === 'boolean' || (typeof v === 'number' && Number.isInteger(v));
const isNumber = (v: unknown): boolean => typeof v === 'number' || v instanceof PyFloat;

/** Python's int(str): optional sign, digits with single underscores between them, spaces around. */
function pyInt(s: string): number | undefined {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(s);
  return m ? Number(`${m[1]}${m[2]!.replace(/_/g, '')}`) : undefined;
}

/** Python's float(str): decimal and exponent forms, inf/infinity/nan, underscores between digits. */
function pyFloatOf(s: string): number | PyFloat | undefined {
  const t = s.trim();
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const d = '\\d(?:_?\\d)*';
  if (!new RegExp(`^[+-]?(?:${d}(?:\\.(?:${d})?)?|\\.${d})(?:[eE][+-]?${d})?$`).test(t)) return undefined;
  return pyFloat(Number(t.replace(/_/g, '')));
}

/** Ansible's check_type_dict for a string: JSON or a Python literal when it starts with '{', else k=v pairs. */
function dictFromString(s: string): unknown {
  if (s.startsWith('{')) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      const v = pyLiteral(s);
      if (v === s) throw new Invalid('unable to evaluate string as dictionary');
      return v;
    }
  }
  if (!s.includes('=')) throw new Invalid('dictionary requested, could not parse JSON or key=value');
  const fields: string[] = [];
  let buf = '';
  let quote: string | false = false;
  let escape = false;
  for (const c of s.trim()) {
    if (escape) {
      buf += c;
      escape = false;
    } else if (c === '\\') escape = true;
    else if (!quote && (c === "'" || c === '"')) quote = c;
    else if (quote && quote === c) quote = false;
    else if (!quote && (c === ',' || c === ' ')) {
      if (buf) fields.push(buf);
      buf = '';
    } else buf += c;
  }
  if (buf) fields.push(buf);
  const out: Obj = {};
  for (const [n, f] of fields.entries()) {
    const i = f.indexOf('=');
    // Python's dict() of a 1-element split
    if (i < 0) throw new Invalid(`dictionary update sequence element #${n} has length 1; 2 is required`);
    out[f.slice(0, i)] = f.slice(i + 1);
  }
  return out;
}

/** os.path.expanduser(os.path.expandvars(s)) on the control node. */
function expandPath(s: string): string {
  const vars = s.replace(/\$(\w+|\{[^}]*\})/g, (m, name: string) => {
    const n = name.startsWith('{') ? name.slice(1, -1) : name;
    return process.env[n] ?? m;
  });
  const home = process.env.HOME;
  return home && (vars === '~' || vars.startsWith('~/')) ? home + vars.slice(1) : vars;
}

/** One type checker of validation.py (`check_type_*`): the converted value, or Invalid with Python's text. */
function convert(type: string, v: unknown, owner: object, key: string | number): unknown {
  const cls = () => pyType(v, owner, key);
  switch (type) {
    case 'str':
      return typeof v === 'string' ? v : pyStr(v);
    case 'path':
      return expandPath(typeof v === 'string' ? v : pyStr(v));
    case 'raw':
      return v;
    case 'list': {
      let out: unknown[];
      if (Array.isArray(v)) return v;
      if (typeof v === 'string') out = v.split(',');
      else if (isNumber(v) || typeof v === 'boolean') out = [pyStr(v)];
      else throw new Invalid(`${cls()} cannot be converted to a list`);
      STR_CLASS.set(out, 'str');
      return out;
    }
    case 'dict': {
      if (isPlainObject(v)) return v;
      if (typeof v !== 'string') throw new Invalid(`${cls()} cannot be converted to a dict`);
      const d = dictFromString(v);
      if (d !== null && typeof d === 'object') STR_CLASS.set(d, 'str');
      return d;
    }
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' || isNumber(v)) return boolean(v);
      throw new Invalid(`${cls()} cannot be converted to a bool`);
    case 'int':
      if (isInt(v)) return v;
      if (typeof v === 'string') {
        const n = pyInt(v);
        if (n !== undefined) return n;
      }
      throw new Invalid(`${cls()} cannot be converted to an int`);
    case 'float':
      if (isFloat(v)) return v;
      if (typeof v === 'string') {
        const f = pyFloatOf(v);
        if (f !== undefined) return f;
      } else if (isInt(v)) return pyFloat(Number(v));
      throw new Invalid(`${cls()} cannot be converted to a float`);
    case 'json':
    case 'jsonarg':
      if (typeof v === 'string') return v.trim();
      // jsonify: json.dumps with its defaults
      if (Array.isArray(v) || isPlainObject(v)) return pyJson({ fail: (m) => { throw new Invalid(m); } }, v, {});
      throw new Invalid(`${cls()} cannot be converted to a json string`);
    default:
      // Ansible calls None: the spec loader refuses unknown types before anything runs
      throw new Invalid("'NoneType' object is not callable");
  }
}

// ---- the validator ----

const found = (ctx: string[]): string => (ctx.length ? ` found in ${ctx.join(' -> ')}` : '');

function terms(t: unknown): string[] {
  return typeof t === 'string' ? [t] : Array.isArray(t) ? t.map((x) => String(x)) : [];
}
const count = (t: unknown, params: Obj): number => new Set(terms(t).filter((x) => Object.hasOwn(params, x))).size;

/** validation.py's check_mutually_exclusive (before defaults are set). */
function mutuallyExclusive(spec: OptionSpec, params: Obj, ctx: string[]): string[] {
  const me = (spec.mutually_exclusive ?? []).filter((c) => count(c, params) > 1);
  return me.length ? [`parameters are mutually exclusive: ${me.map((c) => terms(c).join('|')).join(', ')}${found(ctx)}`] : [];
}

/** validation.py's check_required_together/one_of/if/by (after types and choices): each the first failing term's text. */
function additionalChecks(spec: OptionSpec, params: Obj, ctx: string[]): string[] {
  const out: string[] = [];
  const together = (spec.required_together ?? []).find((t) => {
    const counts = terms(t).map((f) => count(f, params));
    return counts.some((c) => c > 0) && counts.includes(0);
  });
  if (together !== undefined) out.push(`parameters are required together: ${terms(together).join(', ')}${found(ctx)}`);
  const oneOf = (spec.required_one_of ?? []).find((t) => count(t, params) === 0);
  if (oneOf !== undefined) out.push(`one of the following is required: ${terms(oneOf).join(', ')}${found(ctx)}`);
  for (const req of spec.required_if ?? []) {
    if (!Array.isArray(req)) continue;
    const [key, val, reqs, isOneOf] = req as [string, unknown, unknown, unknown];
    const list = terms(reqs);
    if (!(Object.hasOwn(params, key) && pyEquals(params[key], val))) continue;
    const missing = list.filter((c) => count(c, params) === 0);
    if (missing.length && missing.length >= (isOneOf ? list.length : 0)) {
      out.push(`${key} is ${pyStr(val)} but ${isOneOf ? 'any' : 'all'} of the following are missing: ${missing.join(', ')}${found(ctx)}`);
      break;
    }
  }
  for (const [key, value] of Object.entries(spec.required_by ?? {})) {
    if (params[key] === undefined || params[key] === null) continue;
    const missing = terms(value).filter((r) => params[r] === undefined || params[r] === null);
    if (missing.length) {
      out.push(`missing parameter(s) required by '${key}': ${missing.join(', ')}${found(ctx)}`);
      break;
    }
  }
  return out;
}

class Validator {
  readonly errors: string[] = [];
  readonly noLog = new Set<string>();
  /** Unsupported names (a path below the top level), and what was supported where each was found. */
  readonly unsupported = new Map<string, { supported: string[]; aliases: string[] }>();

  /** _handle_aliases: alias → canonical, each given alias copied to its option; raises Ansible's internal errors. */
  aliases(spec: ArgumentSpec, params: Obj): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(spec)) {
      if (v.default !== undefined && v.default !== null && v.required) throw new Invalid(`internal error: required and default are mutually exclusive for ${k}`);
      if (v.aliases === undefined || v.aliases === null) continue;
      if (!Array.isArray(v.aliases)) throw new Invalid('internal error: aliases must be a list or tuple');
      for (const a of v.aliases) {
        out.set(String(a), k);
        if (Object.hasOwn(params, String(a))) params[k] = params[String(a)];
      }
    }
    return out;
  }

  /** _list_no_log_values: throws the first value that is not a mapping where sub-options are expected. */
  listNoLog(spec: ArgumentSpec, params: Obj): void {
    for (const [name, o] of Object.entries(spec)) {
      if (o.no_log) collectStrings(params[name], this.noLog);
      if (o.options === undefined || o.options === null) continue;
      const sub = params[name];
      if (sub === undefined || sub === null) continue;
      if (o.type !== 'dict' && !(o.type === 'list' && o.elements === 'dict')) continue;
      for (let p of Array.isArray(sub) ? sub : [sub]) {
        if (typeof p === 'string') p = dictFromString(p);
        if (!isPlainObject(p)) {
          throw new Invalid(`Value '${pyStr(p)}' in the sub parameter field '${name}' must by a ${o.type}, not '${className(p, YAML_STR, false)}'`);
        }
        this.listNoLog(o.options, p);
      }
    }
  }

  /** _get_unsupported_parameters. */
  noteUnsupported(spec: ArgumentSpec, params: Obj, aliases: Map<string, string>, ctx: string[]): void {
    const legal = [...aliases.keys(), ...Object.keys(spec)];
    for (const k of Object.keys(params)) {
      if (legal.includes(k)) continue;
      this.unsupported.set([...ctx, k].join('.'), { supported: legal.filter((x) => !aliases.has(x)), aliases: [...aliases.keys()] });
    }
  }

  types(spec: ArgumentSpec, params: Obj, ctx: string[]): void {
    for (const [param, o] of Object.entries(spec)) {
      if (!Object.hasOwn(params, param)) continue;
      const value = params[param];
      if (value === null || value === undefined) continue;
      const wanted = o.type ?? 'str';
      try {
        params[param] = convert(wanted, value, params, param);
        const list = params[param];
        if (o.elements && Array.isArray(list)) params[param] = this.elements(o.elements, param, list, ctx);
      } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        const where = ctx.length ? ` found in '${ctx.join(' -> ')}'.` : '';
        this.errors.push(`argument '${param}' is of type ${pyType(value, params, param)}${where} and we were unable to convert to ${wanted}: ${e.message}`);
      }
    }
  }

  /** _validate_elements: the converted elements; those that do not convert are dropped, each with an error. */
  elements(type: string, param: string, values: unknown[], ctx: string[]): unknown[] {
    const out: unknown[] = [];
    for (const [i, v] of values.entries()) {
      try {
        out.push(convert(type, v, values, i));
      } catch (e) {
        if (!(e instanceof Invalid)) throw e;
        const where = ctx.length ? ` found in '${ctx.join(' -> ')}'` : '';
        this.errors.push(`Elements value for option '${param}'${where} is of type ${pyType(v, values, i)} and we were unable to convert to ${type}: ${e.message}`);
      }
    }
    STR_CLASS.set(out, STR_CLASS.get(values) ?? 'str');
    return out;
  }

  /** _validate_argument_values: choices (a 'True'/'False' string becomes the one matching boolean word). */
  choices(spec: ArgumentSpec, params: Obj, ctx: string[]): void {
    for (const [param, o] of Object.entries(spec)) {
      const choices = o.choices;
      if (!Array.isArray(choices) || !Object.hasOwn(params, param)) continue;
      const v = params[param];
      const shown = choices.map((c) => pyStr(c)).join(', ');
      const among = (x: unknown) => choices.some((c) => pyEquals(c, x));
      if (Array.isArray(v)) {
        const diff = v.filter((x) => !among(x));
        if (diff.length) this.errors.push(`value of ${param} must be one or more of: ${shown}. Got no match for: ${diff.map((x) => pyStr(x)).join(', ')}${found(ctx)}`);
        continue;
      }
      if (among(v)) continue;
      for (const [word, set] of [['False', BOOL_FALSE], ['True', BOOL_TRUE]] as const) {
        if (v !== word) continue;
        const overlap = choices.filter((c) => (typeof c === 'string' ? set.includes(c) : word === 'True' ? pyEquals(c, 1) : pyEquals(c, 0)));
        if (overlap.length === 1) params[param] = overlap[0];
      }
      if (!among(params[param])) this.errors.push(`value of ${param} must be one of: ${shown}, got: ${pyStr(params[param])}${found(ctx)}`);
    }
  }

  /** _set_defaults: missing options get their default (all, None included, when `all`). */
  defaults(spec: ArgumentSpec, params: Obj, all: boolean): void {
    for (const [param, o] of Object.entries(spec)) {
      if (Object.hasOwn(params, param)) continue;
      const d = o.default ?? null;
      if (d === null && !all) continue;
      if (o.no_log && typeof d === 'string' && d) this.noLog.add(d);
      params[param] = copyTagged(d, YAML_STR);
    }
  }

  required(spec: ArgumentSpec, params: Obj, ctx: string[]): void {
    const missing = Object.entries(spec)
      .filter(([k, o]) => o.required && !Object.hasOwn(params, k))
      .map(([k]) => k)
      .sort();
    if (missing.length) this.errors.push(`missing required arguments: ${missing.join(', ')}${found(ctx)}`);
  }

  /** _validate_sub_spec: the options of dicts and lists of dicts, recursively. */
  subSpec(spec: ArgumentSpec, params: Obj, ctx: string[]): void {
    for (const [param, o] of Object.entries(spec)) {
      if (o.type !== 'dict' && !(o.type === 'list' && o.elements === 'dict')) continue;
      const sub = o.options;
      if (o.apply_defaults) {
        if (!sub) continue;
        if (params[param] === undefined || params[param] === null) params[param] = {};
      } else if (!sub || params[param] === undefined || params[param] === null) continue;
      const here = [...ctx, param];
      const value = params[param];
      for (const p of Array.isArray(value) ? value : [value]) {
        if (!isPlainObject(p)) {
          this.errors.push(`value of '${param}' must be of type dict or list of dicts`);
          continue;
        }
        this.options(sub!, p, here, o);
      }
    }
  }

  /** One level of validation (ArgumentSpecValidator.validate for the top, the body of _validate_sub_spec below it). */
  options(spec: ArgumentSpec, params: Obj, ctx: string[], checks: OptionSpec = {}): void {
    let aliases = new Map<string, string>();
    try {
      aliases = this.aliases(spec, params);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      this.errors.push(e.message);
    }
    try {
      this.listNoLog(spec, params);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      this.errors.push(e.message);
    }
    this.noteUnsupported(spec, params, aliases, ctx);
    this.errors.push(...mutuallyExclusive(checks, params, ctx));
    this.defaults(spec, params, false);
    this.required(spec, params, ctx);
    this.types(spec, params, ctx);
    this.choices(spec, params, ctx);
    this.errors.push(...additionalChecks(checks, params, ctx));
    this.defaults(spec, params, true);
    this.subSpec(spec, params, ctx);
  }
}

function collectStrings(v: unknown, into: Set<string>): void {
  if (typeof v === 'string') {
    if (v) into.add(v);
  } else if (Array.isArray(v)) for (const x of v) collectStrings(x, into);
  else if (isPlainObject(v)) for (const x of Object.values(v)) collectStrings(x, into);
  else if (typeof v === 'number' || v instanceof PyFloat) into.add(pyStr(v));
}

/**
 * Validates `params` against `spec` as Ansible 2.14's ArgumentSpecValidator.validate does.
 * `strClass(name)`: the Python class of the strings of top-level parameter `name` (default YAML text).
 */
export function validateArgumentSpec(spec: ArgumentSpec, params: Obj, strClass: (name: string) => string = () => YAML_STR): ValidationResult {
  const v = new Validator();
  const copy: Obj = {};
  for (const [k, x] of Object.entries(params)) copy[k] = copyTagged(x, strClass(k));
  TOP_CLASS.set(copy, strClass);
  v.options(spec, copy, []);
  if (v.unsupported.size) {
    const names = [...v.unsupported.keys()].sort();
    // Ansible lists what is supported where the last name of its (unordered) set was found: the last in sorted order here
    const where = v.unsupported.get(names[names.length - 1]!)!;
    let supported = [...where.supported].sort().join(', ');
    if (where.aliases.length) supported += ` (${[...where.aliases].sort().join(', ')})`;
    v.errors.push(`${names.join(', ')}. Supported parameters include: ${supported}.`);
  }
  return { errors: v.errors, validated: copy, noLogValues: [...v.noLog] };
}
