// Jinja templates as Ansible renders them: compile (cached by source and options), render to
// text (template files: trim_blocks, trailing newlines kept, `#jinja2:` header overrides) or to a
// native value (a task argument that is a single `{{ expr }}`), with errors at file:line:col.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TemplateError, type SourceLocation } from '../../errors.js';
import { ExprError } from './tokenizer.js';
import type { Expr } from './parser.js';
import { parseTemplate, type Node } from './template-parser.js';
import { Evaluator, type LookupEnv } from './evaluator.js';
import { renderNodes, type RenderHooks } from './render.js';
import { FILTERS } from './filters.js';
import { TESTS } from './tests.js';
import { GLOBALS, LOOKUPS } from './globals.js';
import { isNamespace, isNum, isPlainObject, isTuple, lookupVar, plainData, pyStr } from './values.js';
import { tokenize } from './tokenizer.js';
import { Parser } from './parser.js';

export { FILTERS, registerFilter } from './filters.js';
export { TESTS, registerTest } from './tests.js';
export { LOOKUPS } from './globals.js';

export interface JinjaOptions {
  /** template files: Ansible's template module defaults (trim_blocks on) and `#jinja2:` headers */
  file?: boolean;
  /**
   * Jinja's newline_sequence (the template module's): a file's newlines (\n, \r\n or \r) are read as
   * "\n" and its text written with this; values of variables keep theirs. Default "\n".
   */
  newline?: string;
  /** the text as Jinja printed it, without the source's trailing newlines put back */
  raw?: boolean;
}

export interface Compiled {
  src: string;
  nodes: Node[];
  /** the template is exactly one `{{ expr }}` (surrounding whitespace allowed) */
  single?: Expr;
}

const cache = new Map<string, Compiled>();
const CACHE_MAX = 5000;

/** `#jinja2: trim_blocks: False, lstrip_blocks: True` on the first line, as Ansible reads it. */
function header(src: string): { body: string; offset: number; trim: boolean; lstrip: boolean } {
  let trim = true;
  let lstrip = false;
  if (!src.startsWith('#jinja2:')) return { body: src, offset: 0, trim, lstrip };
  const eol = src.indexOf('\n');
  const line = src.slice('#jinja2:'.length, eol < 0 ? undefined : eol);
  for (const pair of line.split(',')) {
    const i = pair.indexOf(':');
    if (i < 0) throw new ExprError(`failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`, { offset: 0 });
    const key = pair.slice(0, i).trim();
    const val = pair.slice(i + 1).trim();
    const b = val === 'True' ? true : val === 'False' ? false : undefined;
    if (key === 'trim_blocks' && b !== undefined) trim = b;
    else if (key === 'lstrip_blocks' && b !== undefined) lstrip = b;
    else if (!['newline_sequence', 'keep_trailing_newline', 'variable_start_string', 'variable_end_string', 'block_start_string', 'block_end_string', 'comment_start_string', 'comment_end_string'].includes(key) || b !== undefined)
      throw new ExprError(`unsupported jinja2 override '${key}: ${val}'`, { offset: 0 });
  }
  const offset = eol < 0 ? src.length : eol + 1;
  return { body: src.slice(offset), offset, trim, lstrip };
}

/** Compiles (cached). trim_blocks is on (Ansible's environment); in strings (task arguments) `{{ }}` string literals keep backslashes. */
export function compile(src: string, opts: JinjaOptions = {}): Compiled {
  const nl = opts.newline ?? '\n';
  const key = (opts.file ? 'f' : 's') + (nl === '\n' ? '' : JSON.stringify(nl)) + src;
  let c = cache.get(key);
  if (c) return c;
  // Jinja's lexer reads every newline of a file as "\n" (its text gets newline_sequence below)
  if (opts.file) src = src.replace(/\r\n?/g, '\n');
  const h = header(src);
  // Parse the whole source (header blanked) so offsets stay those of the file.
  let text = h.offset ? ' '.repeat(h.offset - 1) + '\n' + h.body : src;
  // Jinja (keep_trailing_newline off) drops one final newline of the source
  if (text.endsWith('\n')) text = text.slice(0, text.endsWith('\r\n') ? -2 : -1);
  // Ansible's environment has trim_blocks on for task strings too, not only in template files
  const nodes = parseTemplate(text, { trimBlocks: h.trim, lstripBlocks: h.lstrip, rawStrings: !opts.file });
  c = { src: text, nodes };
  if (h.offset && nodes[0]?.t === 'text') {
    const first = nodes[0];
    const rest = first.v.slice(h.offset);
    if (rest) nodes[0] = { t: 'text', v: rest };
    else nodes.shift();
  }
  if (nl !== '\n') c.nodes = newlineNodes(nodes, nl);
  const real = nodes.filter((n) => !(n.t === 'text' && n.v.trim() === ''));
  if (real.length === 1 && real[0]!.t === 'out' && nodes.length === 1) c.single = real[0].e;
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, c);
  return c;
}

/** The template's own text with `nl` for its newlines (Jinja's newline_sequence), at every depth. */
function newlineNodes(nodes: Node[], nl: string): Node[] {
  const sub = (ns: Node[] | undefined): Node[] | undefined => ns && newlineNodes(ns, nl);
  return nodes.map((n): Node => {
    switch (n.t) {
      case 'text':
        return { t: 'text', v: n.v.replace(/\n/g, nl) };
      case 'if':
        return { ...n, branches: n.branches.map((b) => ({ ...b, body: newlineNodes(b.body, nl) })), els: sub(n.els) };
      case 'for':
        return { ...n, body: newlineNodes(n.body, nl), els: sub(n.els) };
      case 'setblock':
      case 'macro':
      case 'callblock':
      case 'filterblock':
      case 'with':
        return { ...n, body: newlineNodes(n.body, nl) };
      default:
        return n;
    }
  });
}

/** Line and column (1-based) of an offset. */
function lineCol(src: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = src.indexOf('\n'); i >= 0 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** An ExprError (offset in the template) → TemplateError at file:line:col. */
export function locate(e: unknown, src: string, file: string, baseLine: number): unknown {
  // the engine running out of stack/memory (a template nested thousands deep) fails the template, not the process
  if (e instanceof RangeError) return new TemplateError(`cannot render: ${e.message}`, { loc: { file, line: baseLine + 1 }, cause: e });
  if (!(e instanceof ExprError) || e.offset === undefined) return e;
  const { line, col } = lineCol(src, e.offset);
  const msg = e.message.replace(/^cannot (evaluate|parse) "(?:[^"\\]|\\.)*": /, '');
  const loc: SourceLocation = { file, line: baseLine + line, col };
  return new TemplateError(msg, { loc, hint: e.hint, cause: e });
}

export interface RenderEnv {
  file: string;
  /** line of the text's first line minus one (a YAML string's position) */
  baseLine?: number;
  lookups?: LookupEnv;
}

function hooks(env: RenderEnv, depth: number): RenderHooks {
  return {
    include(name, scope, ev, pos, ignoreMissing) {
      if (depth > 20) return ev.fail('includes nested more than 20 deep (a loop?)', pos);
      const base = env.file ? dirname(resolve(env.file)) : process.cwd();
      const candidates = isAbsolute(name) ? [name] : [join(base, name), join(dirname(base), 'templates', name), join(base, 'templates', name)];
      const path = candidates.find((p) => existsSync(p));
      if (!path) {
        if (ignoreMissing) return '';
        return ev.fail(`template '${name}' not found (searched: ${candidates.join(', ')})`, pos);
      }
      const text = readFileSync(path, 'utf8');
      const c = compile(text, { file: true });
      const inner = new Evaluator(c.src, scope, { lookups: { ...env.lookups, file: path } });
      try {
        // Jinja drops the included template's single trailing newline (keep_trailing_newline off)
        return renderNodes(c.nodes, inner, scope, hooks({ ...env, file: path, baseLine: 0 }, depth + 1));
      } catch (e) {
        throw locate(e, c.src, path, 0);
      }
    },
  };
}

function newlinesAtEnd(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\n'; i--) n++;
  return n;
}

/** Renders to text. As Ansible, trailing newlines of the source are kept (Jinja itself drops one). */
export function renderText(src: string, vars: Record<string, unknown>, env: RenderEnv, opts: JinjaOptions = {}): string {
  let c: Compiled;
  try {
    c = compile(src, opts);
  } catch (e) {
    throw locate(e, src, env.file, env.baseLine ?? 0);
  }
  const ev = new Evaluator(c.src, vars, { lookups: { renderFile: (p, v) => renderFile(p, v, env, opts.newline), ...env.lookups, file: env.lookups?.file ?? env.file } });
  let out: string;
  try {
    out = renderNodes(c.nodes, ev, Object.create(vars) as Record<string, unknown>, hooks(env, 0));
  } catch (e) {
    throw locate(e, c.src, env.file, env.baseLine ?? 0);
  }
  return opts.raw ? out : withNewlines(out, src, opts.newline);
}

/** Jinja removed one trailing newline; Ansible puts back as many as the source had ("\n"s counted, newline_sequence added). */
function withNewlines(out: string, src: string, newline = '\n'): string {
  const want = newlinesAtEnd(src);
  const have = newlinesAtEnd(out);
  return want > have ? out + newline.repeat(want - have) : out;
}

function renderFile(path: string, vars: Record<string, unknown>, env: RenderEnv, newline: string | undefined): string {
  return renderText(readFileSync(path, 'utf8'), vars, { ...env, file: path, baseLine: 0 }, { file: true, newline });
}

/**
 * Filters whose text result Ansible 2.14 never reads back as a literal (its STRING_TYPE_FILTERS,
 * wrapped in NativeJinjaText): `"{{ x | to_json }}"` stays the JSON text. Short names only, as there.
 */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

/** Templar's SINGLE_VAR: `{{ name }}` alone (Python's `$` also matches before one final newline). */
const SINGLE_VAR = /^\{\{\s*(\w*)\s*\}\}\n?$/;

/**
 * A task argument string, as Ansible 2.14's Templar.template renders it (jinja2_native off,
 * convert_data on):
 * - `{{ name }}` whose variable holds a number or a boolean is that value; holding None, None;
 * - anything else renders to text (None → '', a list/dict as Python prints it), and text that
 *   starts with `[` or `{`, or is `True`/`False`, is read back as a Python literal when it is one
 *   (ansible_eval_concat): `"{{ [1, 2] }}"` and `"{{ list_var }}"` are lists, `"{{ 1 + 1 }}"` is
 *   the string "2", `"{{ x | to_json }}"` stays text (STRING_TYPE_FILTERS).
 */
export function renderValue(src: string, vars: Record<string, unknown>, env: RenderEnv): unknown {
  const sv = SINGLE_VAR.exec(src);
  if (sv) {
    const r = lookupVar(vars, sv[1]!);
    if (r.found && (typeof r.value === 'number' || typeof r.value === 'boolean' || r.value === null)) return r.value;
  }
  let c: Compiled;
  try {
    c = compile(src);
  } catch (e) {
    throw locate(e, src, env.file, env.baseLine ?? 0);
  }
  if (!c.single) {
    const back = literalEval(renderText(src, vars, env, { raw: true }));
    return typeof back === 'string' ? withNewlines(back, src) : plainData(back);
  }
  const ev = new Evaluator(c.src, vars, { lookups: { renderFile: (p, v) => renderFile(p, v, env, undefined), ...env.lookups, file: env.lookups?.file ?? env.file } });
  let v: unknown;
  try {
    v = ev.val(c.single);
  } catch (e) {
    throw locate(e, c.src, env.file, env.baseLine ?? 0);
  }
  const text = (s: string): string => withNewlines(s, src);
  if (typeof v === 'string' && isNativeText(c.single)) return text(v);
  if (v === null || v === undefined) return text(''); // Ansible's finalize: None renders as ''
  if (typeof v === 'boolean') return v;
  // A list or dict printed and read back is itself, unless it holds what Python cannot read back.
  // (A float in it loses its ".0": the engine's data has one number type.)
  if ((Array.isArray(v) && !isTuple(v)) || isPlainObject(v)) return readsBack(v) ? plainData(v) : text(pyStr(v));
  const out = pyStr(v);
  const back = literalEval(out);
  return typeof back === 'string' ? text(back) : plainData(back);
}

function isNativeText(e: Expr): boolean {
  return e.t === 'filter' && STRING_TYPE_FILTERS.has(e.name);
}

/** Data whose Python repr literal_eval reads back: str, finite numbers, bools, None, lists, tuples, dicts of those. */
function readsBack(v: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (isNum(v)) return Number.isFinite(Number(v));
  if (Array.isArray(v)) return v.every((x) => readsBack(x, depth + 1));
  if (isPlainObject(v) && !isNamespace(v)) return Object.values(v).every((x) => readsBack(x, depth + 1));
  return false;
}

/**
 * Ansible 2.14's convert_data (ansible_eval_concat): text starting with `[` or `{`, or `True`/`False`,
 * is read with Python's ast.literal_eval (JSON's true/false/null allowed) when it is a literal.
 */
export function literalEval(s: string): unknown {
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (!(s.startsWith('[') || s.startsWith('{'))) return s;
  try {
    const toks = tokenize(s);
    // literal_eval knows no names but True/False/None (and JSON's true/false/null): `none` is not one
    if (toks.some((t) => t.k === 'name' && !LITERAL_NAMES.has(t.v))) return s;
    const e = new Parser(s, toks).parseAll();
    if (!isLiteral(e)) return s;
    return new Evaluator(s, {}).val(e);
  } catch (e) {
    if (e instanceof ExprError || e instanceof RangeError) return s;
    throw e;
  }
}

const LITERAL_NAMES = new Set(['True', 'False', 'None', 'true', 'false', 'null']);

function isLiteral(e: Expr): boolean {
  switch (e.t) {
    case 'lit':
      return true;
    case 'list':
      return e.items.every(isLiteral);
    case 'dict':
      return e.entries.every(([k, v]) => isLiteral(k) && isLiteral(v));
    case 'unary':
      return e.op !== 'not' && e.arg.t === 'lit' && isNum(e.arg.v);
    default:
      return false;
  }
}

// --- static checks ----------------------------------------------------------------------------

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
      return { message: e.message.replace(/^cannot (evaluate|parse) "(?:[^"\\]|\\.)*": /, ''), line, col };
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

import { closest } from '../../errors.js';
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
  const local = new Set<string>(['loop', 'caller', 'varargs', 'kwargs']);
  const collectLocals = (nodes: Node[]): void => {
    for (const n of nodes) {
      if (n.t === 'for') n.targets.forEach((x) => local.add(x));
      if (n.t === 'set') n.targets.forEach((x) => local.add(x));
      if (n.t === 'setblock' || n.t === 'macro') local.add(n.name);
      if (n.t === 'macro' || n.t === 'callblock') n.params.forEach(([p]) => local.add(p));
      if (n.t === 'with') n.assigns.forEach(([k]) => local.add(k));
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

function children(n: Node): Node[][] {
  switch (n.t) {
    case 'if':
      return [...n.branches.map((b) => b.body), ...(n.els ? [n.els] : [])];
    case 'for':
      return [n.body, ...(n.els ? [n.els] : [])];
    case 'setblock':
    case 'macro':
    case 'callblock':
    case 'filterblock':
    case 'with':
      return [n.body];
    default:
      return [];
  }
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
