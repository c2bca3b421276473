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
  // Ansible's debug action: below its verbosity the task is skipped (and counted so in the recap)
  const level = typeof ctx.vars.ansible_verbosity === 'number' ? ctx.vars.ansible_verbosity : 0;
  if (args.verbosity > level) return { changed: false, result: { skipped: true, skipped_reason: 'Verbosity threshold not met.' } };
  let result: Record<string, unknown>;
  if (args.var !== undefined) {
    let value: unknown;
    try {
      value = ctx.evaluate(args.var);
    } catch {
      // Ansible prints this instead of failing, so a debug task never breaks a play.
      value = 'VARIABLE IS NOT DEFINED!';
    }
    // Ansible templates `var` as "{{ var }}": a bare name keeps its value, anything else (a path, a
    // filter) comes back as text, read again only when it looks like a list, a dict or a boolean —
    // so `var: r.rc` prints "0" where `var: rc` prints 0.
    if (!/^\s*\w+\s*$/.test(args.var) && (typeof value === 'number' || value === null)) value = value === null ? '' : String(value);
    result = { [args.var]: value };
  } else {
    result = { msg: args.msg ?? 'Hello world!' };
  }
  // `var=` prints {"name": value} as Ansible does, not a msg
  // (a non-string msg stays the value it is: `msg: [a, b]` prints a list)
  const plain = args.var === undefined && typeof result.msg === 'string';
  return { changed: false, msg: plain ? show(result.msg) : undefined, result };
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
    verbosity: { type: 'int', default: 0, description: 'Only run (and shown) at this -v level or higher; skipped below it, as in Ansible.' },
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
