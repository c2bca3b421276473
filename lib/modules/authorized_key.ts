// authorized_key: add or remove ssh public keys in a user's authorized_keys, keeping the others
// (ansible.posix.authorized_key). One read-only request plans it (the user's passwd entry and the
// file); the write is one request: ~/.ssh made 0700 and owned by the user (manage_dir), the file
// written atomically, 0600, owned by the user.

import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest } from './types.js';
import { checkAccountName, parsePasswdLine, type PasswdEntry } from './util/accounts.js';
import { editKeys } from './util/authorized-keys.js';
import { writeScript } from './util/remote-file.js';

export interface AuthorizedKeyArgs {
  user: string;
  key: string;
  path?: string;
  manage_dir: boolean;
  state: 'present' | 'absent';
  key_options?: string;
  exclusive: boolean;
  comment?: string;
  follow: boolean;
  validate_certs: boolean;
}

interface KeyState {
  file: string;
  content: string;
  owner?: PasswdEntry;
}

/** One read: `pw=` the passwd line, `file=` the (followed) file name as hex, then `---` and the content. */
export function probeScript(a: AuthorizedKeyArgs): string {
  return [
    `pw=$(getent passwd -- ${shq(a.user)}); printf 'pw=%s\\n' "$pw"`,
    a.path !== undefined ? `f=${shq(a.path)}` : `h=$(printf '%s' "$pw" | cut -d: -f6); f="$h/.ssh/authorized_keys"; [ -n "$pw" ] || exit 0`,
    ...(a.follow ? [`if [ -L "$f" ]; then f=$(readlink -f -- "$f") || exit 1; fi`] : []),
    `printf 'file='; printf '%s' "$f" | od -An -v -tx1 | tr -d ' \\n'; echo`,
    `if [ -f "$f" ]; then echo ---; exec cat -- "$f"; fi`,
    '',
  ].join('\n');
}

function parseProbe(a: AuthorizedKeyArgs, out: Buffer): KeyState {
  const text = out.toString('utf8');
  const sep = text.indexOf('\n---\n');
  const head = sep >= 0 ? text.slice(0, sep) : text;
  const content = sep >= 0 ? text.slice(sep + 5) : '';
  let owner: PasswdEntry | undefined;
  let file = a.path ?? '';
  for (const line of head.split('\n')) {
    if (line.startsWith('pw=') && line.length > 3) owner = parsePasswdLine(line.slice(3));
    if (line.startsWith('file=')) file = Buffer.from(line.slice(5), 'hex').toString('utf8');
  }
  return { file, content, owner };
}

function result(a: AuthorizedKeyArgs, keyfile: string, changed: boolean): Record<string, unknown> {
  return {
    user: a.user,
    key: a.key,
    path: a.path ?? null,
    manage_dir: a.manage_dir,
    state: a.state,
    key_options: a.key_options ?? null,
    exclusive: a.exclusive,
    comment: a.comment ?? null,
    follow: a.follow,
    validate_certs: a.validate_certs,
    keyfile,
    changed,
  };
}

/** plan()'s one read-only request (also announced by reads()). */
function probeRequest(a: AuthorizedKeyArgs): ReadRequest {
  return { script: probeScript(a), opts: { label: 'authorized_key:probe', readOnly: true } };
}

async function plan(ctx: ModuleContext, a: AuthorizedKeyArgs): Promise<Plan<KeyState & { after: string }>> {
  const q = probeRequest(a);
  const r = await ctx.conn.exec(q.script, q.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(`cannot read the keys of ${a.user}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const st = parseProbe(a, r.raw);
  if (!st.owner) {
    // under --check an earlier task of the play may create the user: the whole file would be new
    if (!ctx.check) throw new ModuleFailure(`Failed to lookup user ${a.user}: 'getpwnam(): name not found: ${a.user}'`);
    st.file = a.path ?? `/home/${a.user}/.ssh/authorized_keys`;
  }
  let after: string | undefined;
  try {
    after = editKeys(st.content, { key: a.key, state: a.state, key_options: a.key_options, comment: a.comment, exclusive: a.exclusive });
  } catch (e) {
    throw new ModuleFailure(e instanceof Error ? e.message : String(e));
  }
  if (after === undefined) return { changed: false, msg: `keys of ${a.user} are as wanted`, result: result(a, st.file, false) };
  const note = st.owner ? '' : ` (user ${a.user} does not exist yet: an earlier task must create it)`;
  return {
    changed: true,
    msg: `${a.state === 'present' ? 'key(s) added to' : 'key(s) removed from'} ${st.file}${note}`,
    diff: [{ path: st.file, before: st.content, after }],
    result: result(a, st.file, true),
    state: { ...st, after },
  };
}

export default defineModule<AuthorizedKeyArgs, KeyState & { after: string }>({
  name: 'authorized_key',
  doc: {
    short: 'Add or remove SSH authorized keys for particular user accounts',
    description:
      "ansible.posix.authorized_key: `key` holds one or several public keys (one a line); state=present adds the missing ones " +
      'and keeps every other line, exclusive=true removes the keys not listed, state=absent removes the listed ones. A key already ' +
      'present with other options or comment is rewritten. The file is written the way Ansible writes it (same bytes), 0600 and ' +
      'owned by the user; with manage_dir, its directory is made 0700 and owned by the user. Keys from URLs are not fetched.',
    check: 'full',
    diff: true,
    examples: [
      '- authorized_key: { user: deploy, key: "{{ lookup(\'file\', \'files/deploy.pub\') }}" }',
      '- authorized_key: { user: root, key: "ssh-ed25519 AAAA… ops@bastion", key_options: \'from="10.0.0.0/8",no-pty\' }',
      '- authorized_key: { user: deploy, key: "{{ team_keys | join(\'\\n\') }}", exclusive: true }',
    ].join('\n'),
  },
  args: {
    user: { type: 'str', required: true, description: 'The user whose authorized_keys is edited (must exist).' },
    key: { type: 'str', required: true, description: 'The public key(s), one per line (lines starting with # are ignored).' },
    path: { type: 'path', description: 'Another file than ~USER/.ssh/authorized_keys.' },
    manage_dir: { type: 'bool', default: true, description: "Create the file's directory (0700) and make the user own it." },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the key(s) should be in the file.' },
    key_options: { type: 'str', description: 'Options prepended to each key, e.g. \'no-pty,from="10.0.0.0/8"\' (replace the key\'s own).' },
    exclusive: { type: 'bool', default: false, description: 'Remove every other key (and line) from the file.' },
    comment: { type: 'str', description: "Replaces the key's comment." },
    follow: { type: 'bool', default: false, description: 'If the file is a symlink, edit its target.' },
    validate_certs: { type: 'bool', default: true, description: 'Accepted for compatibility (keys from URLs are not supported).' },
  },
  validate(a) {
    checkAccountName('user', a.user);
    if (/^https?:/.test(a.key)) throw new ArgumentError('key from a URL is not supported: bosun fetches nothing from the network; put the key in the playbook or in a file read with lookup()');
    if (/\n/.test(a.path ?? '')) throw new ArgumentError('path cannot contain a newline');
  },
  reads: (a) => [probeRequest(a)],
  plan,
  async apply(ctx, a, p) {
    const st = p.state!;
    if (!st.owner) throw new ModuleFailure(`Failed to lookup user ${a.user}: 'getpwnam(): name not found: ${a.user}'`);
    const ids = `${st.owner.uid}:${st.owner.gid}`;
    const dir = posix.dirname(st.file);
    const pre = a.manage_dir
      ? [`if [ ! -d ${shq(dir)} ]; then mkdir -m 0700 -- ${shq(dir)} || exit 1; fi`, `chown -h -- ${ids} ${shq(dir)} && chmod 0700 -- ${shq(dir)} || exit 1`]
      : [`[ -d ${shq(dir)} ] || mkdir -p -- ${shq(dir)} || exit 1`];
    const script = pre.join('\n') + '\n' + writeScript(st.file, { mode: '0600', owner: String(st.owner.uid), group: String(st.owner.gid) });
    const r = await ctx.conn.exec(script, { stdin: Buffer.from(st.after), label: 'authorized_key:write' });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `writing ${st.file} failed (exit ${r.exitCode})`);
    return { changed: true, msg: p.msg, diff: p.diff, result: result(a, st.file, true) };
  },
});
