// assert: evaluate expressions with the host's variables; fail naming the first false one.

import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Outcome } from './types.js';

export interface AssertArgs {
  that: unknown;
  fail_msg?: string;
  success_msg?: string;
  quiet: boolean;
}

/** `that` is one expression or a list; unlike other list args, a string is NOT split on commas. */
function expressions(that: unknown): string[] {
  const list = Array.isArray(that) ? that : [that];
  return list.map((e) => String(e));
}

function check(ctx: ModuleContext, args: AssertArgs): Outcome {
  for (const expr of expressions(args.that)) {
    if (!ctx.evaluate(expr)) {
      const msg = args.fail_msg ?? `Assertion failed: ${expr}`;
      return { changed: false, failed: true, msg, result: { assertion: expr, evaluated_to: false, msg } };
    }
  }
  const msg = args.success_msg ?? 'All assertions passed';
  return { changed: false, msg: args.quiet ? undefined : msg, result: args.quiet ? {} : { msg } };
}

export default defineModule<AssertArgs>({
  name: 'assert',
  runsOn: 'control',
  doc: {
    short: 'Check that expressions are true; fail naming the first false one',
    description: 'Each entry of that is an expression (no {{ }}), evaluated with the host\'s variables. Fails in check mode too.',
    check: 'full',
    diff: false,
    examples: '- assert:\n    that:\n      - result.rc == 0\n      - "\'healthy\' in result.stdout"\n    fail_msg: etcd is not healthy',
  },
  args: {
    that: { type: 'raw', required: true, description: 'Expression or list of expressions that must all be true.' },
    fail_msg: { type: 'str', aliases: ['msg'], description: 'Message when an assertion fails (default: "Assertion failed: EXPR").' },
    success_msg: { type: 'str', description: 'Message when all pass.' },
    quiet: { type: 'bool', default: false, description: 'Do not print the success message.' },
  },
  validate(args) {
    const list = Array.isArray(args.that) ? args.that : [args.that];
    if (list.length === 0) throw new ArgumentError('assert: that must not be empty');
    for (const e of list) {
      if (typeof e !== 'string' && typeof e !== 'boolean') throw new ArgumentError('assert: each entry of that must be an expression string');
    }
  },
  async plan(ctx, args) {
    const o = check(ctx, args);
    // Fails at plan time so that check mode (which never calls apply) fails too.
    if (o.failed) throw new ModuleFailure(o.msg!, o.result);
    return { changed: false, msg: o.msg, result: o.result };
  },
  async apply(ctx, args) {
    return check(ctx, args);
  },
});
