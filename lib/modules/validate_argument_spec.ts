// validate_argument_spec: Ansible's action of that name — the variables named in a spec (as the
// task sees them) and the provided arguments over them, validated as Ansible 2.14 validates a
// module's arguments. A role's meta/argument_specs.yml puts one such task first in the role
// (lib/loaders/role-argspec.ts).
import { ArgumentError } from '../errors.js';
import { keyLoc, locOf } from '../loaders/yaml.js';
import { defineModule, ModuleFailure, type ModuleContext } from './types.js';
import { validateArgumentSpec, YAML_STR, type ArgumentSpec } from './util/argspec.js';
import { specProblem } from './util/argspec-shape.js';

export interface ValidateArgs {
  argument_spec: ArgumentSpec;
  provided_arguments: Record<string, unknown>;
  validate_args_context: Record<string, unknown>;
}

/** The spec's names the task's variables define, with their values (rendered now, as Ansible's templar does). */
function fromVars(ctx: ModuleContext, spec: ArgumentSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(spec)) if (Object.hasOwn(ctx.vars, name)) out[name] = ctx.vars[name];
  return out;
}

/** A templated variable renders to Python's str; text written in YAML stays AnsibleUnicode (the class in Ansible's messages). */
function strClass(ctx: ModuleContext, provided: Record<string, unknown>): (name: string) => string {
  return (name) => (Object.hasOwn(provided, name) || !Object.getOwnPropertyDescriptor(ctx.vars, name)?.get ? YAML_STR : 'str');
}

function check(ctx: ModuleContext, a: ValidateArgs): Record<string, unknown> {
  const params = { ...fromVars(ctx, a.argument_spec), ...a.provided_arguments };
  const r = validateArgumentSpec(a.argument_spec, params, strClass(ctx, a.provided_arguments));
  // no_log options: their values are secrets in bosun's output (Ansible prints them in these messages)
  for (const v of r.noLogValues) ctx.secret(v);
  const context = a.validate_args_context;
  if (r.errors.length) {
    throw new ModuleFailure(`Validation of arguments failed:\n${r.errors.join('\n')}`, {
      argument_errors: r.errors,
      argument_spec_data: a.argument_spec,
      validate_args_context: context,
    });
  }
  return { msg: 'The arg spec validation passed', validate_args_context: context };
}

export default defineModule<ValidateArgs>({
  name: 'validate_argument_spec',
  runsOn: 'control',
  doc: {
    short: 'Validate variables and arguments against an argument spec (as a role\'s meta/argument_specs.yml)',
    description:
      "The variables named in argument_spec (as this task sees them: role defaults and vars, play, host and extra vars), with provided_arguments over them, are checked as Ansible 2.14 checks them: " +
      'type (str, int, bool, float, list, dict, path, raw, json; with Ansible\'s conversions), required, choices, elements, nested options of dicts and lists of dicts with their mutually_exclusive/required_* checks, and no name outside the spec among provided_arguments. ' +
      'A failure lists every error under "Validation of arguments failed:". A spec default is used for the check only: no variable is set (Ansible 2.14). ' +
      'A malformed spec (an unknown type, required with a default, choices not a list, a near-miss of a key) is refused before anything runs. Runs in check mode too.',
    check: 'full',
    diff: false,
    examples:
      '- validate_argument_spec:\n    argument_spec:\n      etcd_port: { type: int, required: true }\n      etcd_mode: { type: str, choices: [new, existing] }\n    provided_arguments:\n      etcd_mode: "{{ mode }}"',
  },
  args: {
    argument_spec: { type: 'dict', required: true, description: 'Option name → its spec (type, required, default, choices, elements, options, aliases, no_log, …), as the options of an entry point of meta/argument_specs.yml.' },
    provided_arguments: { type: 'dict', default: {}, description: 'Values to check, over the variables of the same names.' },
    validate_args_context: { type: 'dict', default: {}, description: 'What is validated, returned as is (a role\'s implicit task sets type, name, argument_spec_name, path).' },
  },
  validate(args) {
    const p = specProblem(args.argument_spec, 'argument_spec');
    if (p) throw new ArgumentError(`validate_argument_spec: ${p.msg}`, { loc: (p.key !== undefined ? keyLoc(p.container, p.key) : undefined) ?? locOf(p.container) });
  },
  async plan(ctx, args) {
    // fails while planning, so check mode fails too
    const result = check(ctx, args);
    return { changed: false, msg: result.msg as string, result };
  },
  async apply(ctx, args) {
    const result = check(ctx, args);
    return { changed: false, msg: result.msg as string, result };
  },
});
