// Jinja templates as Ansible renders them: compile (cached by source and options), render to
// text (template files: trim_blocks, trailing newlines kept, `#jinja2:` header overrides) or to a
// native value (a task argument that is a single `{{ expr }}`), with errors at file:line:col.
import { readFileSync } from 'node:fs';
import { ExprError } from './tokenizer.js';
import type { Expr } from './parser.js';
import { Evaluator } from './evaluator.js';
import { compile, locate, type Compiled, type JinjaOptions } from './compile.js';
import { SearchPath, renderUnit, type RenderEnv } from './loader.js';
import { isNamespace, isNum, isPlainObject, isTuple, lookupVar, plainData, pyStr } from './values.js';
import { tokenize } from './tokenizer.js';
import { Parser } from './parser.js';

export { FILTERS, registerFilter } from './filters.js';
export { TESTS, registerTest } from './tests.js';
export { LOOKUPS } from './globals.js';
export { compile, locate, type Compiled, type JinjaOptions } from './compile.js';
export { checkTemplate, templateNames, templateRoots, walkTemplate, type CheckIssue } from './check.js';
export type { RenderEnv } from './loader.js';

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
  // renderUnit puts errors at file:line:col (of the template they are in)
  const out = renderUnit({ c, env, ev, depth: 0, search: new SearchPath(vars, env.file) }, Object.create(vars) as Record<string, unknown>);
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

