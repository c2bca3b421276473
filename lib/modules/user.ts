// user: create, change or remove a local account with useradd/usermod/userdel, as Ansible 2.14's
// user module on Linux. Planning is one read-only request (accounts.ts); the password hash is
// compared by digest and set with `chpasswd -e` on stdin, so it never reaches an argv, a trace or
// a result ('NOT_LOGGING_PASSWORD', as Ansible).

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Outcome, type Plan, type ReadRequest } from './types.js';
import { accountsRequest, checkAccountName, parseAccounts, probeAccounts, type AccountState } from './util/accounts.js';
import { changes, decideUser, predicted, recordText, shadowLines, sshKeyFile, type UserArgs, type UserChange } from './util/user-plan.js';

interface UserState {
  change: UserChange;
}

function keyPath(a: UserArgs): string {
  const f = sshKeyFile(a);
  return f.startsWith('/') ? shq(f) : `"$h"/${shq(f)}`;
}

/** The whole change as one script; it ends by printing the account as the probe does. */
export function applyScript(a: UserArgs, c: UserChange): string {
  const L = [`u=${shq(a.name)}; export u`];
  const opts = c.opts.map(shq).join(' ');
  if (c.op === 'add') L.push(`useradd ${opts} -- "$u" </dev/null || exit $?`);
  if (c.op === 'mod' && c.opts.length > 0) L.push(`usermod ${opts} -- "$u" </dev/null || exit $?`);
  if (c.op === 'del') L.push(`userdel ${opts} -- "$u" </dev/null || exit $?`);
  if (c.password) L.push(`chpasswd -e || exit $?`); // stdin: NAME:HASH ('!HASH' with password_lock)
  if (c.chage.length > 0) L.push(`chage ${c.chage.map(shq).join(' ')} -- "$u" </dev/null || exit $?`);
  L.push(`ids=$(getent passwd -- "$u" | cut -d: -f3,4)`, `h=$(getent passwd -- "$u" | cut -d: -f6)`);
  if (c.mkhome !== undefined) {
    const sk = shq(a.skeleton ?? '/etc/skel');
    L.push(
      `h=${shq(c.mkhome)}`,
      `if [ -d ${sk} ]; then mkdir -p -- "$(dirname -- "$h")" && cp -RP -- ${sk} "$h"; else mkdir -p -- "$h"; fi || exit 1`,
      // Ansible's create_homedir: the mode follows login.defs' UMASK
      `um=$(awk '$1 == "UMASK" { print $2 }' /etc/login.defs 2>/dev/null); chmod "$(printf '%o' $((0777 & ~0\${um:-022})))" -- "$h" && chown -R -- "$ids" "$h" || exit 1`,
    );
  }
  if (c.sshKey) {
    const comment = a.ssh_key_comment !== undefined ? shq(a.ssh_key_comment) : `"ansible-generated on $(hostname)"`;
    const bits = a.ssh_key_bits > 0 ? ` -b ${a.ssh_key_bits}` : '';
    L.push(
      `k=${keyPath(a)}; d=$(dirname -- "$k")`,
      `if [ ! -d "$d" ]; then mkdir -m 0700 -- "$d" && chown -- "$ids" "$d" || exit 1; fi`,
      `ssh-keygen -q -t ${shq(a.ssh_key_type)}${bits} -C ${comment} -N '' -f "$k" </dev/null >/dev/null || exit $?`,
      `chown -- "$ids" "$k" "$k.pub" || exit 1`,
    );
  }
  return L.join('\n') + '\n';
}

function result(a: UserArgs, st: AccountState, extra: Record<string, unknown>): Record<string, unknown> {
  const r: Record<string, unknown> = { name: a.name, state: a.state, ...extra };
  if (a.state === 'present' && a.password !== undefined) r.password = 'NOT_LOGGING_PASSWORD';
  const u = st.user;
  if (a.state === 'present' && u) {
    Object.assign(r, { uid: u.uid, group: u.gid, comment: u.comment, home: u.home, shell: u.shell });
    if (a.groups !== undefined) r.groups = a.groups.join(',');
    if (a.generate_ssh_key === true) {
      Object.assign(r, { ssh_key_file: sshKeyFile(a).startsWith('/') ? sshKeyFile(a) : `${u.home}/${sshKeyFile(a)}`, ssh_fingerprint: st.fingerprint ?? '', ssh_public_key: st.publicKey ?? '' });
    }
  }
  return r;
}

function extras(a: UserArgs, c: UserChange): Record<string, unknown> {
  if (c.op === 'del') return { force: a.force, remove: a.remove };
  if (c.op === 'add') return { system: a.system, create_home: a.create_home };
  if (c.op === 'mod') return { append: a.append, move_home: a.move_home };
  return {};
}

/** planUser's one read-only request (also announced by reads()). */
function probeRequest(a: UserArgs): ReadRequest {
  return accountsRequest(a.name, a.generate_ssh_key ? sshKeyFile(a) : undefined);
}

async function planUser(ctx: ModuleContext, a: UserArgs): Promise<Plan<UserState>> {
  const st = await probeAccounts(ctx, probeRequest(a));
  const missing: string[] = [];
  const c = decideUser(a, st, ctx.check ? missing : undefined);
  const changed = changes(c);
  const note = missing.length > 0 ? ` (group ${[...new Set(missing)].join(', ')} does not exist yet: an earlier task must create it)` : '';
  const currentGroups = st.groups.filter((g) => g.members.includes(a.name)).map((g) => g.name);
  if (!changed) {
    const msg = a.state === 'absent' ? `user ${a.name} is absent` : `user ${a.name} is as wanted`;
    return { changed: false, msg, result: result(a, st, c.op === 'mod' ? extras(a, c) : {}), state: { change: c } };
  }
  const before = recordText(st.user, a.groups !== undefined ? currentGroups : undefined, a.password !== undefined && st.passwordDigest !== undefined ? '(set)' : undefined, shadowLines(a, st, false));
  const after = c.op === 'del' ? '' : predicted(a, st, c).text;
  const msg = `${c.op === 'add' ? 'create' : c.op === 'del' ? 'remove' : 'change'} user ${a.name}${c.op === 'mod' ? `: ${c.what.join(', ')}` : ''}${note}`;
  return { changed: true, msg, diff: [{ path: `user ${a.name}`, before, after }], result: result(a, st, extras(a, c)), state: { change: c } };
}

export default defineModule<UserArgs, UserState>({
  name: 'user',
  doc: {
    short: 'Manage user accounts',
    description:
      "Ansible's user module for Linux (useradd, usermod, userdel of shadow-utils). One read-only request plans the task: " +
      'the passwd entry, every group, the shadow expiry and a digest of the password hash (the hash never leaves the host). ' +
      'password is a crypt(3) hash (e.g. from `mkpasswd -m sha-512`); it is set with `chpasswd -e` on stdin, never on a command line, ' +
      "and shown as NOT_LOGGING_PASSWORD. --diff shows the user's record before and after (password as (set)/(changed)). " +
      'groups with append=false makes the supplementary groups exactly the list; with append=true, adds the missing ones.',
    check: 'full',
    diff: true,
    examples: [
      '- user: { name: etcd, system: true, shell: /usr/sbin/nologin, home: /var/lib/etcd, create_home: false }',
      '- user: { name: alice, groups: [sudo, adm], append: true, password: "{{ alice_hash }}", update_password: on_create }',
      '- user: { name: olduser, state: absent, remove: true }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, aliases: ['user'], description: 'Name of the user.' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the account should exist.' },
    uid: { type: 'int', description: 'The user ID.' },
    non_unique: { type: 'bool', default: false, description: 'With uid: allow a uid that another user has (-o).' },
    group: { type: 'str', description: 'Primary group (name or gid); must exist. Default on creation: a group named like the user.' },
    groups: { type: 'list', elements: 'str', description: 'Supplementary groups (list or comma-separated); [] or "" removes all (unless append).' },
    append: { type: 'bool', default: false, description: 'Add the user to groups, keeping the other memberships.' },
    comment: { type: 'str', description: 'The GECOS field (full name).' },
    home: { type: 'path', description: 'Home directory.' },
    shell: { type: 'str', description: 'Login shell.' },
    password: { type: 'str', secret: true, description: 'Password hash (crypt format), set with chpasswd -e on stdin; never shown.' },
    update_password: { type: 'str', default: 'always', choices: ['always', 'on_create'], description: 'always: set the hash when it differs; on_create: only for new users.' },
    create_home: { type: 'bool', default: true, aliases: ['createhome'], description: "Create the home directory (useradd -m); also creates an existing user's missing home." },
    move_home: { type: 'bool', default: false, description: 'When home changes, move the contents (usermod -m).' },
    skeleton: { type: 'path', description: 'Skeleton directory copied into a new home (default /etc/skel).' },
    system: { type: 'bool', default: false, description: 'On creation: a system account (useradd -r). Ignored for existing users.' },
    expires: { type: 'raw', description: 'Expiry, in seconds since the epoch (UTC day); negative removes the expiry.' },
    password_lock: { type: 'bool', description: "Lock the password (usermod -L: a '!' before the hash) or, false, unlock it (usermod -U). With a new password, the hash is set locked." },
    password_expire_min: { type: 'int', description: 'Minimum number of days between password changes (chage -m).' },
    password_expire_max: { type: 'int', description: 'Maximum number of days a password is valid (chage -M).' },
    remove: { type: 'bool', default: false, description: 'state=absent: also remove the home directory and mail spool (userdel -r).' },
    force: { type: 'bool', default: false, description: 'state=absent: remove even if logged in (userdel -f).' },
    generate_ssh_key: { type: 'bool', description: 'Generate an ssh key pair for the user when ssh_key_file does not exist (an existing key is kept).' },
    ssh_key_bits: { type: 'int', default: 0, description: 'Key size (ssh-keygen -b); 0: ssh-keygen\'s default.' },
    ssh_key_type: { type: 'str', default: 'rsa', description: 'Key type (ssh-keygen -t).' },
    ssh_key_file: { type: 'path', description: 'Key file, relative to the home unless absolute. Default .ssh/id_TYPE.' },
    ssh_key_comment: { type: 'str', description: 'Key comment. Default "ansible-generated on HOSTNAME".' },
    ssh_key_passphrase: { type: 'str', secret: true, description: 'Not supported: ssh-keygen takes a passphrase only on its command line, and bosun never puts a secret there.' },
  },
  validate(a) {
    checkAccountName('user', a.name);
    if (a.ssh_key_passphrase !== undefined) {
      throw new ArgumentError('ssh_key_passphrase is not supported: ssh-keygen takes it only on its command line (-N), where any user of the host could read it; generate the key without one or with a task of your own');
    }
    if (a.expires !== undefined) {
      const n = typeof a.expires === 'string' ? Number(a.expires) : a.expires;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new ArgumentError(`expires must be a number of seconds since the epoch; got ${JSON.stringify(a.expires)}`);
    }
    if (a.password !== undefined && /[:\n]/.test(a.password)) throw new ArgumentError('password must be a crypt hash: it cannot contain ":" or a newline');
    if (/[:\n]/.test(a.comment ?? '') || /[:\n]/.test(a.home ?? '') || /[:\n]/.test(a.shell ?? '')) {
      throw new ArgumentError('comment, home and shell cannot contain ":" or a newline (fields of /etc/passwd)');
    }
  },
  reads: (a) => [probeRequest(a)],
  plan: (ctx, a) => planUser(ctx, a),
  async apply(ctx, a, plan): Promise<Outcome> {
    const c = plan.state!.change;
    const script = applyScript(a, c) + 'echo @passwd; getent passwd -- "$u"; echo @group; getent group; echo @home\n' +
      (a.generate_ssh_key === true && a.state === 'present' ? `k=${keyPath(a)}; if [ -f "$k.pub" ]; then printf 'pub='; head -n 1 "$k.pub"; printf 'fp='; ssh-keygen -l -f "$k.pub"; fi\n` : '') +
      'echo @end\n';
    const stdin = c.password ? `${a.name}:${a.password_lock === true ? '!' : ''}${a.password}\n` : undefined;
    const r = await ctx.conn.exec(script, { label: `user:${c.op}`, stdin, secrets: a.password !== undefined ? [a.password] : undefined });
    if (r.exitCode !== 0) {
      throw new ModuleFailure(r.stderr.trim() || `user ${a.name}: exit ${r.exitCode}`, { name: a.name, rc: r.exitCode });
    }
    const st = parseAccounts(r.stdout);
    return { changed: true, msg: plan.msg?.replace(/^(create|remove|change)/, (w) => ({ create: 'created', remove: 'removed', change: 'changed' })[w] ?? w), diff: plan.diff, result: result(a, st, extras(a, c)) };
  },
});
