// The Handlebars AST work the engine needs: strict block-param paths (rewritten to checked helper
// calls), expressions printed back for messages, a tree walk, and the string-appending compiler.
import Handlebars from 'handlebars';
import { PATH_HELPER, VALUE_HELPER } from './template-helpers.js';

export type Node = hbs.AST.Node;
export type Program = hbs.AST.Program;
export type Mustache = hbs.AST.MustacheStatement;
export type PathExpr = hbs.AST.PathExpression;
export type SubExpr = hbs.AST.SubExpression;

// Each distinct text is parsed once per run: the load-time check (static-check.ts) reads the tree,
// then the engine takes it to compile. Taken, not shared: the engine's rewrites (strictBlockParams)
// and Handlebars' compiler change the trees they compile. Parsing does not depend on the instance
// (helpers are looked up when compiling), so the global Handlebars parses for every instance.
const parsed = new Map<string, Program | Error>();
const PARSED_MAX = 10_000;

/** The tree of `text`, or its parse error, for read-only walks (parsed at most once). */
export function parsedTree(text: string): Program | Error {
  let r = parsed.get(text);
  if (r === undefined) {
    try {
      r = Handlebars.parse(text);
    } catch (e) {
      r = e instanceof Error ? e : new Error(String(e));
    }
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(text, r);
  }
  return r;
}

/** The tree of `text` for a compiler to own (the read-only one if it was parsed, else a new parse); throws its parse error. */
export function takeTree(text: string): Program {
  const r = parsed.get(text);
  if (r === undefined) return Handlebars.parse(text);
  parsed.delete(text);
  if (r instanceof Error) throw r;
  return r;
}

const PROTO_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), ...Object.getOwnPropertyNames(Array.prototype)].filter((n) => n !== 'length'));

/** A rewritten block-param path keeps its source text for error messages. */
export interface PathCall extends SubExpr {
  bosunOriginal?: string;
}

/**
 * Handlebars strict mode does not check paths that start with a block param (`as |it|`): it
 * renders `{{it.missing}}` as '' and crashes on `{{it.a.b}}` when `a` is missing. Rewrite
 * `it.a.b` to `(bosun-path it "a" "b")` (null-safe, own properties only) and a lone `{{it.x}}`
 * to `{{bosun-value …}}`, whose undefined-argument check then names the path.
 */
export function strictBlockParams(prog: Program | undefined, names: ReadonlySet<string>): void {
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

export function describeExpr(e: Node): string {
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
export function walk(node: Node | undefined | null, visit: (n: Node) => void): void {
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

/** Handlebars' (untyped) JavaScriptCompiler constructor. */
export type CompilerClass = { prototype: object };

/**
 * Handlebars with noEscape joins outputs with a bare `+`, so `{{port}}{{port}}` with port 2379
 * renders "4758". Make every appended chunk a string first (a compiler subclass on this instance only).
 */
export function stringAppendingCompiler(Base: CompilerClass): CompilerClass {
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

export function noHash(s: { hash?: hbs.AST.Hash }): boolean {
  return !s.hash || s.hash.pairs.length === 0;
}
