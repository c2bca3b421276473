// Facts as variables: `ansible_facts.x` and top-level `ansible_x`, as Ansible 2.14 injects them
// (INJECT_FACTS_AS_VARS, its default). Gathering and parsing live in lib/modules/util/facts/ (the
// setup module uses them too).
import { ansibleFacts, prefixedFacts } from '../modules/util/facts/gather.js';

export { ansibleFacts, gatherFacts, parseFacts, prefixedFacts, subsetGroups, UNKNOWN_FACTS } from '../modules/util/facts/gather.js';

/**
 * Facts a module (or set_fact with cacheable) returned without the `ansible_` prefix, per facts
 * object: Ansible injects those under their own name (getent_passwd, packages), not as ansible_NAME.
 */
const AS_RETURNED = new WeakMap<object, ReadonlySet<string>>();

/**
 * A result's `ansible_facts` merged into the host's facts (a new object: facts are never mutated):
 * `ansible_x` is the fact x (the variable ansible_x), an unprefixed name stays as it is.
 */
export function mergeFacts(old: Record<string, unknown> | undefined, returned: Record<string, unknown>): Record<string, unknown> {
  const plain = new Set(old ? AS_RETURNED.get(old) : undefined);
  const add: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(returned)) {
    const name = k.startsWith('ansible_') ? k.slice('ansible_'.length) : k;
    if (name === k) plain.add(k);
    else plain.delete(name);
    add[name] = v;
  }
  const f = { ...(old ?? {}), ...add };
  if (plain.size > 0) AS_RETURNED.set(f, plain);
  return f;
}

/**
 * Facts as Ansible exposes them: `ansible_facts.x` and top-level `ansible_x` (gather_subset,
 * module_setup and the names modules returned unprefixed: as they are).
 */
export function factVars(f: Record<string, unknown> | undefined): Record<string, unknown> {
  // ansible_facts is always defined: empty before gathering and after meta: clear_facts
  if (!f) return { ansible_facts: {} };
  const vars = prefixedFacts(f);
  for (const k of AS_RETURNED.get(f) ?? []) {
    delete vars[`ansible_${k}`];
    vars[k] = f[k];
  }
  return { ...vars, ansible_facts: ansibleFacts(f) };
}
