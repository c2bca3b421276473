// Jinja expression parser: recursive descent over tokenizer.ts tokens, precedence as Jinja2:
// ternary < or < and < not < comparison (in, is via postfix) < + - < ~ < * / // % < ** < unary -
// < postfix (. [] () with filters `|` and tests `is`).
import { ExprError, tokenize, type Tok, type TokenizeOptions } from './tokenizer.js';
import { pyFloat } from './values.js';

export type Expr =
  | { t: 'lit'; pos: number; v: unknown }
  | { t: 'name'; pos: number; name: string }
  | { t: 'attr'; pos: number; obj: Expr; name: string }
  | { t: 'index'; pos: number; obj: Expr; index: Expr }
  | { t: 'slice'; pos: number; obj: Expr; start?: Expr; stop?: Expr; step?: Expr }
  | { t: 'list'; pos: number; items: Expr[]; tuple?: boolean }
  | { t: 'dict'; pos: number; entries: [Expr, Expr][] }
  | { t: 'unary'; pos: number; op: 'not' | '-' | '+'; arg: Expr }
  | { t: 'bin'; pos: number; op: string; left: Expr; right: Expr }
  | { t: 'and' | 'or'; pos: number; left: Expr; right: Expr }
  | { t: 'cmp'; pos: number; first: Expr; rest: [string, Expr, number][] }
  | { t: 'cond'; pos: number; test: Expr; then: Expr; else?: Expr }
  | { t: 'filter'; pos: number; arg: Expr | null; name: string; args: Expr[]; kwargs: Record<string, Expr> }
  | { t: 'test'; pos: number; arg: Expr; name: string; args: Expr[]; kwargs: Record<string, Expr>; negate: boolean }
  /** obj.name(...) — a Python method, or a macro/function stored in a mapping (loop.cycle) */
  | { t: 'method'; pos: number; obj: Expr; name: string; args: Expr[]; kwargs: Record<string, Expr> }
  /** name(...) — a global function (range, lookup, dict, …) or a macro */
  | { t: 'call'; pos: number; fn: Expr; args: Expr[]; kwargs: Record<string, Expr> };

const KEYWORD_LITERALS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null, null: null };
export const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);

export class Parser {
  i = 0;
  constructor(
    readonly src: string,
    readonly toks: Tok[],
    /** the source range this token list covers, for messages */
    private readonly start = 0,
    private readonly end = src.length,
  ) {}

  get cur(): Tok {
    return this.toks[this.i]!;
  }
  peek(n = 1): Tok {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  isOp(v: string): boolean {
    return this.cur.k === 'op' && this.cur.v === v;
  }
  isName(v: string): boolean {
    return this.cur.k === 'name' && this.cur.v === v;
  }
  atEnd(): boolean {
    return this.cur.k === 'eof';
  }
  fail(msg: string, tok: Tok = this.cur): never {
    const text = this.src.slice(this.start, this.end).trim();
    throw new ExprError(`cannot parse "${text}": ${msg} at column ${tok.pos - this.start + 1}`, { col: tok.pos - this.start + 1, expr: text, offset: tok.pos });
  }
  describe(tok: Tok): string {
    return tok.k === 'eof' ? 'end of expression' : tok.k === 'str' ? 'string' : `'${tok.v}'`;
  }
  expectOp(v: string): Tok {
    if (!this.isOp(v)) this.fail(`expected '${v}' but found ${this.describe(this.cur)}`);
    return this.toks[this.i++]!;
  }
  expectName(what = 'a name'): string {
    if (this.cur.k !== 'name') this.fail(`expected ${what} but found ${this.describe(this.cur)}`);
    return this.toks[this.i++]!.v;
  }
  expectEnd(): void {
    if (this.cur.k !== 'eof') this.fail(`unexpected ${this.describe(this.cur)}`);
  }

  parseAll(): Expr {
    if (this.cur.k === 'eof') this.fail('empty expression');
    const e = this.parseExpr();
    this.expectEnd();
    return e;
  }

  /** An expression with an optional `if … else …` (no bare tuples). */
  parseExpr(withCond = true): Expr {
    const e = this.parseOr();
    if (withCond && this.isName('if')) {
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

  /** `a, b` without parentheses (for/set targets' values): a list when there is a comma. */
  parseTuple(withCond = true): Expr {
    const first = this.parseExpr(withCond);
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.i++;
      if (this.atEnd()) break;
      items.push(this.parseExpr(withCond));
    }
    return { t: 'list', pos: first.pos, items, tuple: true };
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

  // As Jinja: `-2 ** 2` is (-2) ** 2, `**` is left-associative, and a filter applies to the whole
  // unary operand (`-1 | abs` is 1) but binds tighter than `**`.
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

  parsePrimary(): Expr {
    const tok = this.cur;
    if (tok.k === 'num') {
      this.i++;
      // 5.0 and 1e3 are Python floats: boxed so they print as such
      return { t: 'lit', pos: tok.pos, v: tok.float ? pyFloat(tok.n!) : tok.n };
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
      if (this.isOp(')')) {
        this.i++;
        return { t: 'list', pos: tok.pos, items: [], tuple: true };
      }
      const e = this.parseExpr();
      if (this.isOp(',')) {
        // A tuple: a list here.
        const items = [e];
        while (this.isOp(',')) {
          this.i++;
          if (this.isOp(')')) break;
          items.push(this.parseExpr());
        }
        this.expectOp(')');
        return { t: 'list', pos: tok.pos, items, tuple: true };
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

  parsePostfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const tok = this.cur;
        if (tok.k === 'name') {
          this.i++;
          if (this.isOp('(')) {
            const { args, kwargs } = this.parseArgs();
            e = { t: 'method', pos: tok.pos, obj: e, name: tok.v, args, kwargs };
          } else e = { t: 'attr', pos: tok.pos, obj: e, name: tok.v };
        } else if (tok.k === 'num') {
          this.i++;
          e = { t: 'index', pos: tok.pos, obj: e, index: { t: 'lit', pos: tok.pos, v: tok.n } };
        } else this.fail(`expected an attribute name after '.' but found ${this.describe(tok)}`);
      } else if (this.isOp('[')) {
        const tok = this.toks[this.i++]!;
        e = this.parseSubscript(e, tok.pos);
      } else if (this.isOp('(')) {
        const pos = this.cur.pos;
        const { args, kwargs } = this.parseArgs();
        e = { t: 'call', pos, fn: e, args, kwargs };
      } else return e;
    }
  }

  /** `[i]`, `[a:b]`, `[a:b:c]` (after the `[`). */
  private parseSubscript(obj: Expr, pos: number): Expr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.parseExpr());
    const start = part();
    if (!this.isOp(':')) {
      if (!start) this.fail('expected an index');
      this.expectOp(']');
      return { t: 'index', pos, obj, index: start };
    }
    this.i++;
    const stop = part();
    let step: Expr | undefined;
    if (this.isOp(':')) {
      this.i++;
      step = part();
    }
    this.expectOp(']');
    return { t: 'slice', pos, obj, start, stop, step };
  }

  parseArgs(): { args: Expr[]; kwargs: Record<string, Expr> } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: Record<string, Expr> = Object.create(null) as Record<string, Expr>;
    while (!this.isOp(')')) {
      if (this.cur.k === 'name' && this.peek().k === 'op' && this.peek().v === '=') {
        const name = this.cur.v;
        this.i += 2;
        kwargs[name] = this.parseExpr();
      } else {
        if (Object.keys(kwargs).length) this.fail('positional argument follows keyword argument');
        args.push(this.parseExpr());
      }
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expectOp(')');
    return { args, kwargs };
  }

  /** One filter after `|` (the name and its arguments); `arg` null in `{% filter %}` blocks. */
  parseFilter(arg: Expr | null): Expr {
    const tok = this.cur;
    if (tok.k !== 'name') this.fail(`expected a filter name after '|' but found ${this.describe(tok)}`);
    this.i++;
    let name = tok.v;
    // Collection-qualified names: ansible.builtin.to_json, community.general.json_query
    while (this.isOp('.') && this.peek().k === 'name') {
      this.i++;
      name += '.' + this.toks[this.i++]!.v;
    }
    let args: Expr[] = [];
    let kwargs: Record<string, Expr> = {};
    if (this.isOp('(')) ({ args, kwargs } = this.parseArgs());
    return { t: 'filter', pos: tok.pos, arg, name, args, kwargs };
  }

  parseFilters(e: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.i++;
        e = this.parseFilter(e);
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
        let name = tok.v;
        while (this.isOp('.') && this.peek().k === 'name') {
          this.i++;
          name += '.' + this.toks[this.i++]!.v;
        }
        let args: Expr[] = [];
        let kwargs: Record<string, Expr> = {};
        if (this.isOp('(')) ({ args, kwargs } = this.parseArgs());
        else if (this.startsSingleTestArg()) args = [this.parsePostfix(this.parsePrimary())];
        e = { t: 'test', pos: tok.pos, arg: e, name, args, kwargs, negate };
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

const cache = new Map<string, Expr>();
const CACHE_MAX = 10_000;

/** `{{ x }}` → `   x   `: Ansible users write `when: "{{ x }}"`; blanking keeps columns right. */
function unwrap(src: string): string {
  const m = /^(\s*)\{\{(.*)\}\}(\s*)$/s.exec(src);
  if (!m || m[2]!.includes('{{') || m[2]!.includes('}}')) return src;
  return m[1] + '  ' + m[2] + '  ' + m[3];
}

/** Parses a standalone expression (cached by source). Throws ExprError with `col` on syntax errors. */
export function parseExpr(src: string): Expr {
  let e = cache.get(src);
  if (e) return e;
  const text = unwrap(src);
  e = new Parser(text, tokenize(text)).parseAll();
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(src, e);
  return e;
}

/** Parses src[start, end) as one expression (a `{{ }}` inside a template). */
export function parseExprAt(src: string, start: number, end: number, opts: TokenizeOptions = {}): Expr {
  const p = new Parser(src, tokenize(src, start, end, opts), start, end);
  return p.parseAll();
}
