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
import { TemplateError, closest, type SourceLocation } from '../errors.js';
import { languageOf } from './template-lang.js';
import { renderText as jinjaText, renderValue as jinjaValue } from './jinja/index.js';
import { FORBIDDEN, HELPERS, HelperFailure, installHelpers, resolvePath, type HelperOpts } from './template-helpers.js';
import { describeExpr, noHash, strictBlockParams, stringAppendingCompiler, takeTree, walk, type CompilerClass, type Mustache, type Node, type PathCall, type PathExpr, type Program, type SubExpr } from './template-ast.js';
import { isPlainObject } from '../value-kind.js';

/** Text that may be a template: Jinja also starts with `{%` and `{#`, as Ansible's is_possibly_template. */
function maybeTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

type HB = typeof Handlebars;

/** Where a value sits: called with the object/array holding the string and its key. */
export type LocOf = (container: unknown, key?: string | number) => SourceLocation | undefined;

interface Compiled {
  fn: HandlebarsTemplateDelegate;
  ast: Program;
  /** The single `{{ … }}` of a string that is nothing else: rendered to its native value. */
  native?: Mustache;
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
    installHelpers(hb);
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
      // Handlebars output cannot tell the template's newlines from its values': with the default
      // sequence nothing is rewritten (a value's "\r\n" arrives as it is); another one rewrites all.
      const out = c.fn(vars);
      return newline === '\n' ? out : lines(out);
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
      ast = takeTree(text);
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
    const hint = (): string | undefined => {
      if (head.startsWith('@') || head.startsWith('..') || resolvePath(vars, [head]).found) return undefined;
      const near = closest(head, Object.keys(vars));
      return near ? `did you mean '${near}'?` : undefined;
    };
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

/** Assigns without ever triggering the `__proto__` setter. */
function define(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}