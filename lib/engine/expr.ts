// A safe evaluator for Ansible/Jinja conditionals (`when`, `changed_when`, `failed_when`,
// `assert.that`, `until`). Hand-written tokenizer + recursive-descent parser; no eval/Function,
// values are only read through own properties of plain objects, arrays and strings, so an
// expression can never reach Node globals or prototypes.
import { TemplateError, type BosunErrorOptions } from '../errors.js';
import { compileRegex, RegexError, type RegexFlags, type SafeRegex } from './safe-regex.js';

/** A bad or failing expression. `col` is 1-based, relative to the expression source. */
export class ExprError extends TemplateError {
  readonly col?: number;
  readonly expr?: string;
  constructor(message: string, opts: BosunErrorOptions & { col?: number; expr?: string } = {}) {
    super(message, opts);
    this.col = opts.col;
    this.expr = opts.expr;
  }
}

// ---------------------------------------------------------------------------------------------
// AST

export type Expr =
  | { t: 'lit'; pos: number; v: unknown }
  | { t: 'name'; pos: number; name: string }
  | { t: 'attr'; pos: number; obj: Expr; name: string }
  | { t: 'index'; pos: number; obj: Expr; index: Expr }
  | { t: 'list'; pos: number; items: Expr[] }
  | { t: 'dict'; pos: number; entries: [Expr, Expr][] }
  | { t: 'unary'; pos: number; op: 'not' | '-' | '+'; arg: Expr }
  | { t: 'bin'; pos: number; op: string; left: Expr; right: Expr }
  | { t: 'and' | 'or'; pos: number; left: Expr; right: Expr }
  | { t: 'cmp'; pos: number; first: Expr; rest: [string, Expr, number][] }
  | { t: 'cond'; pos: number; test: Expr; then: Expr; else?: Expr }
  | { t: 'filter'; pos: number; arg: Expr; name: string; args: Expr[]; kwargs: Record<string, Expr> }
  | { t: 'test'; pos: number; arg: Expr; name: string; args: Expr[]; kwargs?: Record<string, Expr>; negate: boolean }
  | { t: 'call'; pos: number; obj: Expr; name: string; args: Expr[] };

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokKind = 'num' | 'str' | 'name' | 'op' | 'eof';
interface Tok {
  k: TokKind;
  v: string;
  n?: number;
  pos: number;
}

const OPS = ['//', '**', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '~', '(', ')', '[', ']', '{', '}', ',', ':', '.', '|', '='];
const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"', b: '\b', f: '\f', v: '\v' };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c >= '0' && c <= '9') {
      // After a `.` only digits: `a.0.1` is two index steps, not a float.
      const afterDot = toks.length > 0 && toks[toks.length - 1]!.v === '.' && toks[toks.length - 1]!.k === 'op';
      const m = afterDot ? /^\d+/.exec(src.slice(i)) : /^(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?/.exec(src.slice(i));
      const text = m![0];
      i += text.length;
      toks.push({ k: 'num', v: text, n: Number(text.replace(/_/g, '')), pos: start });
      continue;
    }
    if (c === '"' || c === "'") {
      let out = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ExprError(`cannot parse "${src}": unterminated string at column ${start + 1}`, { col: start + 1, expr: src });
        const d = src[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < src.length) {
          const e = src[i + 1]!;
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            out += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          // Unknown escapes keep the backslash, as Python does (matters for regexes like '\d').
          out += ESC[e] ?? '\\' + e;
          i += 2;
          continue;
        }
        out += d;
        i++;
      }
      toks.push({ k: 'str', v: out, pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      toks.push({ k: 'name', v: m[0], pos: start });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprError(`cannot parse "${src}": unexpected character '${c}' at column ${i + 1}`, { col: i + 1, expr: src });
    i += op.length;
    toks.push({ k: 'op', v: op, pos: start });
  }
  toks.push({ k: 'eof', v: '', pos: src.trimEnd().length });
  return toks;
}

// ---------------------------------------------------------------------------------------------
// Parser (precedence as Jinja2: ternary < or < and < not < comparison < + - < ~ < * / // % < ** <
// unary - < postfix (. [] call) with filters `|` and tests `is` binding tightest)

const KEYWORD_LITERALS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null, null: null };
const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Tok[],
  ) {}

  private get cur(): Tok {
    return this.toks[this.i]!;
  }
  private peek(n = 1): Tok {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private isOp(v: string): boolean {
    return this.cur.k === 'op' && this.cur.v === v;
  }
  private isName(v: string): boolean {
    return this.cur.k === 'name' && this.cur.v === v;
  }
  private fail(msg: string, tok: Tok = this.cur): never {
    throw new ExprError(`cannot parse "${this.src}": ${msg} at column ${tok.pos + 1}`, { col: tok.pos + 1, expr: this.src });
  }
  private describe(tok: Tok): string {
    return tok.k === 'eof' ? 'end of expression' : tok.k === 'str' ? 'string' : `'${tok.v}'`;
  }
  private expectOp(v: string): Tok {
    if (!this.isOp(v)) this.fail(`expected '${v}' but found ${this.describe(this.cur)}`);
    return this.toks[this.i++]!;
  }

  parseAll(): Expr {
    if (this.cur.k === 'eof') this.fail('empty expression');
    const e = this.parseExpr();
    const rest = this.peek(0);
    if (rest.k !== 'eof') this.fail(`unexpected ${this.describe(rest)}`, rest);
    return e;
  }

  parseExpr(): Expr {
    const e = this.parseOr();
    if (this.isName('if')) {
      const pos = this.cur.pos;
      this.i++;
      const test = this.parseOr();
      let els: Expr | undefined;
      if (this.isName('else')) {
        this.i++;
        els = this.parseExpr();
      }
      return { t: 'cond', pos, test, then: e, else: els };
    }
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      const pos = this.cur.pos;
      this.i++;
      left = { t: 'or', pos, left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      const pos = this.cur.pos;
      this.i++;
      left = { t: 'and', pos, left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const pos = this.cur.pos;
      this.i++;
      return { t: 'unary', pos, op: 'not', arg: this.parseNot() };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const first = this.parseAdd();
    const rest: [string, Expr, number][] = [];
    let pos = first.pos;
    for (;;) {
      const c = this.cur;
      if (c.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(c.v)) {
        if (rest.length === 0) pos = c.pos;
        this.i++;
        rest.push([c.v, this.parseAdd(), c.pos]);
      } else if (this.isName('in')) {
        if (rest.length === 0) pos = c.pos;
        this.i++;
        rest.push(['in', this.parseAdd(), c.pos]);
      } else if (this.isName('not') && this.peek().k === 'name' && this.peek().v === 'in') {
        if (rest.length === 0) pos = c.pos;
        this.i += 2;
        rest.push(['not in', this.parseAdd(), c.pos]);
      } else break;
    }
    return rest.length ? { t: 'cmp', pos, first, rest } : first;
  }

  private parseAdd(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const tok = this.toks[this.i++]!;
      left = { t: 'bin', pos: tok.pos, op: tok.v, left, right: this.parseConcat() };
    }
    return left;
  }

  private parseConcat(): Expr {
    let left = this.parseMul();
    while (this.isOp('~')) {
      const tok = this.toks[this.i++]!;
      left = { t: 'bin', pos: tok.pos, op: '~', left, right: this.parseMul() };
    }
    return left;
  }

  private parseMul(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const tok = this.toks[this.i++]!;
      left = { t: 'bin', pos: tok.pos, op: tok.v, left, right: this.parsePow() };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary();
    while (this.isOp('**')) {
      const tok = this.toks[this.i++]!;
      left = { t: 'bin', pos: tok.pos, op: '**', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const tok = this.toks[this.i++]!;
      return this.parseFilters({ t: 'unary', pos: tok.pos, op: tok.v as '-' | '+', arg: this.parseUnaryNoFilter() });
    }
    return this.parseFilters(this.parsePostfix(this.parsePrimary()));
  }

  private parseUnaryNoFilter(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const tok = this.toks[this.i++]!;
      return { t: 'unary', pos: tok.pos, op: tok.v as '-' | '+', arg: this.parseUnaryNoFilter() };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const tok = this.cur;
    if (tok.k === 'num') {
      this.i++;
      return { t: 'lit', pos: tok.pos, v: tok.n };
    }
    if (tok.k === 'str') {
      this.i++;
      // Adjacent string literals concatenate, as in Python/Jinja.
      let v = tok.v;
      while (this.cur.k === 'str') v += this.toks[this.i++]!.v;
      return { t: 'lit', pos: tok.pos, v };
    }
    if (tok.k === 'name') {
      if (Object.hasOwn(KEYWORD_LITERALS, tok.v)) {
        this.i++;
        return { t: 'lit', pos: tok.pos, v: KEYWORD_LITERALS[tok.v] };
      }
      if (RESERVED.has(tok.v)) this.fail(`unexpected '${tok.v}'`);
      this.i++;
      return { t: 'name', pos: tok.pos, name: tok.v };
    }
    if (tok.k === 'op' && tok.v === '(') {
      this.i++;
      const e = this.parseExpr();
      if (this.isOp(',')) {
        // A tuple: treat as a list.
        const items = [e];
        while (this.isOp(',')) {
          this.i++;
          if (this.isOp(')')) break;
          items.push(this.parseExpr());
        }
        this.expectOp(')');
        return { t: 'list', pos: tok.pos, items };
      }
      this.expectOp(')');
      return e;
    }
    if (tok.k === 'op' && tok.v === '[') {
      this.i++;
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        items.push(this.parseExpr());
        if (!this.isOp(',')) break;
        this.i++;
      }
      this.expectOp(']');
      return { t: 'list', pos: tok.pos, items };
    }
    if (tok.k === 'op' && tok.v === '{') {
      this.i++;
      const entries: [Expr, Expr][] = [];
      while (!this.isOp('}')) {
        const k = this.parseExpr();
        this.expectOp(':');
        entries.push([k, this.parseExpr()]);
        if (!this.isOp(',')) break;
        this.i++;
      }
      this.expectOp('}');
      return { t: 'dict', pos: tok.pos, entries };
    }
    this.fail(`unexpected ${this.describe(tok)}`);
  }

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const tok = this.cur;
        if (tok.k === 'name') {
          this.i++;
          if (this.isOp('(')) {
            e = { t: 'call', pos: tok.pos, obj: e, name: tok.v, args: this.parseArgs().args };
          } else e = { t: 'attr', pos: tok.pos, obj: e, name: tok.v };
        } else if (tok.k === 'num') {
          this.i++;
          e = { t: 'index', pos: tok.pos, obj: e, index: { t: 'lit', pos: tok.pos, v: tok.n } };
        } else this.fail(`expected an attribute name after '.' but found ${this.describe(tok)}`);
      } else if (this.isOp('[')) {
        const tok = this.toks[this.i++]!;
        const index = this.parseExpr();
        this.expectOp(']');
        e = { t: 'index', pos: tok.pos, obj: e, index };
      } else if (this.isOp('(')) {
        this.fail('calling functions is not supported');
      } else return e;
    }
  }

  private parseArgs(): { args: Expr[]; kwargs: Record<string, Expr> } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = {};
    while (!this.isOp(')')) {
      if (this.cur.k === 'name' && this.peek().k === 'op' && this.peek().v === '=') {
        const name = this.cur.v;
        this.i += 2;
        kwargs[name] = this.parseExpr();
      } else args.push(this.parseExpr());
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expectOp(')');
    return { args, kwargs };
  }

  private parseFilters(e: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.i++;
        const tok = this.cur;
        if (tok.k !== 'name') this.fail(`expected a filter name after '|' but found ${this.describe(tok)}`);
        this.i++;
        let args: Expr[] = [];
        let kwargs: Record<string, Expr> = {};
        if (this.isOp('(')) ({ args, kwargs } = this.parseArgs());
        e = { t: 'filter', pos: tok.pos, arg: e, name: tok.v, args, kwargs };
      } else if (this.isName('is')) {
        this.i++;
        let negate = false;
        if (this.isName('not')) {
          negate = true;
          this.i++;
        }
        const tok = this.cur;
        // `none`/`true`/`false` are literals elsewhere but test names here.
        if (tok.k !== 'name') this.fail(`expected a test name after 'is' but found ${this.describe(tok)}`);
        this.i++;
        let args: Expr[] = [];
        let kwargs: Record<string, Expr> | undefined;
        if (this.isOp('(')) ({ args, kwargs } = this.parseArgs());
        else if (this.startsSingleTestArg()) args = [this.parsePostfix(this.parsePrimary())];
        e = { t: 'test', pos: tok.pos, arg: e, name: tok.v, args, kwargs, negate };
      } else return e;
    }
  }

  /** Jinja allows one argument without parentheses: `x is sameas none`, `x is divisibleby 3`. */
  private startsSingleTestArg(): boolean {
    const c = this.cur;
    if (c.k === 'num' || c.k === 'str') return true;
    if (c.k === 'op') return c.v === '[' || c.v === '{';
    return c.k === 'name' && !RESERVED.has(c.v);
  }
}

// ---------------------------------------------------------------------------------------------
// Values

/** A value that does not exist. Carries what was looked up, for the error when it gets used. */
class Undef {
  constructor(
    readonly what: string,
    readonly pos: number,
    readonly topLevel: boolean,
  ) {}
  message(): string {
    return this.topLevel ? `undefined variable '${this.what}'` : `${this.what} is undefined`;
  }
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Largest string / list an expression may build (16 MiB, one million items): past it the task fails cleanly. */
export const MAX_STRING = 16 * 1024 * 1024;
export const MAX_ITEMS = 1_000_000;

function isForbidden(name: string): boolean {
  return FORBIDDEN.has(name) || (name.startsWith('__') && name.endsWith('__'));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** Python's type names, for error messages users of Ansible recognise. */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (isPlainObject(v)) return 'dict';
  return 'object';
}

/** Python/Jinja truthiness. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || Number.isNaN(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python's str(): what `~`, `| string` and `join` produce. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (typeof v === 'string') return "'" + v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (isPlainObject(v)) return '{' + Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  return String(v);
}

/** Python ==: deep for lists and dicts, bool == int numerically. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  const na = typeof a === 'number' || typeof a === 'boolean';
  const nb = typeof b === 'number' || typeof b === 'boolean';
  if (na && nb) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return false;
}

/** Reads an own property; anything else is undefined. Forbidden names never get here. */
function ownGet(obj: unknown, key: string | number): { found: boolean; value: unknown } {
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (typeof key === 'number' || /^-?\d+$/.test(key)) {
      let i = Number(key);
      if (i < 0) i += obj.length;
      if (Number.isInteger(i) && i >= 0 && i < obj.length) return { found: true, value: obj[i] };
    }
    return { found: false, value: undefined };
  }
  if (isPlainObject(obj)) {
    const k = String(key);
    if (Object.hasOwn(obj, k)) return { found: true, value: obj[k] };
  }
  return { found: false, value: undefined };
}

/** Top-level variable lookup; follows a vars object's own prototype chain (layered scopes) but never Object.prototype. */
function lookupVar(vars: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  for (let o: object | null = vars; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.hasOwn(o, name)) return { found: true, value: (o as Record<string, unknown>)[name] };
  }
  return { found: false, value: undefined };
}

// ---------------------------------------------------------------------------------------------
// Evaluator

class Evaluator {
  constructor(
    private readonly src: string,
    private readonly vars: Record<string, unknown>,
  ) {}

  fail(msg: string, pos: number): never {
    throw new ExprError(`cannot evaluate "${this.src}": ${msg}`, { col: pos + 1, expr: this.src });
  }

  /** The value must exist (it is being used, not just tested for definedness). */
  use(v: unknown): unknown {
    if (v instanceof Undef) this.fail(v.message(), v.pos);
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
        if (isForbidden(e.name)) this.fail(`access to '${e.name}' is not allowed`, e.pos);
        const r = lookupVar(this.vars, e.name);
        return r.found ? r.value : new Undef(e.name, e.pos, true);
      }
      case 'attr':
        return this.access(e.obj, e.name, e.pos);
      case 'index': {
        const k = this.val(e.index);
        if (typeof k !== 'string' && typeof k !== 'number') this.fail(`index must be a string or a number, not ${typeName(k)}`, e.index.pos);
        return this.access(e.obj, k, e.pos);
      }
      case 'list':
        return e.items.map((x) => this.val(x));
      case 'dict': {
        const out: Record<string, unknown> = {};
        for (const [ke, ve] of e.entries) {
          const k = this.val(ke);
          if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') this.fail(`dict keys must be scalars, not ${typeName(k)}`, ke.pos);
          const ks = typeof k === 'boolean' ? pyStr(k) : String(k);
          if (isForbidden(ks)) this.fail(`dict key '${ks}' is not allowed`, ke.pos);
          out[ks] = this.val(ve);
        }
        return out;
      }
      case 'unary': {
        const v = this.val(e.arg);
        if (e.op === 'not') return !truthy(v);
        const n = this.num(v, e.op, e.pos);
        return e.op === '-' ? -n : n;
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
        return e.else ? this.ev(e.else) : new Undef('the else branch', e.pos, false);
      case 'filter':
        return this.filter(e);
      case 'test': {
        const r = this.test(e);
        return e.negate ? !r : r;
      }
      case 'call':
        return this.method(e);
    }
  }

  private describePath(e: Expr): string {
    if (e.t === 'name') return e.name;
    if (e.t === 'attr') return `${this.describePath(e.obj)}.${e.name}`;
    if (e.t === 'index' && e.index.t === 'lit') return `${this.describePath(e.obj)}[${pyRepr(e.index.v)}]`;
    if (e.t === 'index') return `${this.describePath(e.obj)}[…]`;
    return 'value';
  }

  private access(objE: Expr, key: string | number, pos: number): unknown {
    if (typeof key === 'string' && isForbidden(key)) this.fail(`access to '${key}' is not allowed`, pos);
    const obj = this.ev(objE);
    const path = () => `${this.describePath(objE)}${typeof key === 'number' ? `[${key}]` : `.${key}`}`;
    // Missing attributes chain (`a.b.c is defined` is false when a.b is missing) but using them fails.
    if (obj instanceof Undef) return obj.topLevel ? obj : new Undef(path(), pos, false);
    const r = ownGet(obj, key);
    if (r.found) return r.value;
    return new Undef(path(), pos, false);
  }

  private num(v: unknown, op: string, pos: number): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    this.fail(`unsupported operand type for ${op}: ${typeName(v)}`, pos);
  }

  private compare(op: string, a: unknown, b: unknown, pos: number): boolean {
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

  private order(a: unknown, b: unknown, op: string, pos: number): number {
    const na = typeof a === 'number' || typeof a === 'boolean';
    const nb = typeof b === 'number' || typeof b === 'boolean';
    if (na && nb) return Number(a) - Number(b);
    if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        if (!pyEquals(a[i], b[i])) return this.order(a[i], b[i], op, pos);
      }
      return a.length - b.length;
    }
    this.fail(`'${op}' not supported between ${typeName(a)} and ${typeName(b)}`, pos);
  }

  contains(container: unknown, item: unknown, pos: number): boolean {
    if (typeof container === 'string') {
      if (typeof item !== 'string') this.fail(`'in <string>' requires a string as left operand, not ${typeName(item)}`, pos);
      return container.includes(item);
    }
    if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
    if (isPlainObject(container)) return (typeof item === 'string' || typeof item === 'number') && Object.hasOwn(container, String(item));
    this.fail(`argument of type ${typeName(container)} is not iterable`, pos);
  }

  private binary(op: string, a: unknown, b: unknown, pos: number): unknown {
    if (op === '~') {
      const x = pyStr(a);
      const y = pyStr(b);
      this.bound(x.length + y.length, 'string', pos);
      return x + y;
    }
    if (op === '+') {
      if (typeof a === 'string' && typeof b === 'string') return this.bound(a.length + b.length, 'string', pos) && a + b;
      if (Array.isArray(a) && Array.isArray(b)) return this.bound(a.length + b.length, 'list', pos) && [...a, ...b];
    }
    if (op === '*') {
      // Python: a count below 1 gives an empty sequence; a float count is an error there, truncated here
      const n = typeof b === 'number' && b > 0 ? Math.floor(b) : 0;
      if (typeof a === 'string' && typeof b === 'number') return this.bound(a.length * n, 'string', pos) && a.repeat(n);
      if (Array.isArray(a) && typeof b === 'number') {
        this.bound(a.length * n, 'list', pos);
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) for (const x of a) out.push(x);
        return out;
      }
    }
    const na = typeof a === 'number' || typeof a === 'boolean';
    const nb = typeof b === 'number' || typeof b === 'boolean';
    if (!na || !nb) this.fail(`unsupported operand types for ${op}: ${typeName(a)} and ${typeName(b)}`, pos);
    const x = Number(a);
    const y = Number(b);
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
    if (y === 0) this.fail('division by zero', pos);
    if (op === '/') return x / y;
    if (op === '//') return Math.floor(x / y);
    return x - y * Math.floor(x / y); // Python %: sign follows the divisor
  }

  /**
   * Refuses a string or list that would exceed MAX_STRING / MAX_ITEMS *before* it is built:
   * `[1] * 200000000` would otherwise abort the whole process out of memory. Returns true (for `&&`).
   */
  private bound(size: number, kind: 'string' | 'list', pos: number): true {
    const max = kind === 'string' ? MAX_STRING : MAX_ITEMS;
    if (size > max) this.fail(`the result would be a ${kind} of ${size} ${kind === 'string' ? 'characters' : 'items'} (limit ${max})`, pos);
    return true;
  }

  private registered(v: unknown, test: string, pos: number): Record<string, unknown> {
    if (!isPlainObject(v)) this.fail(`the '${test}' test expects a registered task result (a dict), got ${typeName(v)}`, pos);
    return v;
  }

  private test(e: Extract<Expr, { t: 'test' }>): boolean {
    const raw = this.ev(e.arg);
    if (e.name === 'defined') return !(raw instanceof Undef);
    if (e.name === 'undefined') return raw instanceof Undef;
    const v = this.use(raw);
    const args = e.args.map((a) => this.val(a));
    const arg0 = (): unknown => {
      if (args.length < 1) this.fail(`the '${e.name}' test needs an argument`, e.pos);
      return args[0];
    };
    switch (e.name) {
      case 'none':
        return v === null || v === undefined;
      case 'truthy':
        return truthy(v);
      case 'falsy':
        return !truthy(v);
      case 'true':
        return v === true;
      case 'false':
        return v === false;
      case 'boolean':
        return typeof v === 'boolean';
      case 'string':
        return typeof v === 'string';
      case 'number':
        return typeof v === 'number';
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v);
      case 'float':
        return typeof v === 'number' && !Number.isInteger(v);
      case 'mapping':
        return isPlainObject(v);
      case 'sequence':
        return Array.isArray(v) || typeof v === 'string' || isPlainObject(v);
      case 'iterable':
        return Array.isArray(v) || typeof v === 'string' || isPlainObject(v);
      case 'sameas':
        return v === arg0() || (v === undefined && arg0() === null);
      case 'eq':
      case 'equalto':
      case '==':
        return pyEquals(v, arg0());
      case 'ne':
        return !pyEquals(v, arg0());
      case 'lt':
      case 'gt':
      case 'le':
      case 'ge': {
        const c = this.order(v, arg0(), e.name, e.pos);
        return e.name === 'lt' ? c < 0 : e.name === 'gt' ? c > 0 : e.name === 'le' ? c <= 0 : c >= 0;
      }
      case 'in':
        return this.contains(arg0(), v, e.pos);
      case 'contains':
        return this.contains(v, arg0(), e.pos);
      case 'even':
      case 'odd':
        return Math.abs(this.num(v, e.name, e.pos) % 2) === (e.name === 'even' ? 0 : 1);
      case 'divisibleby':
        return this.num(v, e.name, e.pos) % this.num(arg0(), e.name, e.pos) === 0;
      case 'match':
      case 'search':
      case 'regex': {
        if (typeof v !== 'string') this.fail(`the '${e.name}' test expects a string, got ${typeName(v)}`, e.pos);
        const pat = arg0();
        if (typeof pat !== 'string') this.fail(`the '${e.name}' test expects a pattern string`, e.pos);
        const kw = (k: string): boolean => (e.kwargs?.[k] ? truthy(this.val(e.kwargs[k])) : false);
        const re = this.regex(pat, { ignorecase: kw('ignorecase'), multiline: kw('multiline') }, e.pos);
        return this.matching(() => (e.name === 'match' ? re.match(v) : re.search(v)), e.pos) !== null;
      }
      case 'succeeded':
      case 'success':
      case 'successful':
        return !truthy(this.registered(v, e.name, e.pos).failed);
      case 'failed':
      case 'failure':
        return truthy(this.registered(v, e.name, e.pos).failed);
      case 'changed':
      case 'change':
        return truthy(this.registered(v, e.name, e.pos).changed);
      case 'skipped':
      case 'skip':
        return truthy(this.registered(v, e.name, e.pos).skipped);
    }
    this.fail(`unknown test '${e.name}'`, e.pos);
  }

  /** Every pattern goes through safe-regex.ts: linear-time matching, bounded input. */
  private regex(pattern: string, flags: RegexFlags, pos: number): SafeRegex {
    try {
      return compileRegex(pattern, flags);
    } catch (err) {
      this.fail(`invalid regular expression '${pattern}': ${(err as Error).message}`, pos);
    }
  }

  private matching<T>(run: () => T, pos: number): T {
    try {
      return run();
    } catch (err) {
      if (err instanceof RegexError) this.fail(err.message, pos);
      throw err;
    }
  }

  private filter(e: Extract<Expr, { t: 'filter' }>): unknown {
    const raw = this.ev(e.arg);
    const args = e.args.map((a) => this.val(a));
    const kw: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(e.kwargs)) kw[k] = this.val(x);
    if (e.name === 'default' || e.name === 'd') {
      // default(v, true) also replaces falsy values, as Jinja's boolean argument.
      const replaceFalsy = truthy(args[1] ?? kw.boolean);
      if (raw instanceof Undef || (replaceFalsy && !truthy(raw))) return args[0] ?? '';
      return raw;
    }
    const v = this.use(raw);
    const str = (what: string): string => {
      if (typeof v !== 'string') this.fail(`the '${what}' filter expects a string, got ${typeName(v)}`, e.pos);
      return v;
    };
    const list = (what: string): unknown[] => {
      if (Array.isArray(v)) return v;
      if (typeof v === 'string') return [...v];
      if (isPlainObject(v)) return Object.keys(v);
      this.fail(`the '${what}' filter expects a list, got ${typeName(v)}`, e.pos);
    };
    switch (e.name) {
      case 'length':
      case 'count':
        if (typeof v === 'string' || Array.isArray(v)) return v.length;
        if (isPlainObject(v)) return Object.keys(v).length;
        this.fail(`object of type ${typeName(v)} has no length`, e.pos);
        break;
      case 'int': {
        const dflt = args[0] ?? kw.default ?? 0;
        if (typeof v === 'boolean') return v ? 1 : 0;
        if (typeof v === 'number') return Math.trunc(v);
        if (typeof v === 'string') {
          const s = v.trim().replace(/_/g, '');
          const base = Number(args[1] ?? kw.base ?? 10);
          if (base === 10 && /^[+-]?\d+$/.test(s)) return parseInt(s, 10);
          if (base === 16 && /^[+-]?(0x)?[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
          if (base === 8 && /^[+-]?(0o)?[0-7]+$/i.test(s)) return parseInt(s.replace(/0o/i, ''), 8);
          if (base === 2 && /^[+-]?(0b)?[01]+$/i.test(s)) return parseInt(s.replace(/0b/i, ''), 2);
          if (base === 10 && s !== '' && Number.isFinite(Number(s))) return Math.trunc(Number(s));
        }
        return dflt;
      }
      case 'float': {
        if (typeof v === 'number') return v;
        if (typeof v === 'boolean') return v ? 1 : 0;
        if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
        return args[0] ?? 0;
      }
      case 'string':
        return pyStr(v);
      case 'bool':
        if (typeof v === 'boolean') return v;
        if (v === null || v === undefined) return false;
        if (typeof v === 'number') return v === 1;
        return ['yes', 'on', '1', 'true', 't', 'y'].includes(String(v).trim().toLowerCase());
      case 'lower':
        return str('lower').toLowerCase();
      case 'upper':
        return str('upper').toUpperCase();
      case 'capitalize': {
        const s = str('capitalize');
        return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
      }
      case 'trim':
        return str('trim').trim();
      case 'join': {
        const sep = args[0] ?? kw.d ?? '';
        const items = list('join').map(pyStr);
        const glue = pyStr(sep);
        this.bound(items.reduce((n, x) => n + x.length, 0) + Math.max(0, items.length - 1) * glue.length, 'string', e.pos);
        return items.join(glue);
      }
      case 'list':
        return [...list('list')];
      case 'first':
        return list('first')[0] ?? new Undef('first item of an empty list', e.pos, false);
      case 'last': {
        const l = list('last');
        return l.length ? l[l.length - 1] : new Undef('last item of an empty list', e.pos, false);
      }
      case 'unique': {
        const out: unknown[] = [];
        for (const x of list('unique')) if (!out.some((y) => pyEquals(x, y))) out.push(x);
        return out;
      }
      case 'sort':
        return [...list('sort')].sort((a, b) => this.order(a, b, 'sort', e.pos));
      case 'reverse':
        return typeof v === 'string' ? [...v].reverse().join('') : [...list('reverse')].reverse();
      case 'min':
      case 'max': {
        const l = list(e.name);
        if (!l.length) return new Undef(`${e.name} of an empty list`, e.pos, false);
        return l.reduce((a, b) => ((this.order(a, b, e.name, e.pos) < 0) === (e.name === 'min') ? a : b));
      }
      case 'sum':
        return list('sum').reduce((a: number, b) => a + this.num(b, 'sum', e.pos), 0);
      case 'abs':
        return Math.abs(this.num(v, 'abs', e.pos));
      case 'replace': {
        const parts = pyStr(v).split(pyStr(args[0] ?? ''));
        const to = pyStr(args[1] ?? '');
        this.bound(parts.reduce((n, p) => n + p.length, 0) + (parts.length - 1) * to.length, 'string', e.pos);
        return parts.join(to);
      }
      case 'split': {
        const s = str('split');
        return args[0] === undefined || args[0] === null ? s.trim().split(/\s+/).filter(Boolean) : s.split(pyStr(args[0]));
      }
      case 'regex_search': {
        const s = pyStr(v);
        const pat = args[0];
        if (typeof pat !== 'string') this.fail(`the 'regex_search' filter expects a pattern string`, e.pos);
        const re = this.regex(pat, { ignorecase: truthy(kw.ignorecase), multiline: truthy(kw.multiline) }, e.pos);
        const m = this.matching(() => re.search(s), e.pos);
        if (!m) return null;
        const refs = args.slice(1);
        if (!refs.length) return m.text;
        // '\\1' / '\\g<name>' arguments return the captured groups as a list, as Ansible does.
        return refs.map((r) => {
          const ref = pyStr(r);
          const num = /^\\(\d+)$/.exec(ref);
          if (num) return m.groups[Number(num[1])] ?? null;
          const named = /^\\g<(\w+)>$/.exec(ref);
          if (named) return m.named[named[1]!] ?? null;
          this.fail(`bad group reference '${ref}' (use '\\\\1' or '\\\\g<name>')`, e.pos);
        });
      }
      case 'regex_replace': {
        const s = pyStr(v);
        const pat = args[0];
        if (typeof pat !== 'string') this.fail(`the 'regex_replace' filter expects a pattern string`, e.pos);
        const re = this.regex(pat, { ignorecase: truthy(kw.ignorecase), multiline: truthy(kw.multiline) }, e.pos);
        return this.matching(() => re.replace(s, pyStr(args[1] ?? ''), Number(kw.count ?? 0)), e.pos);
      }
      case 'to_json':
        return JSON.stringify(v === undefined ? null : v);
      case 'to_nice_json':
        return JSON.stringify(v === undefined ? null : v, null, Number(kw.indent ?? 4));
      case 'from_json':
        try {
          return JSON.parse(str('from_json')) as unknown;
        } catch (err) {
          this.fail(`from_json: ${(err as Error).message}`, e.pos);
        }
        break;
      case 'dict2items':
        if (!isPlainObject(v)) this.fail(`dict2items expects a dict, got ${typeName(v)}`, e.pos);
        return Object.entries(v).map(([key, value]) => ({ key, value }));
    }
    this.fail(`unknown filter '${e.name}'`, e.pos);
  }

  /** A handful of Python str/dict methods Ansible conditionals commonly use. */
  private method(e: Extract<Expr, { t: 'call' }>): unknown {
    const v = this.val(e.obj);
    const args = e.args.map((a) => this.val(a));
    const s = (x: unknown): string => pyStr(x);
    if (typeof v === 'string') {
      switch (e.name) {
        case 'startswith':
          return Array.isArray(args[0]) ? args[0].some((p) => v.startsWith(s(p))) : v.startsWith(s(args[0]));
        case 'endswith':
          return Array.isArray(args[0]) ? args[0].some((p) => v.endsWith(s(p))) : v.endsWith(s(args[0]));
        case 'lower':
          return v.toLowerCase();
        case 'upper':
          return v.toUpperCase();
        case 'strip':
          return v.trim();
        case 'lstrip':
          return v.trimStart();
        case 'rstrip':
          return v.trimEnd();
        case 'split':
          return args[0] === undefined || args[0] === null ? v.trim().split(/\s+/).filter(Boolean) : v.split(s(args[0]));
        case 'replace':
          return v.split(s(args[0])).join(s(args[1]));
        case 'find':
          return v.indexOf(s(args[0]));
        case 'isdigit':
          return /^\d+$/.test(v);
      }
    } else if (isPlainObject(v)) {
      switch (e.name) {
        case 'get': {
          const k = s(args[0]);
          if (isForbidden(k)) this.fail(`access to '${k}' is not allowed`, e.pos);
          return Object.hasOwn(v, k) ? v[k] : (args[1] ?? null);
        }
        case 'keys':
          return Object.keys(v);
        case 'values':
          return Object.values(v);
        case 'items':
          return Object.entries(v);
      }
    } else if (Array.isArray(v)) {
      switch (e.name) {
        case 'index': {
          const i = v.findIndex((x) => pyEquals(x, args[0]));
          if (i < 0) this.fail(`${pyRepr(args[0])} is not in list`, e.pos);
          return i;
        }
        case 'count':
          return v.filter((x) => pyEquals(x, args[0])).length;
      }
    }
    this.fail(`${typeName(v)} has no method '${e.name}'`, e.pos);
  }
}

// ---------------------------------------------------------------------------------------------
// API

const cache = new Map<string, Expr>();
const CACHE_MAX = 10_000;

/** `{{ x }}` → `   x   `: Ansible users write `when: "{{ x }}"`; blanking keeps columns right. */
function unwrap(src: string): string {
  const m = /^(\s*)\{\{(.*)\}\}(\s*)$/s.exec(src);
  if (!m || m[2]!.includes('{{') || m[2]!.includes('}}')) return src;
  return m[1] + '  ' + m[2] + '  ' + m[3];
}

/**
 * What the engine itself runs out of (a string over V8's limit, a parser nested thousands deep)
 * fails the expression, not the process: RangeError is the only such error JavaScript throws.
 */
function guarded<T>(src: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) throw new ExprError(`cannot evaluate "${src.length > 200 ? src.slice(0, 200) + '…' : src}": ${e.message}`, { expr: src, cause: e });
    throw e;
  }
}

/** Parses (cached by source). Throws ExprError with `col` on syntax errors. */
export function parseExpr(src: string): Expr {
  let e = cache.get(src);
  if (e) return e;
  const text = unwrap(src);
  e = new Parser(src, tokenize(text)).parseAll();
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(src, e);
  return e;
}

/**
 * Evaluates an expression. A top-level name that is not defined throws ("undefined variable 'x'");
 * a missing attribute (`x.y` with no y) evaluates to JS undefined so callers can tell it apart.
 */
export function evaluate(src: string, vars: Record<string, unknown>): unknown {
  const ast = guarded(src, () => parseExpr(src));
  const ev = new Evaluator(src, vars);
  const v = guarded(src, () => ev.ev(ast));
  if (v instanceof Undef) {
    if (v.topLevel) ev.fail(v.message(), v.pos);
    return undefined;
  }
  return v;
}

/** What `when:` accepts: an expression string, a YAML boolean/number, null (no condition) or a list (all must hold). */
export type Conditional = string | boolean | number | null | undefined | readonly Conditional[];

/** Evaluates a conditional to a boolean with Python truthiness; any undefined value used is an ExprError. */
export function evalBool(src: Conditional, vars: Record<string, unknown>): boolean {
  if (src === null || src === undefined) return true;
  if (typeof src === 'boolean') return src;
  if (typeof src === 'number') return src !== 0;
  if (Array.isArray(src)) return src.every((c) => evalBool(c as Conditional, vars));
  const text = src as string;
  const ast = guarded(text, () => parseExpr(text));
  const ev = new Evaluator(text, vars);
  const v = guarded(text, () => ev.use(ev.ev(ast)));
  // Ansible (before 2.19) templated a bare variable and re-evaluated the text, so `-e flag=false`
  // (a string) made `when: flag` false. Keep that for a bare variable path holding "true"/"false".
  if (typeof v === 'string' && (ast.t === 'name' || ast.t === 'attr' || ast.t === 'index')) {
    const l = v.trim().toLowerCase();
    if (l === 'false') return false;
    if (l === 'true') return true;
  }
  return truthy(v);
}
