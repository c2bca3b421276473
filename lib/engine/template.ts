// Handlebars templating for task arguments and template files. One isolated Handlebars instance
// per engine, strict (a missing `{{x}}` is an error, as Ansible's undefined variables are), no HTML
// escaping (we render config files, not web pages).
//
// Undefined helper arguments (`{{#if x}}`, `{{#each x}}`, `{{join x ","}}`) are not checked by
// Handlebars' strict mode. We catch them at run time instead of guessing statically: every helper
// (ours and the builtin if/unless/each/with/lookup) rejects an `undefined` argument, and the error is
// mapped back, through the parsed AST and the helper's source location, to the PathExpression that
// produced it. That way Handlebars' own scoping (`this`, `../`, `@root`, `as |x|`, each/with
// contexts) decides what a name means, and only code that actually runs can fail.
// To test something that may be undefined, wrap it: `{{#if (default x false)}}`.
import Handlebars from 'handlebars';
import { stringify as yamlStringify } from 'yaml';
import { TemplateError, closest, type SourceLocation } from '../errors.js';
import { shq } from '../executor/types.js';
import { pyEquals, truthy } from './expr.js';
import { languageOf } from './template-lang.js';
import { renderText as jinjaText, renderValue as jinjaValue } from './jinja/index.js';

/** Text that may be a template: Jinja also starts with `{%` and `{#`, as Ansible's is_possibly_template. */
function maybeTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

type HB = typeof Handlebars;
type Node = hbs.AST.Node;
type Program = hbs.AST.Program;
type Mustache = hbs.AST.MustacheStatement;
type PathExpr = hbs.AST.PathExpression;
type SubExpr = hbs.AST.SubExpression;

/** Where a value sits: called with the object/array holding the string and its key. */
export type LocOf = (container: unknown, key?: string | number) => SourceLocation | undefined;

interface Compiled {
  fn: HandlebarsTemplateDelegate;
  ast: Program;
  /** The single `{{ … }}` of a string that is nothing else: rendered to its native value. */
  native?: Mustache;
}

/** Thrown inside helpers; carries the helper's source position and the argument at fault. */
class HelperFailure extends Error {
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

const PROTO_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Array.prototype)].filter((n) => n !== 'length'));
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** Text for a value inside a helper (booleans/numbers as JS prints them, objects as JSON). */
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isPlainObject(v)) return 'mapping';
  return typeof v;
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
const HELPERS: Record<string, { arity: [number, number]; allowUndefined?: number[]; fn: HelperFn }> = {
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
const VALUE_HELPER = 'bosun-value';
const PATH_HELPER = 'bosun-path';
HELPERS[VALUE_HELPER] = { arity: [1, 1], fn: ([v]) => v };
HELPERS[PATH_HELPER] = {
  arity: [1, Infinity],
  allowUndefined: [0],
  fn: ([base, ...keys]) => resolvePath(base, keys.map(String)).value,
};

/** A rewritten block-param path keeps its source text for error messages. */
interface PathCall extends SubExpr {
  bosunOriginal?: string;
}

/**
 * Handlebars strict mode does not check paths that start with a block param (`as |it|`): it
 * renders `{{it.missing}}` as '' and crashes on `{{it.a.b}}` when `a` is missing. Rewrite
 * `it.a.b` to `(bosun-path it "a" "b")` (null-safe, own properties only) and a lone `{{it.x}}`
 * to `{{bosun-value …}}`, whose undefined-argument check then names the path.
 */
function strictBlockParams(prog: Program | undefined, names: ReadonlySet<string>): void {
  if (!prog) return;
  const inner = prog.blockParams?.length ? new Set([...names, ...prog.blockParams]) : names;
  const isBp = (e: Node): e is PathExpr => {
    if (e.type !== 'PathExpression') return false;
    const p = e as PathExpr;
    return !p.data && p.depth === 0 && inner.has(p.parts[0]!) && !/^this\b/.test(p.original);
  };
  // Names inherited from Object/Array prototypes: Handlebars would find them with `in`, refuse
  // them (not own) and print a warning on the console, rendering ''. Resolve them ourselves.
  const isProto = (e: Node): e is PathExpr => e.type === 'PathExpression' && (e as PathExpr).parts.some((x) => PROTO_NAMES.has(x));
  const expr = (e: Node): Node => {
    const bp = isBp(e);
    if ((bp && e.parts.length > 1) || isProto(e)) {
      const p = e as PathExpr;
      const lit = (v: string): hbs.AST.StringLiteral => ({ type: 'StringLiteral', value: v, original: v, loc: p.loc });
      const head: PathExpr = bp
        ? { type: 'PathExpression', data: false, depth: 0, parts: [p.parts[0]!], original: p.parts[0]!, loc: p.loc }
        : p.data
          ? { type: 'PathExpression', data: true, depth: 0, parts: [p.parts[0]!], original: '@' + p.parts[0]!, loc: p.loc }
          : { type: 'PathExpression', data: false, depth: p.depth, parts: [], original: p.depth ? '../'.repeat(p.depth) : 'this', loc: p.loc };
      const keys = bp || p.data ? p.parts.slice(1) : p.parts;
      const call: PathCall = {
        type: 'SubExpression',
        path: { type: 'PathExpression', data: false, depth: 0, parts: [PATH_HELPER], original: PATH_HELPER, loc: p.loc },
        params: [head, ...keys.map(lit)],
        hash: { type: 'Hash', pairs: [], loc: p.loc },
        loc: p.loc,
        bosunOriginal: p.original,
      };
      return call;
    }
    if (e.type === 'SubExpression') args(e as SubExpr);
    return e;
  };
  const args = (n: { params: Node[]; hash?: hbs.AST.Hash }): void => {
    n.params = n.params.map(expr);
    for (const pair of n.hash?.pairs ?? []) pair.value = expr(pair.value);
  };
  for (const st of prog.body) {
    if (st.type === 'MustacheStatement') {
      const m = st as Mustache;
      if (m.params.length === 0 && noHash(m) && (isBp(m.path) || isProto(m.path))) {
        m.params = [expr(m.path)];
        m.path = { type: 'PathExpression', data: false, depth: 0, parts: [VALUE_HELPER], original: VALUE_HELPER, loc: m.path.loc } as PathExpr;
      } else args(m);
    } else if (st.type === 'BlockStatement') {
      const b = st as hbs.AST.BlockStatement;
      args(b);
      strictBlockParams(b.program, inner);
      strictBlockParams(b.inverse, inner);
    }
  }
}

/** Builtins whose first argument must be defined (the value being tested / iterated / looked into). */
const CHECKED_BUILTINS = ['if', 'unless', 'each', 'with', 'lookup'];
/** Builtins that write outside the rendered text (the console). */
const REMOVED_BUILTINS = ['log'];

interface HelperOpts {
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
function resolvePath(root: unknown, parts: readonly string[]): { found: boolean; value: unknown } {
  let cur = root;
  for (const p of parts) {
    if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, p)) cur = (cur as Record<string, unknown>)[p];
    else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

function describeExpr(e: Node): string {
  switch (e.type) {
    case 'PathExpression':
      return (e as PathExpr).original;
    case 'SubExpression': {
      const s = e as PathCall;
      if (s.bosunOriginal) return s.bosunOriginal;
      return `(${[s.path, ...s.params].map(describeExpr).join(' ')})`;
    }
    case 'StringLiteral':
      return JSON.stringify((e as hbs.AST.StringLiteral).value);
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return String((e as hbs.AST.NumberLiteral).value);
    default:
      return e.type;
  }
}

/** Calls `visit` on every node of the tree (statements, expressions, nested programs). */
function walk(node: Node | undefined | null, visit: (n: Node) => void): void {
  if (!node) return;
  visit(node);
  const n = node as unknown as Record<string, unknown>;
  for (const key of ['body', 'params']) {
    const list = n[key];
    if (Array.isArray(list)) for (const c of list) walk(c as Node, visit);
  }
  for (const key of ['path', 'name', 'program', 'inverse']) {
    const c = n[key];
    if (c && typeof c === 'object') walk(c as Node, visit);
  }
  const hash = n.hash as hbs.AST.Hash | undefined;
  if (hash) for (const p of hash.pairs) walk(p.value, visit);
}

export class TemplateEngine {
  private readonly hb: HB;
  private readonly cache = new Map<string, Compiled>();
  private static readonly CACHE_MAX = 5000;

  constructor() {
    this.hb = Handlebars.create();
    const hb = this.hb;
    const withCompiler = hb as unknown as { JavaScriptCompiler: CompilerClass };
    withCompiler.JavaScriptCompiler = stringAppendingCompiler(withCompiler.JavaScriptCompiler);
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

  /** Every helper a template can call (ours and Handlebars' builtins still registered), sorted. */
  helperNames(): string[] {
    return Object.keys(this.hb.helpers).sort();
  }

  hasTemplate(s: unknown): boolean {
    return typeof s === 'string' && s.includes('{{');
  }

  /**
   * Renders a template text to a string. `baseLine` is the number of file lines before `text`
   * (an error on the text's line n is reported at line baseLine + n). `newline`: the template
   * module's newline_sequence (every newline of the text written so; Jinja keeps variables' own).
   */
  render(text: string, vars: Record<string, unknown>, file: string, baseLine = 0, newline?: string): string {
    const lang = languageOf(text, file, { file, line: baseLine + 1 });
    const lines = (s: string): string => (newline === undefined ? s : s.replace(/\r\n|\r|\n/g, newline));
    if (lang === 'plain') return lines(text);
    // A template file: Ansible's template module settings (trim_blocks, trailing newlines kept).
    if (lang === 'jinja') return jinjaText(text, vars, { file, baseLine }, { file: true, newline });
    const c = this.compile(text, file, baseLine);
    try {
      return lines(c.fn(vars));
    } catch (e) {
      throw this.translate(e, c, vars, file, baseLine);
    }
  }

  /**
   * Renders every string inside `value` (arrays and plain objects recursively). A string that is
   * exactly one `{{ … }}` yields the native value (list, number, mapping…), as Ansible does.
   * Unchanged containers are returned as is, so callers keep object identity (and source positions).
   * `where` is either a LocOf (e.g. `(o, k) => keyLoc(o, String(k))` from loaders/yaml.ts) or one
   * baseLine for every string.
   */
  renderValue(value: unknown, vars: Record<string, unknown>, file: string, where?: LocOf | number): unknown {
    const locOf = typeof where === 'function' ? where : undefined;
    const fixedBase = typeof where === 'number' ? where : 0;
    const rec = (v: unknown, parent: unknown, key: string | number | undefined): unknown => {
      if (typeof v === 'string') {
        if (!maybeTemplate(v)) return v;
        const loc = parent !== undefined && locOf ? locOf(parent, key) : undefined;
        return this.renderString(v, vars, loc?.file ?? file, loc?.line !== undefined ? loc.line - 1 : fixedBase);
      }
      if (Array.isArray(v)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const r = rec(v[i], v, i);
          if (r !== v[i] && !out) out = v.slice(0, i);
          if (out) out.push(r);
        }
        return out ?? v;
      }
      if (isPlainObject(v)) {
        let out: Record<string, unknown> | undefined;
        const keys = Object.keys(v);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          const r = rec(v[k], v, k);
          if (r !== v[k] && !out) {
            out = {};
            for (const pk of keys.slice(0, i)) define(out, pk, v[pk]);
          }
          if (out) define(out, k, r);
        }
        return out ?? v;
      }
      return v;
    };
    return rec(value, undefined, undefined);
  }

  /** One string: its native value when it is a single `{{ expr }}`, else the rendered text. */
  renderString(text: string, vars: Record<string, unknown>, file: string, baseLine = 0): unknown {
    if (!maybeTemplate(text)) return text;
    const lang = languageOf(text, undefined, { file, line: baseLine + 1 });
    if (lang === 'jinja') return jinjaValue(text, vars, { file, baseLine });
    const c = this.compile(text, file, baseLine);
    if (c.native) {
      const r = this.evalNative(c.native, vars, c, file, baseLine);
      // Surrounding whitespace (YAML block scalars) is dropped for native values (lists, numbers…),
      // but a string result is text: `"{{ word }}\n"` keeps its newline.
      if (r.ok && !(typeof r.value === 'string' && text.trim() !== text)) return r.value;
    }
    try {
      return c.fn(vars);
    } catch (e) {
      throw this.translate(e, c, vars, file, baseLine);
    }
  }

  private compile(text: string, file: string, baseLine: number): Compiled {
    let c = this.cache.get(text);
    if (c) return c;
    let ast: Program;
    try {
      ast = this.hb.parse(text);
    } catch (e) {
      throw this.parseError(e, text, file, baseLine);
    }
    walk(ast, (n) => {
      if (n.type === 'PathExpression') {
        const p = n as PathExpr;
        const bad = p.parts.find((x) => FORBIDDEN.has(x));
        if (bad) throw new TemplateError(`access to '${bad}' is not allowed in templates`, { loc: this.at(n, file, baseLine) });
      } else if (n.type === 'SubExpression' || ((n.type === 'MustacheStatement' || n.type === 'BlockStatement') && ((n as Mustache).params.length > 0 || !noHash(n as Mustache)))) {
        // Strict mode would report a misspelt helper as an undefined variable; say what it is.
        const path = (n as SubExpr).path;
        const name = path.type === 'PathExpression' ? (path as PathExpr).original : describeExpr(path);
        if (!Object.hasOwn(this.hb.helpers, name)) {
          const near = closest(name, Object.keys(this.hb.helpers));
          throw new TemplateError(`unknown helper '${name}'`, { loc: this.at(n, file, baseLine), hint: near ? `did you mean '${near}'?` : undefined });
        }
      } else if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement' || n.type.startsWith('Decorator')) {
        throw new TemplateError('partials and decorators ({{> …}}, {{* …}}) are not supported', { loc: this.at(n, file, baseLine) });
      }
    });
    strictBlockParams(ast, new Set());
    // `log` is not a known helper any more: compiled code must not call it directly
    const fn = this.hb.compile(ast, { strict: true, noEscape: true, knownHelpers: { log: false } });
    c = { fn, ast };
    const trimmed = text.trim();
    if (ast.body.length >= 1) {
      const stmts = ast.body.filter((s) => !(s.type === 'ContentStatement' && (s as hbs.AST.ContentStatement).value.trim() === ''));
            if (stmts.length === 1 && stmts[0]!.type === 'MustacheStatement' && trimmed.startsWith('{{') && trimmed.endsWith('}}')) {
        c.native = stmts[0] as Mustache;
      }
    }
    if (this.cache.size >= TemplateEngine.CACHE_MAX) this.cache.clear();
    this.cache.set(text, c);
    return c;
  }

  private at(n: Node | undefined, file: string, baseLine: number): SourceLocation {
    if (!n?.loc) return { file, line: baseLine + 1 };
    return { file, line: baseLine + n.loc.start.line, col: n.loc.start.column + 1 };
  }

  /**
   * Evaluates a lone mustache without Handlebars so its value keeps its type. Handles paths at the
   * top level and calls of our pure helpers; anything else (`../`, data, builtins) goes the normal way.
   */
  private evalNative(m: Mustache, vars: Record<string, unknown>, c: Compiled, file: string, baseLine: number): { ok: boolean; value?: unknown } {
    const NO = { ok: false };
    const evalExpr = (e: Node, tolerateUndefined: boolean): { ok: boolean; value?: unknown } => {
      switch (e.type) {
        case 'StringLiteral':
        case 'NumberLiteral':
        case 'BooleanLiteral':
          return { ok: true, value: (e as hbs.AST.StringLiteral).value };
        case 'NullLiteral':
          return { ok: true, value: null };
        case 'UndefinedLiteral':
          return { ok: true, value: undefined };
        case 'PathExpression': {
          const p = e as PathExpr;
          if (p.depth > 0) return NO;
          let parts = p.parts;
          if (p.data) {
            if (parts[0] !== 'root') return NO;
            parts = parts.slice(1);
          }
          const r = resolvePath(vars, parts);
          if (!r.found && !tolerateUndefined) throw this.undefinedError(p.original, this.at(e, file, baseLine), vars);
          return { ok: true, value: r.value };
        }
        case 'SubExpression':
          return call(e as SubExpr);
      }
      return NO;
    };
    const call = (s: SubExpr | Mustache): { ok: boolean; value?: unknown } => {
      if (s.path.type !== 'PathExpression') return NO;
      const path = s.path as PathExpr;
      const name = path.original;
      const h = Object.hasOwn(HELPERS, name) ? HELPERS[name] : undefined;
      const noArgs = s.params.length === 0 && noHash(s);
      if (noArgs && s.type === 'MustacheStatement') return evalExpr(path, false);
      if (name === 'lookup' && s.params.length === 2 && noHash(s)) {
        const obj = evalExpr(s.params[0]!, false);
        const key = evalExpr(s.params[1]!, false);
        if (!obj.ok || !key.ok) return NO;
        // undefined arguments and forbidden keys: the wrapped builtin reports them
        if (obj.value === undefined || key.value === undefined || FORBIDDEN.has(String(key.value))) return NO;
        return { ok: true, value: resolvePath(obj.value, [String(key.value)]).value };
      }
      if (!h) return NO; // other builtins and unknown helpers: let Handlebars render and report
      const args: unknown[] = [];
      for (let i = 0; i < s.params.length; i++) {
        const r = evalExpr(s.params[i]!, h.allowUndefined?.includes(i) ?? false);
        if (!r.ok) return NO;
        args.push(r.value);
      }
      const hash: Record<string, unknown> = {};
      for (const pair of s.hash?.pairs ?? []) {
        const r = evalExpr(pair.value, false);
        if (!r.ok) return NO;
        hash[pair.key] = r.value;
      }
      // Same checks and messages as when Handlebars calls the helper.
      const opts: HelperOpts = { hash, loc: s.loc };
      try {
        const fn = this.hb.helpers[name] as (this: unknown, ...a: unknown[]) => unknown;
        return { ok: true, value: fn.call(vars, ...args, opts) };
      } catch (e) {
        throw this.translate(e, c, vars, file, baseLine);
      }
    };
    return call(m);
  }

  private undefinedError(name: string, loc: SourceLocation, vars: Record<string, unknown>): TemplateError {
    const head = name.split('.')[0]!;
    let hint: string | undefined;
    if (!head.startsWith('@') && !head.startsWith('..') && !resolvePath(vars, [head]).found) {
      const near = closest(head, Object.keys(vars));
      if (near) hint = `did you mean '${near}'?`;
    }
    return new TemplateError(`undefined variable '${name}'`, { loc, hint });
  }

  /** Maps Handlebars/helper errors to TemplateError with file:line:col and the variable's name. */
  private translate(e: unknown, c: Compiled, vars: Record<string, unknown>, file: string, baseLine: number): TemplateError {
    if (e instanceof TemplateError) return e;
    const find = (line: number | undefined, column: number | undefined, pred: (n: Node) => boolean): Node | undefined => {
      if (line === undefined) return undefined;
      let found: Node | undefined;
      walk(c.ast, (n) => {
        if (!found && n.loc && n.loc.start.line === line && n.loc.start.column === column && pred(n)) found = n;
      });
      return found;
    };
    if (e instanceof HelperFailure) {
      const call = find(e.line, e.column, (n) => n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') as
        | (Mustache & { path: PathExpr })
        | undefined;
      const loc: SourceLocation = e.line !== undefined ? { file, line: baseLine + e.line, col: (e.column ?? 0) + 1 } : { file, line: baseLine + 1 };
      if (e.undefinedArg !== undefined) {
        const arg =
          typeof e.undefinedArg === 'number' ? call?.params[e.undefinedArg] : call?.hash?.pairs.find((p) => p.key === e.undefinedArg)?.value;
        if (arg?.type === 'PathExpression') return this.undefinedError((arg as PathExpr).original, this.at(arg, file, baseLine), vars);
        if (arg && (arg as PathCall).bosunOriginal) return this.undefinedError((arg as PathCall).bosunOriginal!, this.at(arg, file, baseLine), vars);
        const what = arg ? describeExpr(arg) : typeof e.undefinedArg === 'number' ? `argument ${e.undefinedArg + 1}` : e.undefinedArg;
        return new TemplateError(`undefined value ${what} passed to '${e.helper}'`, { loc: arg ? this.at(arg, file, baseLine) : loc });
      }
      return new TemplateError(e.message, { loc });
    }
    const err = e as { message?: string; lineNumber?: number; column?: number };
    const msg = String(err.message ?? e);
    const strict = /^"([^"]+)" not defined in /.exec(msg);
    if (strict && err.lineNumber !== undefined) {
      const node = find(err.lineNumber, err.column, (n) => n.type === 'PathExpression');
      const loc = node ? this.at(node, file, baseLine) : { file, line: baseLine + err.lineNumber, col: (err.column ?? 0) + 1 };
      return this.undefinedError(node ? (node as PathExpr).original : strict[1]!, loc, vars);
    }
    const missing = /^Missing helper: "?([^"]+)"?/.exec(msg);
    if (missing) {
      const near = closest(missing[1]!, Object.keys(this.hb.helpers));
      return new TemplateError(`unknown helper '${missing[1]}'`, { loc: { file, line: baseLine + 1 }, hint: near ? `did you mean '${near}'?` : undefined });
    }
    const loc: SourceLocation = err.lineNumber !== undefined ? { file, line: baseLine + err.lineNumber, col: (err.column ?? 0) + 1 } : { file, line: baseLine + 1 };
    return new TemplateError(`template error: ${msg.replace(/ - \d+:\d+$/, '')}`, { loc, cause: e });
  }

  private parseError(e: unknown, text: string, file: string, baseLine: number): TemplateError {
    const err = e as { message?: string; lineNumber?: number; column?: number };
    const msg = String(err.message ?? e);
    const m = /^Parse error on line (\d+):/.exec(msg);
    let line = err.lineNumber ?? (m ? Number(m[1]) : 1);
    const col = err.column !== undefined ? err.column + 1 : undefined;
    const expecting = /Expecting (.*), got '([^']+)'/.exec(msg);
    let detail = msg.replace(/ - \d+:\d+$/, '');
    if (expecting) {
      detail = expecting[2] === 'EOF' ? 'unexpected end of template (an unclosed {{#block}}?)' : `unexpected ${expecting[2]!.toLowerCase()}`;
    } else if (m) detail = msg.split('\n').slice(-1)[0]!;
    if (line < 1) line = 1;
    // Jinja syntax is the commonest mistake for Ansible users.
    const jinja = /\{\{[^}]*(\|\s*\w|\w\()/.test(text) || text.includes('{%');
    return new TemplateError(`template syntax error: ${detail}`, {
      loc: { file, line: baseLine + line, col },
      hint: jinja ? "bosun templates are Handlebars, not Jinja: write {{default x 'a'}} rather than {{ x | default('a') }}" : undefined,
      cause: e,
    });
  }
}

/** Handlebars' (untyped) JavaScriptCompiler constructor. */
type CompilerClass = { prototype: object };

/**
 * Handlebars with noEscape joins outputs with a bare `+`, so `{{port}}{{port}}` with port 2379
 * renders "4758". Make every appended chunk a string first (a compiler subclass on this instance only).
 */
function stringAppendingCompiler(Base: CompilerClass): CompilerClass {
  type Chunk = unknown;
  interface CompilerProto {
    appendToBuffer(source: Chunk, location: unknown, explicit?: boolean): Chunk;
    compiler: unknown;
  }
  const baseProto = Base.prototype as unknown as CompilerProto;
  function Sub(this: unknown, ...args: unknown[]): void {
    (Base as unknown as (...a: unknown[]) => void).apply(this, args);
  }
  const proto = Object.create(baseProto) as CompilerProto;
  proto.appendToBuffer = function (this: CompilerProto, source: Chunk, location: unknown, explicit?: boolean): Chunk {
    const parts = Array.isArray(source) ? source : [source];
    return baseProto.appendToBuffer.call(this, ['"" + (', ...parts, ')'], location, explicit);
  };
  proto.compiler = Sub; // child programs ({{#each}} bodies) use the same class
  Sub.prototype = proto;
  return Sub as unknown as CompilerClass;
}

function noHash(s: { hash?: hbs.AST.Hash }): boolean {
  return !s.hash || s.hash.pairs.length === 0;
}

/** Assigns without ever triggering the `__proto__` setter. */
function define(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
