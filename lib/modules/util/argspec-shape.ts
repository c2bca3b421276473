// What an argument spec must look like before bosun runs it (a role's meta/argument_specs.yml, a
// validate_argument_spec task's argument_spec). Ansible takes a malformed spec silently (an unknown
// type fails every value, `required` with `default` fails every run, a typo'd key is ignored); bosun
// refuses it before anything runs, pointing at the line.
import { closest } from '../../errors.js';
import { isPlainObject } from '../../value-kind.js';
import { ARG_TYPES } from './argspec.js';

/** A problem with a spec: its message and where (the mapping holding it, and the key when there is one). */
export interface SpecProblem {
  msg: string;
  container: unknown;
  key?: string;
}

/** The keys Ansible's validator reads, and the documentation keys role specs carry. */
const OPTION_KEYS = [
  'type', 'elements', 'required', 'default', 'choices', 'options', 'aliases', 'no_log', 'apply_defaults',
  'mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by',
  'description', 'version_added', 'deprecated_aliases', 'removed_in_version', 'removed_at_date', 'removed_from_collection',
];

const listOfLists = (v: unknown): boolean => Array.isArray(v) && v.every((t) => Array.isArray(t) && t.every((x) => typeof x === 'string'));

/** The first problem of `spec` (a mapping of option name → option), `where` naming it in messages. */
export function specProblem(spec: unknown, where: string): SpecProblem | undefined {
  if (!isPlainObject(spec)) return { msg: `${where} must be a mapping of option names to their specs`, container: spec };
  for (const [name, o] of Object.entries(spec)) {
    const p = optionProblem(o, `option '${name}' of ${where}`, spec, name);
    if (p) return p;
  }
  return undefined;
}

function optionProblem(o: unknown, what: string, parent: Record<string, unknown>, name: string): SpecProblem | undefined {
  if (!isPlainObject(o)) return { msg: `${what} must be a mapping (type, required, default, choices, …)`, container: parent, key: name };
  const at = (key: string, msg: string): SpecProblem => ({ msg: `${what}: ${msg}`, container: o, key });
  for (const k of Object.keys(o)) {
    // documentation keys vary: only a near-miss of a key the validator reads is refused (it would be ignored)
    const near = OPTION_KEYS.includes(k) ? undefined : closest(k, OPTION_KEYS);
    if (near && near !== 'description') return at(k, `unknown key '${k}' (did you mean '${near}'?)`);
  }
  const typeOk = (t: unknown) => typeof t === 'string' && (ARG_TYPES as readonly string[]).includes(t);
  if (o.type !== undefined && !typeOk(o.type)) {
    const hint = o.type === 'bytes' || o.type === 'bits' ? ' (bosun does not convert human-readable sizes)' : '';
    return at('type', `unknown type ${JSON.stringify(o.type)}${hint}; valid: ${ARG_TYPES.join(', ')}`);
  }
  if (o.elements !== undefined) {
    if (!typeOk(o.elements)) return at('elements', `unknown element type ${JSON.stringify(o.elements)}; valid: ${ARG_TYPES.join(', ')}`);
    if (o.type !== 'list') return at('elements', 'elements needs type: list');
  }
  if (o.required !== undefined && typeof o.required !== 'boolean') return at('required', 'required must be true or false');
  if (o.required === true && o.default !== undefined && o.default !== null) return at('default', 'required and default are mutually exclusive (a required option never uses its default)');
  if (o.choices !== undefined && !Array.isArray(o.choices)) return at('choices', 'choices must be a list');
  if (o.aliases !== undefined && !(Array.isArray(o.aliases) && o.aliases.every((a) => typeof a === 'string'))) return at('aliases', 'aliases must be a list of names');
  for (const k of ['mutually_exclusive', 'required_together', 'required_one_of'] as const) {
    if (o[k] !== undefined && !listOfLists(o[k])) return at(k, `${k} must be a list of lists of option names`);
  }
  if (o.required_if !== undefined && !(Array.isArray(o.required_if) && o.required_if.every((r) => Array.isArray(r) && (r.length === 3 || r.length === 4) && typeof r[0] === 'string' && Array.isArray(r[2])))) {
    return at('required_if', 'required_if must be a list of [option, value, [options]] (and optionally true: any one of them)');
  }
  if (o.required_by !== undefined && !isPlainObject(o.required_by)) return at('required_by', 'required_by must be a mapping of option → option names');
  if (o.options !== undefined && o.options !== null) {
    if (o.type !== 'dict' && !(o.type === 'list' && o.elements === 'dict')) return at('options', 'options needs type: dict, or type: list with elements: dict (else they are never checked)');
    return specProblem(o.options, what);
  }
  return undefined;
}
