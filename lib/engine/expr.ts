// Ansible/Jinja conditionals (`when`, `changed_when`, `failed_when`, `assert.that`, `until`) and
// standalone expressions. The language itself lives in lib/engine/jinja/: tokenizer.ts,
// parser.ts, evaluator.ts, filters.ts (the filter table), tests.ts, methods.ts, globals.ts.
import { Evaluator } from './jinja/evaluator.js';
import { parseExpr } from './jinja/parser.js';
import { Undef, truthy } from './jinja/values.js';
import { ExprError } from './jinja/tokenizer.js';

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
