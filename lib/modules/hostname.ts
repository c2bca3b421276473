// hostname: the permanent (/etc/hostname) and running (kernel) host name, as Ansible's hostname
// module with its file strategy (debian, alpine, generic) or systemd's hostnamectl. Planning is one
// read-only request (`hostname` and /etc/hostname).

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest } from './types.js';

export interface HostnameArgs {
  name: string;
  use?: 'systemd' | 'debian' | 'alpine' | 'generic';
}

interface HostnameState {
  strategy: 'systemd' | 'file';
  setCurrent: boolean;
  setPermanent: boolean;
}

/** plan()'s one read-only request (also announced by reads()). */
const READ: ReadRequest = {
  script: `echo "current=$(hostname)"; if [ -f /etc/hostname ]; then echo "permanent=$(head -n 1 /etc/hostname)"; fi\n`,
  opts: { label: 'hostname:read', readOnly: true },
};

/** Ansible picks the strategy from the distribution; bosun from the service manager (systemd running) or the file. */
function strategy(ctx: ModuleContext, a: HostnameArgs): 'systemd' | 'file' {
  if (a.use !== undefined) return a.use === 'systemd' ? 'systemd' : 'file';
  return ctx.facts.init === 'systemd' ? 'systemd' : 'file';
}

function facts(name: string): Record<string, unknown> {
  return { ansible_hostname: name.split('.')[0], ansible_nodename: name };
}

export default defineModule<HostnameArgs, HostnameState>({
  name: 'hostname',
  doc: {
    short: "Manage the system's hostname",
    description:
      "Ansible's hostname module: sets the running host name and the permanent one. With use=systemd (the default when systemd " +
      'is the init) through `hostnamectl set-hostname`; with debian/alpine/generic (the default otherwise) by writing /etc/hostname and ' +
      'running `hostname NAME`. Returns ansible_facts ansible_hostname and ansible_nodename. One read-only request plans it.',
    check: 'full',
    diff: true,
    examples: ['- hostname: { name: "{{ inventory_hostname }}" }', '- hostname: { name: web1.example.com, use: debian }'].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'The host name.' },
    use: { type: 'str', choices: ['systemd', 'debian', 'alpine', 'generic'], description: 'How to set it (default: systemd when systemd runs the host, else the file).' },
  },
  validate(a) {
    // RFC 1123 labels: what hostnamectl and the kernel accept, and no way to smuggle options
    if (a.name.length > 64 || !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(a.name)) {
      throw new ArgumentError(`name ${JSON.stringify(a.name)} is not a valid host name (letters, digits, '-' inside labels, '.' between; at most 64 characters)`);
    }
  },
  reads: () => [READ],
  async plan(ctx, a): Promise<Plan<HostnameState>> {
    const r = await ctx.conn.exec(READ.script, READ.opts);
    if (r.exitCode !== 0) throw new ModuleFailure(`cannot read the host name: ${r.stderr.trim()}`);
    const current = /^current=(.*)$/m.exec(r.stdout)?.[1] ?? '';
    const permanent = (/^permanent=(.*)$/m.exec(r.stdout)?.[1] ?? '').trim();
    const st: HostnameState = { strategy: strategy(ctx, a), setCurrent: current !== a.name, setPermanent: permanent !== a.name };
    const result = { name: a.name, ansible_facts: facts(a.name) };
    if (!st.setCurrent && !st.setPermanent) return { changed: false, msg: `host name is ${a.name}`, result, state: st };
    return {
      changed: true,
      msg: `set host name ${a.name} (was ${current}${permanent !== current ? `, ${permanent || 'none'} in /etc/hostname` : ''})`,
      diff: [{ path: 'hostname', before: `hostname = ${current}\n`, after: `hostname = ${a.name}\n` }],
      result,
      state: st,
    };
  },
  async apply(ctx, a, plan) {
    const st = plan.state!;
    const n = shq(a.name);
    const script =
      st.strategy === 'systemd'
        ? `hostnamectl set-hostname -- ${n} || exit $?\n`
        : [
            ...(st.setPermanent ? [`t=$(mktemp /etc/.hostname.XXXXXX) && printf '%s\\n' ${n} > "$t" && chmod 0644 "$t" && mv -f -- "$t" /etc/hostname || exit 1`] : []),
            ...(st.setCurrent ? [`hostname ${n} || exit $?`] : []),
          ].join('\n') + '\n';
    const r = await ctx.conn.exec(script, { label: 'hostname:set' });
    if (r.exitCode !== 0) throw new ModuleFailure(`setting the host name failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { rc: r.exitCode });
    return { changed: true, msg: plan.msg, diff: plan.diff, result: plan.result };
  },
});
