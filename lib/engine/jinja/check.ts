// Static checks of a Jinja template, before anything runs: syntax errors, unknown filters, tests
// and lookups, and the root variable names it reads.
import { closest } from '../../errors.js';
import { ExprError } from './tokenizer.js';
import type { Expr } from './parser.js';
import type { Node } from './template-parser.js';
import { bareMessage, children, compile, lineCol, type Compiled, type JinjaOptions } from './compile.js';
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';
import { GLOBALS, LOOKUPS } from './globals.js';
import { pyStr } from './values.js';
export interface CheckIssue {
  message: string;
  line: number;
  col: number;
}

/** Syntax errors and unknown filters/tests/lookups, before anything runs. */
export function checkTemplate(src: string, opts: JinjaOptions = {}): CheckIssue | undefined {
  let c: Compiled;
  try {
    c = compile(src, opts);
  } catch (e) {
    if (e instanceof ExprError && e.offset !== undefined) {
      const { line, col } = lineCol(src, e.offset);
      return { message: bareMessage(e), line, col };
    }
    throw e;
  }
  let issue: CheckIssue | undefined;
  const bad = (msg: string, pos: number): void => {
    if (!issue) issue = { message: msg, ...lineCol(c.src, pos) };
  };
  walkTemplate(c.nodes, (e) => {
    if (e.t === 'filter' && !Object.hasOwn(FILTERS, e.name)) bad(`unknown filter '${e.name}'${near(e.name, Object.keys(FILTERS))}`, e.pos);
    if (e.t === 'test' && !Object.hasOwn(TESTS, e.name)) bad(`unknown test '${e.name}'${near(e.name, Object.keys(TESTS))}`, e.pos);
    if (e.t === 'call' && e.fn.t === 'name' && (e.fn.name === 'lookup' || e.fn.name === 'query' || e.fn.name === 'q') && e.args[0]?.t === 'lit') {
      const name = pyStr(e.args[0].v).replace(/^ansible\.builtin\./, '');
      if (!Object.hasOwn(LOOKUPS, name)) bad(`unknown lookup '${name}'${near(name, Object.keys(LOOKUPS))}`, e.args[0].pos);
    }
    if (e.t === 'filter' && (e.name === 'map' || e.name === 'select' || e.name === 'reject') && e.args[0]?.t === 'lit') {
      const name = pyStr(e.args[0].v);
      const table = e.name === 'map' ? FILTERS : TESTS;
      if (!Object.hasOwn(table, name)) bad(`unknown ${e.name === 'map' ? 'filter' : 'test'} '${name}'${near(name, Object.keys(table))}`, e.args[0].pos);
    }
  });
  return issue;
}

function near(name: string, known: string[]): string {
  const n = closest(name, known);
  return n ? ` (did you mean '${n}'?)` : '';
}

/** Root variable names a template reads and needs defined (not set/looped/macro-defined inside it, not guarded by `is defined`/`default`). */
export function templateRoots(src: string, opts: JinjaOptions = {}): Array<{ name: string; line: number; col: number }> {
  return rootNames(src, opts, true);
}

/** Every root name a template reads (not set/looped/macro-defined inside it), guarded or not, functions included. */
export function templateNames(src: string, opts: JinjaOptions = {}): Array<{ name: string; line: number; col: number }> {
  return rootNames(src, opts, false);
}

function rootNames(src: string, opts: JinjaOptions, required: boolean): Array<{ name: string; line: number; col: number }> {
  let c: Compiled;
  try {
    c = compile(src, opts);
  } catch {
    return [];
  }
  // a template that extends another may read what the parent sets or defines (a macro, a
  // `{% set %}` of its top level): which names it needs is known only when it renders
  if (required && c.extends) return [];
  const local = new Set<string>(['loop', 'caller', 'varargs', 'kwargs', 'self', 'super']);
  const collectLocals = (nodes: Node[]): void => {
    for (const n of nodes) {
      if (n.t === 'for') n.targets.forEach((x) => local.add(x));
      if (n.t === 'set') n.targets.forEach((x) => local.add(x));
      if (n.t === 'setblock' || n.t === 'macro') local.add(n.name);
      if (n.t === 'macro' || n.t === 'callblock') n.params.forEach(([p]) => local.add(p));
      if (n.t === 'with') n.assigns.forEach(([k]) => local.add(k));
      if (n.t === 'import') local.add(n.target);
      if (n.t === 'fromimport') n.names.forEach(([, alias]) => local.add(alias));
      for (const sub of children(n)) collectLocals(sub);
    }
  };
  collectLocals(c.nodes);
  const out: Array<{ name: string; line: number; col: number }> = [];
  // Names guarded by `is defined`, `| default`, `| mandatory` are not required.
  const guarded = new Set<Expr>();
  walkTemplate(c.nodes, (e) => {
    if (!required) return;
    if ((e.t === 'test' && (e.name === 'defined' || e.name === 'undefined')) || (e.t === 'filter' && (e.name === 'default' || e.name === 'd' || e.name === 'mandatory'))) {
      const a = e.arg;
      if (a) markPath(a, guarded);
    }
  });
  walkTemplate(c.nodes, (e) => {
    if (e.t === 'name' && !guarded.has(e) && !local.has(e.name) && (!required || !Object.hasOwn(GLOBALS, e.name))) out.push({ name: e.name, ...lineCol(c.src, e.pos) });
  });
  return out;
}

function markPath(e: Expr, set: Set<Expr>): void {
  set.add(e);
  if (e.t === 'attr' || e.t === 'index') markPath(e.obj, set);
}

function exprsOf(n: Node): Expr[] {
  switch (n.t) {
    case 'out':
      return [n.e];
    case 'if':
      return n.branches.map((b) => b.cond);
    case 'for':
      return [n.iter, ...(n.cond ? [n.cond] : [])];
    case 'set':
      return [n.e];
    case 'setblock':
      return n.filter ? [n.filter] : [];
    case 'macro':
      return n.params.flatMap(([, d]) => (d ? [d] : []));
    case 'callblock':
      return [n.call, ...n.params.flatMap(([, d]) => (d ? [d] : []))];
    case 'include':
    case 'extends':
    case 'import':
    case 'fromimport':
      return [n.e];
    case 'filterblock':
      return [n.filter];
    case 'with':
      return n.assigns.map(([, e]) => e);
    default:
      return [];
  }
}

/** Visits every expression node of a template. */
export function walkTemplate(nodes: Node[], visit: (e: Expr) => void): void {
  const ex = (e: Expr | null | undefined): void => {
    if (!e) return;
    visit(e);
    switch (e.t) {
      case 'attr':
        return ex(e.obj);
      case 'index':
        ex(e.obj);
        return ex(e.index);
      case 'slice':
        ex(e.obj);
        ex(e.start);
        ex(e.stop);
        return ex(e.step);
      case 'list':
        return e.items.forEach(ex);
      case 'dict':
        return e.entries.forEach(([k, v]) => (ex(k), ex(v)));
      case 'unary':
        return ex(e.arg);
      case 'bin':
      case 'and':
      case 'or':
        ex(e.left);
        return ex(e.right);
      case 'cmp':
        ex(e.first);
        return e.rest.forEach(([, r]) => ex(r));
      case 'cond':
        ex(e.test);
        ex(e.then);
        return ex(e.else);
      case 'filter':
      case 'test':
        ex(e.arg);
        e.args.forEach(ex);
        return Object.values(e.kwargs).forEach(ex);
      case 'method':
        ex(e.obj);
        e.args.forEach(ex);
        return Object.values(e.kwargs).forEach(ex);
      case 'call':
        ex(e.fn);
        e.args.forEach(ex);
        return Object.values(e.kwargs).forEach(ex);
      default:
        return;
    }
  };
  for (const n of nodes) {
    exprsOf(n).forEach(ex);
    for (const c of children(n)) walkTemplate(c, visit);
  }
}
