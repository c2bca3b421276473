// debug: print a message or a variable (control side, never changes anything).

import { ArgumentError } from '../errors.js';
import { defineModule, type ModuleContext, type Plan } from './types.js';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity: number;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

function run(ctx: ModuleContext, args: DebugArgs): Plan {
  let result: Record<string, unknown>;
  if (args.var !== undefined) {
    let value: unknown;
    try {
      value = ctx.evaluate(args.var);
    } catch {
      // Ansible prints this instead of failing, so a debug task never breaks a play.
      value = 'VARIABLE IS NOT DEFINED!';
    }
    result = { [args.var]: value };
  } else {
    result = { msg: args.msg ?? 'Hello world!' };
  }
  const text = args.var !== undefined ? `${args.var}: ${show(result[args.var])}` : show(result.msg);
  if (args.verbosity > 0) {
    // Shown only at -v level `verbosity` (the output layer decides; the value is still registered).
    ctx.log(args.verbosity, text);
    result.verbosity = args.verbosity;
  }
  // `var=` prints {"name": value} as Ansible does, not a msg
  // (a non-string msg stays the value it is: `msg: [a, b]` prints a list)
  const plain = args.verbosity === 0 && args.var === undefined && typeof result.msg === 'string';
  return { changed: false, msg: plain ? text : undefined, result };
}

export default defineModule<DebugArgs>({
  name: 'debug',
  runsOn: 'control',
  doc: {
    short: 'Print a message or the value of a variable/expression',
    description: 'msg is printed as given (after templating); var is evaluated as an expression with the host\'s variables.',
    check: 'full',
    diff: false,
    examples: '- debug: { msg: "etcd {{ etcd_version }} on {{ inventory_hostname }}" }\n- debug: { var: result.stdout_lines, verbosity: 1 }',
  },
  args: {
    msg: { type: 'raw', description: 'Message (any value; default "Hello world!").' },
    var: { type: 'str', description: 'Variable name or expression to show (not templated: no {{ }}).' },
    verbosity: { type: 'int', default: 0, description: 'Only shown at this -v level or higher.' },
  },
  validate(args) {
    if (args.msg !== undefined && args.var !== undefined) throw new ArgumentError('debug takes msg or var, not both');
  },
  async plan(ctx, args) {
    return run(ctx, args);
  },
  async apply(ctx, args) {
    const p = run(ctx, args);
    return { changed: false, msg: p.msg, result: p.result };
  },
});
