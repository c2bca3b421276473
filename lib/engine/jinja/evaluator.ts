// Evaluates parsed Jinja expressions against variables with Python semantics. No eval/Function;
// values are only read through own properties of plain objects, arrays and strings, so an
// expression can never reach Node globals or prototypes. Filters, tests, methods and global
// functions live in their own tables (filters.ts, tests.ts, methods.ts, globals.ts).
import { ExprError, isUndefinedError } from './tokenizer.js';
import type { Expr } from './parser.js';
import { Callable, callableOf, PyFloat, isFloat, isNum, pyFloat, tuple, Undef, define, markFresh, isNamespace, isFresh, markNamespace, isForbidden, isPlainObject, lookupVar, ownGet, pyCompare, pyEquals, pyRepr, pyStr, truthy, typeName } from './values.js';
import { FILTERS, type FilterCtx } from './filters.js';
import { TESTS } from './tests.js';
import { callMethod } from './methods.js';
import { GLOBALS } from './globals.js';
import { percentFormat } from './pyformat.js';
import { closest } from '../../errors.js';
import { RegexError } from './regex.js';

/** Largest string / list an expression may build (16 MiB, one million items): past it the task fails cleanly. */
export const MAX_STRING = 16 * 1024 * 1024;
export const MAX_ITEMS = 1_000_000;

export { Callable, markFresh, isFresh, markNamespace, isNamespace };

/** What lookups and includes may read on the control node, resolved against the task's or template's place. */
export interface LookupEnv {
  /** the file being rendered (task file or template), for relative paths */
  file?: string;
  /** renders another template file (lookup('template'), include) with these variables */
  renderFile?: (path: string, vars: Record<string, unknown>) => string;
}

export interface EvalOptions {
  lookups?: LookupEnv;
}

export class Evaluator {
  constructor(
    /** the source text the positions refer to (an expression, or a whole template) */
    readonly src: string,
    public vars: Record<string, unknown>,
    readonly opts: EvalOptions = {},
  ) {}

  fail(msg: string, pos: number): never {
    throw new ExprError(`cannot evaluate "${this.src.trim()}": ${msg}`, { col: pos + 1, expr: this.src, offset: pos });
  }

  /** The value must exist (it is being used, not just tested for definedness). */
  use(v: unknown): unknown {
    if (v instanceof Undef) {
      if (v.cause) throw v.cause;
      if (v.topLevel) {
        const vars = this.vars;
        const hint = (): string | undefined => {
          const names: string[] = [];
          for (let o: object | null = vars; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) names.push(...Object.keys(o));
          const near = closest(v.what, names);
          return near ? `did you mean '${near}'?` : undefined;
        };
        throw new ExprError(`cannot evaluate "${this.src.trim()}": ${v.message()}`, { col: v.pos + 1, expr: this.src, offset: v.pos, hint, undefinedVar: v.what });
      }
      throw new ExprError(`cannot evaluate "${this.src.trim()}": ${v.message()}`, { col: v.pos + 1, expr: this.src, offset: v.pos, undefined: true });
    }
    return v;
  }

  val(e: Expr): unknown {
    return this.use(this.ev(e));
  }

  ev(e: Expr): unknown {
    switch (e.t) {
      case 'lit':
        return e.v;
      case 'name': {
        if (isForbidden(e.name)) return this.fail(`access to '${e.name}' is not allowed`, e.pos);
        let r: { found: boolean; value: unknown };
        try {
          r = lookupVar(this.vars, e.name);
        } catch (err) {
          // A variable whose own template uses something undefined is undefined here (Ansible's
          // AnsibleJ2Vars): `default` and `is defined` see through it; using it fails with its error.
          if (!isUndefinedError(err)) throw err;
          return new Undef(e.name, e.pos, true, err);
        }
        if (r.found) return r.value;
        if (Object.hasOwn(GLOBALS, e.name)) return GLOBALS[e.name];
        return new Undef(e.name, e.pos, true);
      }
      case 'attr':
        return this.access(e.obj, e.name, e.pos);
      case 'index': {
        const k = this.val(e.index);
        if (typeof k === 'boolean') return this.access(e.obj, k ? 1 : 0, e.pos);
        if (typeof k !== 'string' && typeof k !== 'number') return this.fail(`index must be a string or a number, not ${typeName(k)}`, e.index.pos);
        return this.access(e.obj, k, e.pos);
      }
      case 'slice':
        return this.slice(e);
      case 'list':
        return e.tuple ? tuple(e.items.map((x) => this.val(x))) : markFresh(e.items.map((x) => this.val(x)));
      case 'dict': {
        const out: Record<string, unknown> = {};
        for (const [ke, ve] of e.entries) {
          const k = this.val(ke);
          if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean' && k !== null) return this.fail(`unhashable type: '${typeName(k)}'`, ke.pos);
          const ks = typeof k === 'string' ? k : pyStr(k);
          if (isForbidden(ks)) return this.fail(`dict key '${ks}' is not allowed`, ke.pos);
          define(out, ks, this.val(ve));
        }
        return markFresh(out);
      }
      case 'unary': {
        const v = this.val(e.arg);
        if (e.op === 'not') return !truthy(v);
        const n = this.num(v, e.op, e.pos);
        const r = e.op === '-' ? -n : n;
        return isFloat(v) ? pyFloat(r) : r;
      }
      case 'and': {
        const l = this.val(e.left);
        return truthy(l) ? this.val(e.right) : l;
      }
      case 'or': {
        const l = this.val(e.left);
        return truthy(l) ? l : this.val(e.right);
      }
      case 'cmp': {
        let left = this.val(e.first);
        for (const [op, re, opPos] of e.rest) {
          const right = this.val(re);
          if (!this.compare(op, left, right, opPos)) return false;
          left = right;
        }
        return true;
      }
      case 'bin':
        return this.binary(e.op, this.val(e.left), this.val(e.right), e.pos);
      case 'cond':
        if (truthy(this.val(e.test))) return this.ev(e.then);
        // Without else, Jinja yields an undefined that Ansible renders as '' (checked against ansible-playbook)
        return e.else ? this.ev(e.else) : '';
      case 'filter':
        return this.filter(e, e.arg ? this.ev(e.arg) : '');
      case 'test': {
        const r = this.test(e);
        return e.negate ? !r : r;
      }
      case 'method':
        return this.method(e);
      case 'call': {
        const f = this.ev(e.fn);
        if (f instanceof Undef) {
          if (f.cause) this.use(f); // undefined for a reason (`super` without a parent block): that reason
          if (e.fn.t === 'name') return this.fail(`'${e.fn.name}' is undefined (not a variable, macro or function)`, e.fn.pos);
          this.use(f);
        }
        if (f instanceof Callable) return f.fn(this, ...this.callArgs(e));
        const c = callableOf(f);
        if (c) return c.fn(this, ...this.callArgs(e));
        if (e.fn.t === 'name' && e.fn.name === 'loop' && isPlainObject(f)) return this.fail("the loop must have the 'recursive' marker to be called recursively", e.pos);
        return this.fail(`${typeName(f)} object is not callable`, e.pos);
      }
    }
  }

  private callArgs(e: { args: Expr[]; kwargs: Record<string, Expr>; pos: number }): [unknown[], Record<string, unknown>, number] {
    const args = e.args.map((a) => this.val(a));
    const kw: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(e.kwargs)) kw[k] = this.val(x);
    return [args, kw, e.pos];
  }

  describePath(e: Expr): string {
    if (e.t === 'name') return e.name;
    if (e.t === 'attr') return `${this.describePath(e.obj)}.${e.name}`;
    if (e.t === 'index' && e.index.t === 'lit') return `${this.describePath(e.obj)}[${pyRepr(e.index.v)}]`;
    if (e.t === 'index') return `${this.describePath(e.obj)}[…]`;
    return 'value';
  }

  private access(objE: Expr, key: string | number, pos: number): unknown {
    if (typeof key === 'string' && isForbidden(key)) return this.fail(`access to '${key}' is not allowed`, pos);
    const obj = this.ev(objE);
    if (obj instanceof Callable && typeof key === 'string') {
      const a = obj.attr?.(key, pos);
      if (a !== undefined) return a;
    }
    const path = (): string => `${this.describePath(objE)}${typeof key === 'number' ? `[${key}]` : `.${key}`}`;
    // Missing attributes chain (`a.b.c is defined` is false when a.b is missing) but using them fails.
    if (obj instanceof Undef) return obj.topLevel ? obj : new Undef(path(), pos, false);
    const r = ownGet(obj, key);
    if (r.found) return r.value;
    return new Undef(path(), pos, false);
  }

  private slice(e: Extract<Expr, { t: 'slice' }>): unknown {
    const v = this.val(e.obj);
    const idx = (x: Expr | undefined): number | undefined => {
      if (!x) return undefined;
      const n = this.val(x);
      if (n === null) return undefined;
      if (typeof n !== 'number' || !Number.isInteger(n)) return this.fail('slice indices must be integers or None', x.pos);
      return n;
    };
    const step = idx(e.step) ?? 1;
    if (step === 0) return this.fail('slice step cannot be zero', e.pos);
    let items: unknown[];
    if (typeof v === 'string') items = [...v];
    else if (Array.isArray(v)) items = v;
    else this.fail(`'${typeName(v)}' object is not subscriptable`, e.pos);
    const len = items.length;
    const norm = (i: number | undefined, dflt: number): number => {
      if (i === undefined) return dflt;
      if (i < 0) i += len;
      return step > 0 ? Math.min(Math.max(i, 0), len) : Math.min(Math.max(i, -1), len - 1);
    };
    const start = norm(idx(e.start), step > 0 ? 0 : len - 1);
    const stop = norm(idx(e.stop), step > 0 ? len : -1);
    const out: unknown[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(items[i]);
    return typeof v === 'string' ? out.join('') : out;
  }

  num(v: unknown, op: string, pos: number): number {
    if (typeof v === 'number') return v;
    if (v instanceof PyFloat) return v.v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    this.fail(`unsupported operand type for ${op}: ${typeName(v)}`, pos);
  }

  compare(op: string, a: unknown, b: unknown, pos: number): boolean {
    switch (op) {
      case '==':
        return pyEquals(a, b);
      case '!=':
        return !pyEquals(a, b);
      case 'in':
        return this.contains(b, a, pos);
      case 'not in':
        return !this.contains(b, a, pos);
    }
    const c = this.order(a, b, op, pos);
    return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
  }

  order(a: unknown, b: unknown, op: string, pos: number): number {
    const c = pyCompare(a, b);
    if (typeof c === 'string') return this.fail(`'${op}' not supported between ${typeName(a)} and ${typeName(b)}`, pos);
    return c;
  }

  contains(container: unknown, item: unknown, pos: number): boolean {
    if (typeof container === 'string') {
      if (typeof item !== 'string') return this.fail(`'in <string>' requires a string as left operand, not ${typeName(item)}`, pos);
      return container.includes(item);
    }
    if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
    if (isPlainObject(container)) return (typeof item === 'string' || typeof item === 'number') && Object.hasOwn(container, String(item));
    this.fail(`argument of type ${typeName(container)} is not iterable`, pos);
  }

  binary(op: string, a: unknown, b: unknown, pos: number): unknown {
    if (op === '~') {
      const x = pyStr(a);
      const y = pyStr(b);
      return this.bound(x.length + y.length, 'string', pos) && x + y;
    }
    if (op === '+') {
      if (typeof a === 'string' && typeof b === 'string') return this.bound(a.length + b.length, 'string', pos) && a + b;
      if (Array.isArray(a) && Array.isArray(b)) return this.bound(a.length + b.length, 'list', pos) && [...a, ...b];
    }
    if (op === '*') {
      if (isNum(a) && (typeof b === 'string' || Array.isArray(b))) [a, b] = [b, a];
      // Python: a count below 1 gives an empty sequence
      const n = typeof b === 'number' && b > 0 ? Math.floor(b) : 0;
      if (typeof a === 'string' && typeof b === 'number') return this.bound(a.length * n, 'string', pos) && a.repeat(n);
      if (Array.isArray(a) && typeof b === 'number') {
        this.bound(a.length * n, 'list', pos);
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) for (const x of a) out.push(x);
        return out;
      }
    }
    if (op === '%' && typeof a === 'string') {
      try {
        return percentFormat(a, b);
      } catch (err) {
        this.fail((err as Error).message, pos);
      }
    }
    const na = isNum(a) || typeof a === 'boolean';
    const nb = isNum(b) || typeof b === 'boolean';
    if (!na || !nb) return this.fail(`unsupported operand types for ${op}: ${typeName(a)} and ${typeName(b)}`, pos);
    const x = Number(a);
    const y = Number(b);
    // Python: a float operand makes a float; `/` always does; int ** negative int too
    const float = isFloat(a) || isFloat(b) || op === '/' || (op === '**' && y < 0);
    const r = this.arith(op, x, y, pos);
    return float ? pyFloat(r) : r;
  }

  private arith(op: string, x: number, y: number, pos: number): number {
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      case '**':
        return x ** y;
    }
    if (y === 0) return this.fail(op === '/' ? 'division by zero' : 'integer division or modulo by zero', pos);
    if (op === '/') return x / y;
    if (op === '//') return Math.floor(x / y);
    return x - y * Math.floor(x / y); // Python %: sign follows the divisor
  }

  private test(e: Extract<Expr, { t: 'test' }>): boolean {
    const def = Object.hasOwn(TESTS, e.name) ? TESTS[e.name] : undefined;
    if (!def) return this.unknown('test', e.name, Object.keys(TESTS), e.pos);
    const raw = this.ev(e.arg);
    const v = def.undefinedOk ? raw : this.use(raw);
    const [args, kw] = this.callArgs(e);
    return this.guard(e.name, e.pos, () => def.fn(this.ctx(e.name, e.pos), v, args, kw));
  }

  private filter(e: Extract<Expr, { t: 'filter' }>, raw: unknown): unknown {
    const def = Object.hasOwn(FILTERS, e.name) ? FILTERS[e.name] : undefined;
    if (!def) return this.unknown('filter', e.name, Object.keys(FILTERS), e.pos);
    const v = def.undefinedOk ? raw : this.use(raw);
    const [args, kw] = this.callArgs(e);
    return this.guard(e.name, e.pos, () => this.bounded(def.fn(this.ctx(e.name, e.pos), v, args, kw), e.pos));
  }

  /** A regex input over the safe-regex bounds fails the filter/test, at its position. */
  private guard<T>(name: string, pos: number, run: () => T): T {
    try {
      return run();
    } catch (err) {
      if (err instanceof RegexError) return this.fail(`${name}: ${err.message}`, pos);
      throw err;
    }
  }

  /** A filter's result may not exceed MAX_STRING / MAX_ITEMS (checked after the fact: filters build in linear time). */
  private bounded(v: unknown, pos: number): unknown {
    if (typeof v === 'string') this.bound(v.length, 'string', pos);
    else if (Array.isArray(v)) this.bound(v.length, 'list', pos);
    return v;
  }

  /**
   * Refuses a string or list that would exceed MAX_STRING / MAX_ITEMS *before* it is built:
   * `[1] * 200000000` would otherwise abort the whole process out of memory. Returns true (for `&&`).
   */
  bound(size: number, kind: 'string' | 'list', pos: number): true {
    const max = kind === 'string' ? MAX_STRING : MAX_ITEMS;
    if (size > max) this.fail(`the result would be a ${kind} of ${size} ${kind === 'string' ? 'characters' : 'items'} (limit ${max})`, pos);
    return true;
  }

  unknown(kind: string, name: string, known: string[], pos: number): never {
    const near = closest(name, known);
    this.fail(`unknown ${kind} '${name}'${near ? ` (did you mean '${near}'?)` : ''}`, pos);
  }

  /** Applies a filter or test by name (map('upper'), select('even')): what `| name(args)` does. */
  applyFilter(name: string, v: unknown, args: unknown[], kw: Record<string, unknown>, pos: number): unknown {
    const def = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
    if (!def) this.unknown('filter', name, Object.keys(FILTERS), pos);
    return def.fn(this.ctx(name, pos), v, args, kw);
  }
  applyTest(name: string, v: unknown, args: unknown[], pos: number): boolean {
    const def = Object.hasOwn(TESTS, name) ? TESTS[name] : undefined;
    if (!def) return this.unknown('test', name, Object.keys(TESTS), pos);
    return def.fn(this.ctx(name, pos), v, args, {});
  }

  private ctx(name: string, pos: number): FilterCtx {
    return { ev: this, name, pos, fail: (msg: string): never => this.fail(`${name}: ${msg}`, pos) };
  }

  private method(e: Extract<Expr, { t: 'method' }>): unknown {
    const obj = this.val(e.obj);
    if (isForbidden(e.name)) return this.fail(`access to '${e.name}' is not allowed`, e.pos);
    // A function stored in a mapping: loop.cycle(...), a namespace holding a macro.
    if (isPlainObject(obj) && Object.hasOwn(obj, e.name) && obj[e.name] instanceof Callable) {
      return (obj[e.name] as Callable).fn(this, ...this.callArgs(e));
    }
    // an attribute of a function that is a function: super.super()
    const attr = obj instanceof Callable ? obj.attr?.(e.name, e.pos) : undefined;
    if (attr !== undefined) {
      const f = this.use(attr);
      if (f instanceof Callable) return f.fn(this, ...this.callArgs(e));
    }
    const [args, kw] = this.callArgs(e);
    return callMethod(this, obj, e.name, args, kw, e.pos);
  }
}
