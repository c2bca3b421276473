// Ansible/Jinja conditionals (`when`, `changed_when`, `failed_when`, `assert.that`, `until`) and
// standalone expressions. The language itself lives in lib/engine/jinja/: tokenizer.ts,
// parser.ts, evaluator.ts, filters.ts (the filter table), tests.ts, methods.ts, globals.ts.
import { Evaluator } from './jinja/evaluator.js';
import { parseExpr } from './jinja/parser.js';
import { Undef, isPlainObject, plainData, pyStr, truthy } from './jinja/values.js';
import { ExprError } from './jinja/tokenizer.js';
import { TemplateError } from '../errors.js';
import { renderValue, templateNames } from './jinja/index.js';
import { isDataName } from './vars.js';

export { ExprError };
export { parseExpr, type Expr } from './jinja/parser.js';
export { truthy, pyStr, pyEquals } from './jinja/values.js';
export { MAX_STRING, MAX_ITEMS } from './jinja/evaluator.js';

/**
 * What the engine itself runs out of (a string over V8's limit, a parser nested thousands deep)
 * fails the expression, not the process: RangeError is the only such error JavaScript throws.
 */
export function guarded<T>(src: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) throw new ExprError(`cannot evaluate "${src.length > 200 ? src.slice(0, 200) + '…' : src}": ${e.message}`, { expr: src, cause: e });
    throw e;
  }
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
  return plainData(v);
}

/** What `when:` accepts: an expression string, a YAML boolean/number, null (no condition) or a list (all must hold). */
export type Conditional = string | boolean | number | null | undefined | readonly Conditional[];

/** Ansible's test for "this string is a template" (Templar.is_possibly_template). */
const TEMPLATED = /\{\{|\{%|\{#/;

/** The conditionals Ansible warns about ("should not include jinja2 templating delimiters"). */
export function templatedConditions(conds: readonly Conditional[] | undefined): string[] {
  return (conds ?? []).flatMap((c) => (typeof c === 'string' && TEMPLATED.test(c) ? [c] : Array.isArray(c) ? templatedConditions(c) : []));
}

/**
 * Evaluates a conditional as Ansible 2.14's Conditional does, to a boolean with Python truthiness:
 * - `''`, null: no condition (true); a YAML boolean or number: itself;
 * - an expression (`flag`, `x == 1`): evaluated; a variable holding the string "false" is a
 *   non-empty string, so true (only `| bool` converts it);
 * - a string with `{{ }}`/`{% %}` is rendered first (a single `{{ x }}` to its value, with
 *   Ansible's literal reading of "True", "[…]", "{…}"); a non-string result is the answer, `''` is
 *   false, any other text is evaluated as an expression: `"{{ s }}"` with s = "false" is false.
 *   Text built from host data (a result, a fact, a loop item, a lookup) is never evaluated: an
 *   error, as Ansible's "Conditional is marked as unsafe".
 * Any undefined variable used is an ExprError, except where the conditional itself asks whether
 * that variable is defined (`x == 1 or x is not defined`), as Ansible decides those.
 */
export function evalBool(src: Conditional, vars: Record<string, unknown>): boolean {
  if (src === null || src === undefined || src === '') return true;
  if (typeof src === 'boolean') return src;
  if (typeof src === 'number') return src !== 0;
  if (Array.isArray(src)) return src.every((c) => evalBool(c as Conditional, vars));
  let text = src as string;
  if (TEMPLATED.test(text)) {
    // Templar's shortcut: `{{ name }}` holding a number or a boolean is that value, never text
    const single = /^\{\{\s*(\w*)\s*\}\}$/.exec(text);
    if (single && Object.hasOwn(vars, single[1]!)) {
      const value = vars[single[1]!];
      if (typeof value === 'number' || typeof value === 'boolean' || value === null) return truthy(value);
    }
    const v = renderCondition(text, vars);
    // Ansible's first pass yields text, read back as a Python literal only when it is a bool, a
    // list or a dict; a number or None stays text (and is evaluated below, or refused as data).
    if (typeof v === 'boolean' || Array.isArray(v) || isPlainObject(v)) return truthy(v);
    if (v === '') return false;
    const data = readsData(text, vars);
    if (data) {
      throw new ExprError(`cannot evaluate "${text.trim()}": the conditional is marked as unsafe (its text comes from ${data}), and cannot be evaluated`, {
        expr: text,
        hint: `write the condition without {{ }}: \`when: ${text.replace(/\{\{\s*|\s*\}\}/g, '')}\``,
      });
    }
    text = pyStr(v);
  }
  const ast = guarded(text, () => parseExpr(text));
  const ev = new Evaluator(text, vars);
  try {
    return truthy(guarded(text, () => ev.use(ev.ev(ast))));
  } catch (e) {
    const decided = e instanceof ExprError && e.undefinedVar !== undefined ? definedGuard(text, e.undefinedVar) : undefined;
    if (decided === undefined) throw e;
    return decided;
  }
}

/** The first pass over a templated conditional; errors name the conditional (the caller adds the task's place). */
function renderCondition(text: string, vars: Record<string, unknown>): unknown {
  try {
    return renderValue(text, vars, { file: '' });
  } catch (e) {
    if (!(e instanceof TemplateError) || e.loc?.file !== '') throw e;
    throw new ExprError(`cannot evaluate "${text.trim()}": ${e.message}`, { expr: text, col: e.loc.col, hint: e.hint, cause: e });
  }
}

/** Ansible's `x is defined` / `x is not defined` / `x is undefined` phrases in a conditional. */
const DEFINED_PHRASE = /(hostvars\[.+\]|\w+)\s+(not\s+is|is|is\s+not)\s+(defined|undefined)/g;

/**
 * When evaluating hit the undefined variable `name`, Ansible (Conditional._check_conditional) looks
 * for a phrase testing that same variable and answers with it: true when the phrase says the
 * variable should not exist, false when it says it should. Undefined: no such phrase.
 */
function definedGuard(text: string, name: string): boolean | undefined {
  for (const [, v, logic, state] of text.matchAll(DEFINED_PHRASE)) {
    if (v!.replace(/'/g, '"') !== name.replace(/'/g, '"')) continue;
    const shouldExist = logic!.includes('not') !== (state === 'defined');
    return !shouldExist;
  }
  return undefined;
}

/** What makes a rendered conditional data (host data or a lookup's result): undefined when nothing does. */
function readsData(text: string, vars: Record<string, unknown>): string | undefined {
  for (const { name } of templateNames(text)) {
    if (name === 'lookup' || name === 'query' || name === 'q') return 'a lookup';
    if (name === 'hostvars' || name === 'vars') return `'${name}'`;
    if (Object.hasOwn(vars, name) && isDataName(vars, name)) return `the variable '${name}', which holds host data or a result`;
  }
  return undefined;
}
