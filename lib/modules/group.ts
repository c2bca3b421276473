// group: create, change the gid of, or remove a local group (groupadd/groupmod/groupdel), as
// Ansible 2.14's group module on Linux. Planning is one read-only request (accounts.ts).

import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type Plan } from './types.js';
import { accountsRequest, checkAccountName, findGroup, parseAccounts, probeAccounts, type AccountState } from './util/accounts.js';

export interface GroupArgs {
  name: string;
  state: 'present' | 'absent';
  gid?: number;
  system: boolean;
  non_unique: boolean;
}

interface GroupState {
  cmd?: string[];
}

/** The command (argv words, name last) that brings the group to the wanted state, or undefined. */
export function decideGroup(a: GroupArgs, st: AccountState): string[] | undefined {
  const g = st.groups.find((x) => x.name === a.name);
  if (a.state === 'absent') return g ? ['groupdel', '--', a.name] : undefined;
  const o = a.gid !== undefined ? ['-g', String(a.gid), ...(a.non_unique ? ['-o'] : [])] : [];
  if (!g) {
    if (a.gid !== undefined && !a.non_unique && findGroup(st.groups, String(a.gid))) {
      throw new ModuleFailure(`groupadd: GID '${a.gid}' already exists`, { name: a.name });
    }
    return ['groupadd', ...o, ...(a.system ? ['-r'] : []), '--', a.name];
  }
  if (a.gid !== undefined && g.gid !== a.gid) return ['groupmod', ...o, '--', a.name];
  return undefined;
}

function result(a: GroupArgs, st: AccountState): Record<string, unknown> {
  const g = st.groups.find((x) => x.name === a.name);
  return { name: a.name, state: a.state, ...(g ? { system: a.system, gid: g.gid } : {}) };
}

export default defineModule<GroupArgs, GroupState>({
  name: 'group',
  doc: {
    short: 'Add or remove groups',
    description:
      "Ansible's group module for Linux (groupadd, groupmod, groupdel). One read-only request plans the task (`getent group`). " +
      'An existing group with another gid gets the wanted gid (groupmod -g; files keep their old numeric group). --diff shows the entry before and after.',
    check: 'full',
    diff: true,
    examples: ['- group: { name: etcd, system: true }', '- group: { name: docker, gid: 999 }', '- group: { name: old, state: absent }'].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'Name of the group.' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the group should exist.' },
    gid: { type: 'int', description: 'The group ID.' },
    system: { type: 'bool', default: false, description: 'On creation: a system group (groupadd -r, gid from the system range).' },
    non_unique: { type: 'bool', default: false, description: 'With gid: allow a gid another group has (-o).' },
  },
  validate(a) {
    checkAccountName('group', a.name);
  },
  // the whole group database, whatever the group: getent group
  reads: () => [accountsRequest(undefined)],
  async plan(ctx, a): Promise<Plan<GroupState>> {
    const st = await probeAccounts(ctx, accountsRequest(undefined));
    const cmd = decideGroup(a, st);
    const g = st.groups.find((x) => x.name === a.name);
    if (!cmd) return { changed: false, msg: `group ${a.name} is ${a.state === 'absent' ? 'absent' : 'as wanted'}`, result: result(a, st), state: {} };
    const before = g ? `name: ${g.name}\ngid: ${g.gid}\n` : '';
    const after = a.state === 'absent' ? '' : `name: ${a.name}\ngid: ${a.gid ?? g?.gid ?? '(auto)'}\n`;
    const verb = { groupadd: 'create', groupmod: 'change', groupdel: 'remove' }[cmd[0] as 'groupadd' | 'groupmod' | 'groupdel'];
    return { changed: true, msg: `${verb} group ${a.name}`, diff: [{ path: `group ${a.name}`, before, after }], result: result(a, st), state: { cmd } };
  },
  async apply(ctx, a, plan) {
    const script = `${plan.state!.cmd!.map(shq).join(' ')} </dev/null || exit $?\necho @passwd; echo @group; getent group -- ${shq(a.name)}; echo @end\n`;
    const r = await ctx.conn.exec(script, { label: `group:${plan.state!.cmd![0]}` });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `exit ${r.exitCode}`, { name: a.name, rc: r.exitCode });
    const msg = plan.msg!.replace(/^(create|change|remove)/, (w) => ({ create: 'created', change: 'changed', remove: 'removed' })[w] ?? w);
    return { changed: true, msg, diff: plan.diff, result: result(a, parseAccounts(r.stdout)) };
  },
});
