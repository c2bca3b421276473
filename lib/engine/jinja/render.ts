// Renders a parsed Jinja template: statements, scopes (for/macro/with open one; if does not, as
// Jinja), the `loop` variable (recursive loops too), macros and caller(), block set and filter
// blocks; include, import and extends/block through the hooks of loader.ts.
import type { Expr } from './parser.js';
import type { Node } from './template-parser.js';
import type { Evaluator } from './evaluator.js';
import { ExprError } from './tokenizer.js';
import { Callable, isNamespace, markCallable, markFresh, tuple, typeName } from './values.js';
import { Undef, define, isForbidden, isPlainObject, iterItems, pyStr, truthy } from './values.js';

export type Scope = Record<string, unknown>;
type BlockNode = Extract<Node, { t: 'block' }>;

export function child(scope: Scope): Scope {
  return Object.create(scope) as Scope;
}

/** Names a scope got from `{% import %}`/`{% from %}`: a template's imports are not exported from it (Jinja). */
const imported = new WeakMap<Scope, Set<string>>();
export function isImported(scope: Scope, name: string): boolean {
  return imported.get(scope)?.has(name) ?? false;
}
function markImported(scope: Scope, name: string): void {
  let s = imported.get(scope);
  if (!s) imported.set(scope, (s = new Set()));
  s.add(name);
}

/** Output of a `{{ }}`: Python str(), None as '' (Ansible's finalize), an undefined value is an error. */
function emit(ev: Evaluator, e: Expr): string {
  const v = ev.val(e);
  return v === null || v === undefined ? '' : pyStr(v);
}

/** What one template being rendered offers its statements (loader.ts): other templates and its inheritance chain. */
export interface RenderHooks {
  /** renders an included template (path as written) with the given scope */
  include(name: string, scope: Scope, ev: Evaluator, pos: number, ignoreMissing: boolean): string;
  /** `{% extends %}`: loads the parent template, rendered after this one's top level */
  extend(name: string, ev: Evaluator, pos: number): void;
  /** this template has extended another: its top-level output is dropped from here on */
  extended(): boolean;
  /** `{% block %}`: the most derived definition of the block, rendered */
  block(n: BlockNode, scope: Scope, ev: Evaluator): string;
  /** `{% import %}`: the names another template exports; its context is `scope` (with context) or none */
  module(name: string, scope: Scope | undefined, ev: Evaluator, pos: number): Scope;
  /** an error of this template at its file:line:col (for an error crossing into another template) */
  locate(e: unknown): unknown;
}

/** A template name: a string (Jinja also takes Template objects, which bosun's templates cannot hold). */
function templateName(ev: Evaluator, e: Expr): string {
  const v = ev.val(e);
  if (typeof v !== 'string') return ev.fail(`a template name must be a string, not ${typeName(v)}`, e.pos);
  return v;
}

export function renderNodes(nodes: Node[], ev: Evaluator, scope: Scope, hooks: RenderHooks): string {
  let out = '';
  const saved = ev.vars;
  ev.vars = scope;
  try {
    for (const n of nodes) out += renderNode(n, ev, scope, hooks);
  } finally {
    ev.vars = saved;
  }
  return out;
}

function assign(ev: Evaluator, scope: Scope, targets: string[], value: unknown, pos: number): void {
  if (targets.length === 1) {
    if (isForbidden(targets[0]!)) return ev.fail(`cannot assign to '${targets[0]}'`, pos);
    define(scope, targets[0]!, value);
    return;
  }
  const items = iterItems(value);
  if (!items || items.length !== targets.length) return ev.fail(`cannot unpack ${items ? items.length : 'a non-sequence'} value(s) into ${targets.length} names`, pos);
  targets.forEach((t, i) => {
    if (isForbidden(t)) return ev.fail(`cannot assign to '${t}'`, pos);
    define(scope, t, items[i]);
  });
}

function renderNode(n: Node, ev: Evaluator, scope: Scope, hooks: RenderHooks): string {
  switch (n.t) {
    case 'text':
      return n.guard && hooks.extended() ? '' : n.v;
    case 'out':
      return n.guard && hooks.extended() ? '' : emit(ev, n.e);
    case 'if':
      for (const b of n.branches) if (truthy(ev.val(b.cond))) return renderNodes(b.body, ev, scope, hooks);
      return n.els ? renderNodes(n.els, ev, scope, hooks) : '';
    case 'for':
      return renderFor(n, ev, scope, hooks);
    case 'set': {
      const v = ev.val(n.e);
      if (n.attr !== undefined) {
        const ns = ev.val({ t: 'name', pos: n.pos, name: n.targets[0]! });
        if (!isNamespace(ns)) return ev.fail(`cannot assign attribute on non-namespace object '${n.targets[0]}'`, n.pos);
        if (isForbidden(n.attr)) return ev.fail(`cannot assign to '${n.attr}'`, n.pos);
        define(ns, n.attr, v);
      } else {
        for (const t of n.targets) imported.get(scope)?.delete(t);
        assign(ev, scope, n.targets, v, n.pos);
      }
      return '';
    }
    case 'setblock': {
      let v: unknown = renderNodes(n.body, ev, child(scope), hooks);
      if (n.filter) v = applyFilterChain(ev, n.filter, v);
      imported.get(scope)?.delete(n.name);
      define(scope, n.name, v);
      return '';
    }
    case 'macro':
      imported.get(scope)?.delete(n.name);
      define(scope, n.name, makeMacro(n.name, n.params, n.body, scope, ev, hooks));
      return '';
    case 'callblock': {
      const callerScope = scope;
      const caller = makeMacro('caller', n.params, n.body, callerScope, ev, hooks);
      const call = n.call as Extract<Expr, { t: 'call' }>;
      const f = ev.val(call.fn);
      if (!(f instanceof Callable)) return ev.fail('{% call %} needs a macro', n.pos);
      const args = call.args.map((a) => ev.val(a));
      const kw: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(call.kwargs)) kw[k] = ev.val(x);
      kw.caller = caller;
      return pyStr(f.fn(ev, args, kw, n.pos));
    }
    case 'include': {
      const target = ev.val(n.e);
      const names = Array.isArray(target) ? target.map(pyStr) : [pyStr(target)];
      let lastErr: unknown;
      for (const name of names) {
        try {
          return hooks.include(name, n.withContext ? scope : Object.getPrototypeOf(scope) === null ? scope : rootOf(scope), ev, n.pos, n.ignoreMissing || names.length > 1);
        } catch (e) {
          lastErr = e;
        }
      }
      if (n.ignoreMissing) return '';
      throw lastErr;
    }
    case 'filterblock': {
      const body = renderNodes(n.body, ev, child(scope), hooks);
      return pyStr(applyFilterChain(ev, n.filter, body));
    }
    case 'with': {
      const inner = child(scope);
      for (const [k, e] of n.assigns) define(inner, k, ev.val(e));
      return renderNodes(n.body, ev, inner, hooks);
    }
    case 'extends':
      hooks.extend(templateName(ev, n.e), ev, n.pos);
      return '';
    case 'block':
      return n.top && hooks.extended() ? '' : hooks.block(n, scope, ev);
    case 'import': {
      const m = hooks.module(templateName(ev, n.e), n.withContext ? scope : undefined, ev, n.pos);
      assign(ev, scope, [n.target], m, n.pos);
      markImported(scope, n.target);
      return '';
    }
    case 'fromimport': {
      const name = templateName(ev, n.e);
      const m = hooks.module(name, n.withContext ? scope : undefined, ev, n.pos);
      for (const [k, alias] of n.names) {
        // a name the template does not export is undefined (an error where it is used), as in Jinja
        const v = Object.hasOwn(m, k) ? m[k] : new Undef(alias, n.pos, true, hooks.locate(new ExprError(`the template '${name}' does not export the requested name '${k}'`, { offset: n.pos, undefined: true })));
        assign(ev, scope, [alias], v, n.pos);
        markImported(scope, alias);
      }
      return '';
    }
  }
}

function rootOf(scope: Scope): Scope {
  let s = scope;
  for (;;) {
    const p = Object.getPrototypeOf(s) as Scope | null;
    if (!p || p === Object.prototype) return s;
    s = p;
  }
}

/** A `{% filter a | b(x) %}` / `{% set x | f %}` chain applied to a value (the chain's innermost arg is null). */
function applyFilterChain(ev: Evaluator, f: Expr, value: unknown): unknown {
  if (f.t !== 'filter') return value;
  const inner = f.arg ? applyFilterChain(ev, f.arg, value) : value;
  const args = f.args.map((a) => ev.val(a));
  const kw: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(f.kwargs)) kw[k] = ev.val(x);
  return ev.applyFilter(f.name, inner, args, kw, f.pos);
}

/**
 * A macro renders with the evaluator of the template that defines it (its source for positions);
 * called from another template (imported, or `caller` of a macro defined elsewhere), its errors
 * are located in its own template before they cross into the caller's.
 */
function makeMacro(name: string, params: [string, Expr | undefined][], body: Node[], defScope: Scope, defEv: Evaluator, hooks: RenderHooks): Callable {
  return new Callable(name, (callEv, args, kw, pos) => {
    if (callEv === defEv) return callMacro(params, body, defScope, defEv, hooks, args, kw, pos);
    try {
      return callMacro(params, body, defScope, defEv, hooks, args, kw, pos);
    } catch (e) {
      throw hooks.locate(e);
    }
  });
}

function callMacro(params: [string, Expr | undefined][], body: Node[], defScope: Scope, ev: Evaluator, hooks: RenderHooks, args: unknown[], kw: Record<string, unknown>, pos: number): string {
  const scope = child(defScope);
  const extra: unknown[] = [];
  args.forEach((a, i) => {
    if (i < params.length) define(scope, params[i]![0], a);
    else extra.push(a);
  });
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kw)) {
    if (k === 'caller' || params.some(([p]) => p === k)) define(scope, k, v);
    else kwargs[k] = v;
  }
  const saved = ev.vars;
  ev.vars = scope;
  try {
    for (const [p, d] of params.slice(args.length)) {
      if (Object.hasOwn(scope, p)) continue;
      define(scope, p, d ? ev.val(d) : new Undef(p, pos, true));
    }
  } finally {
    ev.vars = saved;
  }
  define(scope, 'varargs', tuple(extra)); // Python's *args is a tuple
  define(scope, 'kwargs', kwargs);
  return renderNodes(body, ev, scope, hooks);
}

function renderFor(n: Extract<Node, { t: 'for' }>, ev: Evaluator, scope: Scope, hooks: RenderHooks): string {
  return loopOver(n, ev.val(n.iter), n.iter.pos, 1, ev, scope, hooks);
}

/** One level of a loop (a recursive loop's `loop(items)` renders the next level at depth + 1). */
function loopOver(n: Extract<Node, { t: 'for' }>, v: unknown, iterPos: number, depth: number, ev: Evaluator, scope: Scope, hooks: RenderHooks): string {
  let items = iterItems(v);
  if (!items) return ev.fail(`'${typeName(v)}' object is not iterable`, iterPos);
  items = [...items];
  if (n.cond) {
    const cond = n.cond;
    items = items.filter((it) => {
      const s = child(scope);
      assign(ev, s, n.targets, it, n.pos);
      const saved = ev.vars;
      ev.vars = s;
      try {
        return truthy(ev.val(cond));
      } finally {
        ev.vars = saved;
      }
    });
  }
  if (!items.length) return n.els ? renderNodes(n.els, ev, scope, hooks) : '';
  let out = '';
  const len = items.length;
  let last: unknown = undefined;
  // `loop(xs)` in a recursive loop: the body again over xs, one level deeper (the same Callable for every item)
  const recurse = n.recursive ? new Callable('loop', (_e2, args, _kw, pos) => loopOver(n, args[0], pos, depth + 1, ev, scope, hooks)) : undefined;
  for (let i = 0; i < len; i++) {
    const s = child(scope);
    assign(ev, s, n.targets, items[i], n.pos);
    const idx = i;
    const loop: Record<string, unknown> = markFresh({
      index: i + 1,
      index0: i,
      revindex: len - i,
      revindex0: len - i - 1,
      first: i === 0,
      last: i === len - 1,
      length: len,
      depth,
      depth0: depth - 1,
      previtem: i > 0 ? items[i - 1] : new Undef('loop.previtem', n.pos, false),
      nextitem: i < len - 1 ? items[i + 1] : new Undef('loop.nextitem', n.pos, false),
      cycle: new Callable('loop.cycle', (e2, args, _kw, pos) => {
        if (!args.length) e2.fail('no items for cycling given', pos);
        return args[idx % args.length];
      }),
      changed: new Callable('loop.changed', (_e2, args) => {
        const val = markFresh([...args]);
        const changed = last === undefined || JSON.stringify(last) !== JSON.stringify(val);
        last = val;
        return changed;
      }),
    });
    if (recurse) markCallable(loop, recurse);
    define(s, 'loop', loop);
    out += renderNodes(n.body, ev, s, hooks);
  }
  return out;
}

export { isPlainObject };
