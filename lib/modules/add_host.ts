// add_host: add a host (or more groups and variables to one) to the run's inventory, for the plays
// after it. Runs once per task (Ansible's BYPASS_HOST_LOOP; with a loop, once per item); the engine
// changes the inventory from the result's add_host, as Ansible's strategy does.

import { defineModule, type Plan } from './types.js';

export interface AddHostArgs {
  name: string;
  groups: string[];
  vars?: Record<string, unknown>;
}

function run(args: AddHostArgs): Plan {
  // `host:port` names the port, as Ansible's add_host parses it
  let name = args.name.trim();
  const vars: Record<string, unknown> = { ...(args.vars ?? {}) };
  const m = /^([^:[\]]+):(\d+)$/.exec(name);
  if (m) {
    name = m[1]!;
    vars.ansible_port ??= Number(m[2]);
  }
  return { changed: true, result: { add_host: { host_name: name, groups: args.groups, host_vars: vars } } };
}

export default defineModule<AddHostArgs>({
  name: 'add_host',
  runsOn: 'control',
  restArg: 'vars',
  bypassHostLoop: true,
  doc: {
    short: 'Add a host and its groups and variables to the inventory of this run',
    description:
      'The host is usable by the plays after this one (hosts: patterns, groups, hostvars). Every argument other ' +
      'than name and groups is a variable of the host (ansible_host, ansible_connection, …). Runs once, on the ' +
      'first host of the batch; with a loop, once per item. Runs in check mode too.',
    check: 'full',
    diff: false,
    examples: '- add_host: { name: "{{ new_ip }}", groups: [just_created], ansible_user: admin }',
  },
  args: {
    name: { type: 'str', required: true, aliases: ['host', 'hostname'], description: 'The host name (host:port sets ansible_port).' },
    groups: { type: 'list', elements: 'str', default: [], aliases: ['group', 'groupname'], description: 'Groups to add the host to (created if new).' },
    vars: { type: 'dict', description: 'Collected from the other arguments: the host variables (not written as `vars:`).' },
  },
  async plan(_ctx, args) {
    return run(args);
  },
  async apply(_ctx, args) {
    const p = run(args);
    return { changed: p.changed, result: p.result };
  },
});
