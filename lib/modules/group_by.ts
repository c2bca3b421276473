// group_by: put the host in a group named from its variables (and the group under parents), for the
// plays after it. The engine changes the inventory from the result's add_group/parent_groups, as
// Ansible's strategy does with the action's result; nothing on the host is touched.

import { ArgumentError } from '../errors.js';
import { defineModule, type Plan } from './types.js';

export interface GroupByArgs {
  key: string;
  parents: string[];
}

function run(args: GroupByArgs): Plan {
  const key = args.key.trim();
  if (!/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(key)) {
    throw new ArgumentError(`group_by: key '${key}' is not a valid group name (letters, digits, '.', '-', '_')`);
  }
  // Ansible reports changed for every host it groups (check mode included: the inventory is the control node's)
  return { changed: true, result: { add_group: key, parent_groups: args.parents.length ? args.parents : ['all'] } };
}

export default defineModule<GroupByArgs>({
  name: 'group_by',
  runsOn: 'control',
  doc: {
    short: 'Create groups from variables (for the following plays)',
    description:
      'Adds the host to the group named by key (created if new), itself a child of parents (default all). ' +
      'Later plays can target the group; groups and group_names see it at once. Runs in check mode too.',
    check: 'full',
    diff: false,
    examples: '- group_by: { key: "os_{{ ansible_facts.distribution }}", parents: [linux] }',
  },
  args: {
    key: { type: 'str', required: true, description: 'The group name (usually templated per host).' },
    parents: { type: 'list', elements: 'str', default: [], description: 'Parent groups of the new group (default: all).' },
  },
  async plan(_ctx, args) {
    return run(args);
  },
  async apply(_ctx, args) {
    const p = run(args);
    return { changed: p.changed, result: p.result };
  },
});
