// A role's argument specs (meta/argument_specs.yml, or `argument_specs:` in meta/main.yml) and the
// task Ansible 2.11+ puts first in the role's entry point to validate them (Ansible's
// Role._prepend_validation_task): `validate_argument_spec` with the entry point's options, the
// role's parameters, named "Validating arguments against arg spec '<entry point>'", tagged always.
// The spec file is checked when the role loads: a malformed spec stops the run before anything runs.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ParseError, type SourceLocation } from '../errors.js';
import { specProblem } from '../modules/util/argspec-shape.js';
import { keyLoc, loadYamlFile, locOf } from './yaml.js';
import { isObj, type Obj } from './values.js';

/** A role's entry points (main, or a tasks_from name) → their specs, and the file they were read from. */
export interface RoleArgSpecs {
  file: string;
  entries: Record<string, Obj>;
}

/**
 * The keywords of a role entry (Ansible's RoleInclude attributes): everything else in a `roles:`
 * entry or a dependency is a role parameter, and the validation task checks those too.
 */
const ROLE_KEYWORDS = new Set([
  'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'check_mode', 'collections', 'connection',
  'debugger', 'delegate_facts', 'delegate_to', 'diff', 'environment', 'ignore_errors', 'ignore_unreachable', 'module_defaults', 'name',
  'no_log', 'port', 'remote_user', 'role', 'run_once', 'tags', 'throttle', 'timeout', 'vars', 'when',
]);

const where = (container: unknown, key: string | undefined, file: string): SourceLocation =>
  (key !== undefined ? keyLoc(container, key) : undefined) ?? locOf(container) ?? { file };

/**
 * The role's argument specs: meta/argument_specs.{yml,yaml,json} when there is one (it wins, as in
 * Ansible, even over meta/main.yml's), else meta/main.yml's `argument_specs:`; undefined when none.
 */
export function loadRoleArgSpecs(rolePath: string, meta: { value: unknown; file: string } | undefined): RoleArgSpecs | undefined {
  for (const ext of ['.yml', '.yaml', '.json']) {
    const file = join(rolePath, 'meta', `argument_specs${ext}`);
    if (!existsSync(file) || !statSync(file).isFile()) continue;
    const doc = loadYamlFile(file, 'role argument specs').value;
    if (!isObj(doc) || doc.argument_specs === undefined) {
      throw new ParseError(`${file} must be a mapping with argument_specs: (entry point → its options); Ansible would validate nothing`, { loc: where(doc, undefined, file) });
    }
    return checked(doc, file);
  }
  if (meta && isObj(meta.value) && meta.value.argument_specs !== undefined && meta.value.argument_specs !== null) return checked(meta.value, meta.file);
  return undefined;
}

function checked(doc: Obj, file: string): RoleArgSpecs {
  const specs = doc.argument_specs;
  if (specs === null) return { file, entries: {} };
  if (!isObj(specs)) throw new ParseError('argument_specs must be a mapping of entry points (main, or a tasks_from name) to their specs', { loc: where(doc, 'argument_specs', file) });
  for (const [entry, spec] of Object.entries(specs)) {
    if (!isObj(spec)) throw new ParseError(`argument_specs: entry point '${entry}' must be a mapping (short_description, options, …)`, { loc: where(specs, entry, file) });
    if (spec.short_description !== undefined && typeof spec.short_description !== 'string') {
      throw new ParseError(`argument_specs: short_description of entry point '${entry}' must be text`, { loc: where(spec, 'short_description', file) });
    }
    if (spec.options === undefined || spec.options === null) continue;
    const p = specProblem(spec.options, `entry point '${entry}'`);
    if (p) throw new ParseError(`argument_specs: ${p.msg}`, { loc: where(p.container, p.key, file) });
  }
  return { file, entries: specs as Record<string, Obj> };
}

/**
 * The task that validates the role's arguments at the start of `entryPoint`, or undefined when the
 * entry point has no spec. `params`: the role's parameters (a `roles:` entry's or a dependency's
 * keys other than keywords; none for import_role/include_role), checked over the variables.
 */
export function validationTask(specs: RoleArgSpecs, entryPoint: string, role: { name: string; path: string }, params: Obj): { task: Obj; loc: SourceLocation } | undefined {
  const spec = specs.entries[entryPoint];
  if (!spec) return undefined;
  let name = `Validating arguments against arg spec '${entryPoint}'`;
  if (typeof spec.short_description === 'string') name += ` - ${spec.short_description}`;
  const provided: Obj = {};
  for (const [k, v] of Object.entries(params)) if (!ROLE_KEYWORDS.has(k)) provided[k] = v;
  const task: Obj = {
    name,
    validate_argument_spec: {
      argument_spec: spec.options ?? {},
      provided_arguments: provided,
      validate_args_context: { type: 'role', name: role.name, argument_spec_name: entryPoint, path: role.path },
    },
    tags: ['always'],
  };
  return { task, loc: where(specs.entries, entryPoint, specs.file) };
}
