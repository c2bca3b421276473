// Jinja template syntax: the lexer (`{{ }}`, `{% %}`, `{# #}`, raw blocks, whitespace control,
// trim_blocks/lstrip_blocks) and the statement parser (if/for/set/macro/call/include/filter/with,
// extends/block, import/from).
import { ExprError, findTagEnd, tokenize } from './tokenizer.js';
import { Parser, type Expr } from './parser.js';

export type Node =
  /** guard: output dropped once the template has extended another (Jinja's output check) */
  | { t: 'text'; v: string; guard?: boolean }
  | { t: 'out'; e: Expr; pos: number; guard?: boolean }
  | { t: 'if'; branches: { cond: Expr; body: Node[] }[]; els?: Node[] }
  | { t: 'for'; targets: string[]; iter: Expr; cond?: Expr; body: Node[]; els?: Node[]; recursive: boolean; pos: number }
  | { t: 'set'; targets: string[]; attr?: string; e: Expr; pos: number }
  | { t: 'setblock'; name: string; body: Node[]; filter?: Expr; pos: number }
  | { t: 'macro'; name: string; params: [string, Expr | undefined][]; body: Node[]; pos: number }
  | { t: 'callblock'; call: Expr; params: [string, Expr | undefined][]; body: Node[]; pos: number }
  | { t: 'include'; e: Expr; ignoreMissing: boolean; withContext: boolean; pos: number }
  | { t: 'filterblock'; filter: Expr; body: Node[]; pos: number }
  | { t: 'with'; assigns: [string, Expr][]; body: Node[]; pos: number }
  | { t: 'extends'; e: Expr; pos: number }
  /** top: at the template's top level (not in a loop, macro, block…): skipped once the template extended another */
  | { t: 'block'; name: string; body: Node[]; scoped: boolean; required: boolean; top: boolean; pos: number }
  | { t: 'import'; e: Expr; target: string; withContext: boolean; pos: number }
  | { t: 'fromimport'; e: Expr; names: [string, string][]; withContext: boolean; pos: number };

export interface LexOptions {
  trimBlocks: boolean;
  lstripBlocks: boolean;
  /** backslashes in `{{ }}` string literals are literal (Ansible's escape_backslashes for task arguments) */
  rawStrings?: boolean;
}

interface Tag {
  kind: 'var' | 'block';
  /** inner source range */
  start: number;
  end: number;
  /** offset of the opening delimiter */
  pos: number;
}
type Piece = { t: 'text'; v: string } | Tag;

function syntaxError(msg: string, offset: number): never {
  throw new ExprError(`template syntax error: ${msg}`, { offset });
}

/** Splits the template into text and tags, applying whitespace control. */
export function lex(src: string, o: LexOptions): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let text = '';
  let stripNext = false; // a `-%}`/`-}}`/`-#}` strips whitespace at the start of the next text
  let trimNewline = false; // trim_blocks: the next newline after a block/comment tag goes
  const pushText = (t: string): void => {
    if (stripNext) t = t.replace(/^\s+/, '');
    else if (trimNewline) t = t.replace(/^\r?\n/, '');
    stripNext = false;
    trimNewline = false;
    text += t;
  };
  const flush = (rstrip: boolean, lstripLine: boolean): void => {
    if (rstrip) text = text.replace(/\s+$/, '');
    else if (lstripLine) {
      const m = /(^|\n)[ \t]+$/.exec(text);
      if (m) text = text.slice(0, m.index + m[1]!.length);
    }
    if (text) pieces.push({ t: 'text', v: text });
    text = '';
  };
  while (i < src.length) {
    const next = src.slice(i).search(/\{[{%#]/);
    if (next < 0) {
      pushText(src.slice(i));
      break;
    }
    const at = i + next;
    pushText(src.slice(i, at));
    const kind = src[at + 1]!;
    let p = at + 2;
    const minus = src[p] === '-';
    const plus = src[p] === '+';
    if (minus || plus) p++;
    if (kind === '#') {
      const close = src.indexOf('#}', p);
      if (close < 0) syntaxError('missing end of comment tag', at);
      const rminus = src[close - 1] === '-' && close - 1 >= p;
      flush(minus, o.lstripBlocks && !plus);
      i = close + 2;
      stripNext = rminus;
      trimNewline = o.trimBlocks && !rminus;
      continue;
    }
    const closer = kind === '{' ? '}}' : '%}';
    const close = findTagEnd(src, p, closer);
    if (close < 0) syntaxError(kind === '{' ? "unexpected end of template, expected '}}'" : "unexpected end of template, expected '%}'", at);
    const rminus = src[close - 1] === '-' && close - 1 >= p;
    const rplus = src[close - 1] === '+' && close - 1 >= p && kind === '%';
    const innerEnd = rminus || rplus ? close - 1 : close;
    flush(minus, kind === '%' && o.lstripBlocks && !plus);
    i = close + 2;
    stripNext = rminus;
    trimNewline = kind === '%' && o.trimBlocks && !rminus && !rplus;
    if (kind === '%' && /^\s*raw\s*$/.test(src.slice(p, innerEnd))) {
      // {% raw %}…{% endraw %}: the text in between is output as is
      const endRe = /\{%(-?)\s*endraw\s*(-?)%\}/g;
      endRe.lastIndex = i;
      const m = endRe.exec(src);
      if (!m) syntaxError("missing '{% endraw %}'", at);
      let body = src.slice(i, m.index);
      if (stripNext) body = body.replace(/^\s+/, '');
      else if (trimNewline) body = body.replace(/^\r?\n/, '');
      if (m[1]) body = body.replace(/\s+$/, '');
      else if (o.lstripBlocks) body = body.replace(/(^|\n)[ \t]+$/, '$1');
      text += body;
      i = m.index + m[0].length;
      stripNext = m[2] === '-';
      trimNewline = o.trimBlocks && !stripNext;
      continue;
    }
    pieces.push({ kind: kind === '{' ? 'var' : 'block', start: p, end: innerEnd, pos: at });
  }
  flush(false, false);
  return pieces;
}

const END_OF: Record<string, string[]> = {
  if: ['elif', 'else', 'endif'],
  for: ['else', 'endfor'],
  macro: ['endmacro'],
  call: ['endcall'],
  filter: ['endfilter'],
  set: ['endset'],
  with: ['endwith'],
  block: ['endblock'],
};

export function parseTemplate(src: string, o: LexOptions): Node[] {
  const pieces = lex(src, o);
  let k = 0;
  // statements nested in a loop, macro, block…: not the top level (an `if` does not count, as in Jinja)
  let nested = 0;
  const inner = <T>(f: () => T): T => {
    nested++;
    try {
      return f();
    } finally {
      nested--;
    }
  };
  const exprParser = (t: Tag, rawStrings = false): Parser => new Parser(src, tokenize(src, t.start, t.end, { rawStrings }), t.start, t.end);

  /** Parses nodes until a block tag named in `stop` (returned, not consumed past its keyword). */
  const parseBody = (stop: string[], opener?: Tag, openerName?: string): { nodes: Node[]; end?: { name: string; p: Parser; tag: Tag } } => {
    const nodes: Node[] = [];
    while (k < pieces.length) {
      const piece = pieces[k++]!;
      if ('t' in piece) {
        nodes.push({ t: 'text', v: piece.v });
        continue;
      }
      if (piece.kind === 'var') {
        const p = exprParser(piece, o.rawStrings);
        if (p.atEnd()) p.fail('empty expression');
        const e = p.parseTuple();
        p.expectEnd();
        nodes.push({ t: 'out', e, pos: piece.start });
        continue;
      }
      const p = exprParser(piece);
      if (p.cur.k !== 'name') p.fail(`expected a statement name but found ${p.describe(p.cur)}`);
      const name = p.cur.v;
      if (stop.includes(name)) {
        p.i++;
        return { nodes, end: { name, p, tag: piece } };
      }
      p.i++;
      nodes.push(statement(name, p, piece));
    }
    if (opener) syntaxError(`unexpected end of template: '{% ${openerName} %}' is not closed (expected ${stop.map((s) => `'{% ${s} %}'`).join(' or ')})`, opener.pos);
    return { nodes };
  };

  const params = (p: Parser): [string, Expr | undefined][] => {
    const out: [string, Expr | undefined][] = [];
    if (!p.isOp('(')) return out;
    p.i++;
    while (!p.isOp(')')) {
      const n = p.expectName('a parameter name');
      let d: Expr | undefined;
      if (p.isOp('=')) {
        p.i++;
        d = p.parseExpr();
      }
      out.push([n, d]);
      if (!p.isOp(',')) break;
      p.i++;
    }
    p.expectOp(')');
    return out;
  };

  const targets = (p: Parser): string[] => {
    const out: string[] = [];
    const paren = p.isOp('(');
    if (paren) p.i++;
    do {
      if (out.length) p.i++;
      out.push(p.expectName('a variable name'));
    } while (p.isOp(','));
    if (paren) p.expectOp(')');
    return out;
  };

  const statement = (name: string, p: Parser, tag: Tag): Node => {
    switch (name) {
      case 'if': {
        const branches: { cond: Expr; body: Node[] }[] = [];
        let cond = p.parseTuple();
        p.expectEnd();
        for (;;) {
          const r = parseBody(END_OF.if!, tag, 'if');
          branches.push({ cond, body: r.nodes });
          const end = r.end!;
          if (end.name === 'elif') {
            cond = end.p.parseTuple();
            end.p.expectEnd();
            continue;
          }
          if (end.name === 'else') {
            end.p.expectEnd();
            const r2 = parseBody(['endif'], tag, 'if');
            r2.end!.p.expectEnd();
            return { t: 'if', branches, els: r2.nodes };
          }
          end.p.expectEnd();
          return { t: 'if', branches };
        }
      }
      case 'for': {
        const tg = targets(p);
        if (!p.isName('in')) p.fail(`expected 'in' but found ${p.describe(p.cur)}`);
        p.i++;
        const iter = p.parseTuple(false);
        let cond: Expr | undefined;
        if (p.isName('if')) {
          p.i++;
          cond = p.parseExpr();
        }
        const recursive = p.isName('recursive');
        if (recursive) p.i++;
        p.expectEnd();
        return inner(() => {
          const r = parseBody(END_OF.for!, tag, 'for');
          let els: Node[] | undefined;
          if (r.end!.name === 'else') {
            r.end!.p.expectEnd();
            const r2 = parseBody(['endfor'], tag, 'for');
            r2.end!.p.expectEnd();
            els = r2.nodes;
          } else r.end!.p.expectEnd();
          return { t: 'for', targets: tg, iter, cond, body: r.nodes, els, recursive, pos: tag.start };
        });
      }
      case 'set': {
        const first = p.expectName('a variable name');
        if (p.isOp('.')) {
          p.i++;
          const attr = p.expectName('an attribute name');
          p.expectOp('=');
          const e = p.parseTuple();
          p.expectEnd();
          return { t: 'set', targets: [first], attr, e, pos: tag.start };
        }
        const tg = [first];
        while (p.isOp(',')) {
          p.i++;
          tg.push(p.expectName('a variable name'));
        }
        if (p.isOp('=')) {
          p.i++;
          const e = p.parseTuple();
          p.expectEnd();
          return { t: 'set', targets: tg, e, pos: tag.start };
        }
        // block set: {% set x %}…{% endset %}, optionally {% set x | filter %}
        let filter: Expr | undefined;
        if (p.isOp('|')) {
          p.i++;
          filter = p.parseFilters(p.parseFilter(null));
        }
        p.expectEnd();
        const r = inner(() => parseBody(['endset'], tag, 'set'));
        r.end!.p.expectEnd();
        return { t: 'setblock', name: first, body: r.nodes, filter, pos: tag.start };
      }
      case 'macro': {
        const n = p.expectName('a macro name');
        const ps = params(p);
        p.expectEnd();
        const r = inner(() => parseBody(['endmacro'], tag, 'macro'));
        return { t: 'macro', name: n, params: ps, body: r.nodes, pos: tag.start };
      }
      case 'call': {
        const ps = params(p);
        const call = p.parseExpr();
        if (call.t !== 'call') p.fail('expected a macro call');
        p.expectEnd();
        const r = inner(() => parseBody(['endcall'], tag, 'call'));
        return { t: 'callblock', call, params: ps, body: r.nodes, pos: tag.start };
      }
      case 'include': {
        const e = p.parseExpr();
        let ignoreMissing = false;
        let withContext = true;
        if (p.isName('ignore')) {
          p.i++;
          if (!p.isName('missing')) p.fail("expected 'missing' after 'ignore'");
          p.i++;
          ignoreMissing = true;
        }
        if (p.isName('with') || p.isName('without')) {
          withContext = p.cur.v === 'with';
          p.i++;
          if (!p.isName('context')) p.fail("expected 'context'");
          p.i++;
        }
        p.expectEnd();
        return { t: 'include', e, ignoreMissing, withContext, pos: tag.start };
      }
      case 'filter': {
        const filter = p.parseFilters(p.parseFilter(null));
        p.expectEnd();
        const r = inner(() => parseBody(['endfilter'], tag, 'filter'));
        return { t: 'filterblock', filter, body: r.nodes, pos: tag.start };
      }
      case 'with': {
        const assigns: [string, Expr][] = [];
        while (!p.atEnd()) {
          const n = p.expectName('a variable name');
          p.expectOp('=');
          assigns.push([n, p.parseExpr()]);
          if (!p.isOp(',')) break;
          p.i++;
        }
        p.expectEnd();
        const r = inner(() => parseBody(['endwith'], tag, 'with'));
        return { t: 'with', assigns, body: r.nodes, pos: tag.start };
      }
      case 'extends': {
        if (nested) p.fail('cannot use extends from a non top-level scope (a loop, macro, block…)', p.toks[p.i - 1]);
        const e = p.parseExpr();
        p.expectEnd();
        hasExtends = true;
        return { t: 'extends', e, pos: tag.start };
      }
      case 'block':
        return block(p, tag);
      case 'import': {
        const e = p.parseExpr();
        if (!p.isName('as')) p.fail(`expected 'as' but found ${p.describe(p.cur)}`);
        p.i++;
        const target = p.expectName('a variable name');
        const withContext = context(p);
        p.expectEnd();
        return { t: 'import', e, target, withContext, pos: tag.start };
      }
      case 'from':
        return fromImport(p, tag);
      default: {
        const closers = Object.values(END_OF).flat();
        if (closers.includes(name)) p.fail(`unexpected '{% ${name} %}' (no open block it belongs to)`, p.toks[p.i - 1]);
        return p.fail(`unknown tag '${name}'`, p.toks[p.i - 1]);
      }
    }
  };

  /** `with context` / `without context` after an import; Jinja's default is without. */
  const context = (p: Parser): boolean => {
    if (!p.isName('with') && !p.isName('without')) return false;
    const w = p.cur.v === 'with';
    p.i++;
    if (!p.isName('context')) p.fail(`expected 'context' but found ${p.describe(p.cur)}`);
    p.i++;
    return w;
  };

  const fromImport = (p: Parser, tag: Tag): Node => {
    const e = p.parseExpr();
    if (!p.isName('import')) p.fail(`expected 'import' but found ${p.describe(p.cur)}`);
    p.i++;
    const names: [string, string][] = [];
    let withContext = false;
    for (;;) {
      // `with context` ends the list (a name may follow a comma or not)
      if ((p.isName('with') || p.isName('without')) && p.toks[p.i + 1]?.k === 'name' && p.toks[p.i + 1]!.v === 'context') {
        withContext = context(p);
        break;
      }
      const nameTok = p.cur;
      const n = p.expectName('a name to import');
      if (n.startsWith('_')) p.fail(`names starting with an underline can not be imported ('${n}')`, nameTok);
      let alias = n;
      if (p.isName('as')) {
        p.i++;
        alias = p.expectName('an alias');
      }
      names.push([n, alias]);
      if (!p.isOp(',')) {
        withContext = context(p);
        break;
      }
      p.i++;
      if (p.atEnd()) break;
    }
    if (!names.length) p.fail('expected a name to import');
    p.expectEnd();
    return { t: 'fromimport', e, names, withContext, pos: tag.start };
  };

  const blocks = new Set<string>();
  const block = (p: Parser, tag: Tag): Node => {
    const nameTok = p.cur;
    const name = p.expectName('a block name');
    if (p.isOp('-')) p.fail('block names have to be valid identifiers and may not contain hyphens, use an underscore instead');
    if (blocks.has(name)) p.fail(`block '${name}' defined twice`, nameTok);
    blocks.add(name);
    let scoped = false;
    let required = false;
    while (p.isName('scoped') || p.isName('required')) {
      if (p.cur.v === 'scoped') scoped = true;
      else required = true;
      p.i++;
    }
    p.expectEnd();
    const top = !nested;
    const r = inner(() => parseBody(['endblock'], tag, `block ${name}`));
    const end = r.end!;
    if (end.p.cur.k === 'name') {
      if (end.p.cur.v !== name) end.p.fail(`'{% endblock ${end.p.cur.v} %}' closes block '${name}'`);
      end.p.i++;
    }
    end.p.expectEnd();
    if (required && r.nodes.some((x) => x.t !== 'text' || x.v.trim() !== '')) syntaxError(`required block '${name}' can only contain comments or whitespace`, tag.pos);
    return { t: 'block', name, body: r.nodes, scoped, required, top, pos: tag.start };
  };

  let hasExtends = false;
  const r = parseBody([]);
  if (hasExtends) guardOutput(r.nodes);
  return r.nodes;
}

/**
 * Jinja's output check in a template with `{% extends %}`: once it has extended, the text and `{{ }}`
 * of its top level, loops and ifs are dropped (not evaluated); macro, call, set and block bodies
 * are not checked (they render where they are used).
 */
function guardOutput(nodes: Node[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
      case 'out':
        n.guard = true;
        break;
      case 'if':
        n.branches.forEach((b) => guardOutput(b.body));
        if (n.els) guardOutput(n.els);
        break;
      case 'for':
        guardOutput(n.body);
        if (n.els) guardOutput(n.els);
        break;
      case 'with':
      case 'filterblock':
        guardOutput(n.body);
        break;
      default:
        break;
    }
  }
}
