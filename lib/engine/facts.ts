// Facts as variables: `ansible_facts.x` and top-level `ansible_x`, as Ansible 2.14 injects them
// (INJECT_FACTS_AS_VARS, its default). Gathering and parsing live in lib/modules/util/facts/ (the
// setup module uses them too).
import { ansibleFacts, prefixedFacts } from '../modules/util/facts/gather.js';

export { ansibleFacts, gatherFacts, parseFacts, prefixedFacts, subsetGroups, UNKNOWN_FACTS } from '../modules/util/facts/gather.js';

/** Facts as Ansible exposes them: `ansible_facts.x` and top-level `ansible_x` (gather_subset, module_setup unprefixed). */
export function factVars(f: Record<string, unknown> | undefined): Record<string, unknown> {
  // ansible_facts is always defined: empty before gathering and after meta: clear_facts
  if (!f) return { ansible_facts: {} };
  return { ...prefixedFacts(f), ansible_facts: ansibleFacts(f) };
}
