// known_hosts: one host's key in a known_hosts file, as Ansible 2.14's module. The host's own
// ssh-keygen finds the host's entries (`ssh-keygen -F`: patterns, hashed names, [host]:port), in one
// read-only request that also returns the file; bosun then decides as Ansible does — the same key
// is left alone, another key of the same type is replaced (its line removed, the new one appended),
// no key of that type adds one — and writes the file atomically. Removing a host without a key is
// `ssh-keygen -R`, as in Ansible. hash_host stores the name as |1|salt|HMAC-SHA1, the salt random.

import { createHmac, randomBytes } from 'node:crypto';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest } from './types.js';
import { isText } from './util/diff.js';
import { MAX_EDIT, splitLines } from './util/edit-file.js';
import { parseFramed, writeFile } from './util/remote-file.js';

export interface KnownHostsArgs {
  name: string;
  key?: string;
  path: string;
  hash_host: boolean;
  state: 'present' | 'absent';
}

/** The path as the host's shell must see it: `~` and `~user` expanded on the host, as Python's expanduser there. */
function pathWord(path: string): string {
  const m = /^~([^/]*)(\/.*)?$/.exec(path);
  if (!m) return shq(path);
  const rest = m[2] ? shq(m[2]) : '';
  if (m[1] === '') return `"\${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"${rest}`;
  return `"$(getent passwd -- ${shq(m[1]!)} | cut -d: -f6)"${rest}`;
}

/** The key line Ansible compares and writes: the host field hashed when asked, a newline at the end. */
export function keyLine(a: KnownHostsArgs, salt?: Buffer): string | undefined {
  if (!a.key) return undefined;
  let key = a.key;
  if (a.hash_host) key = hashHostKey(a.name.toLowerCase(), key, salt ?? randomBytes(20));
  return key.endsWith('\n') ? key : key + '\n';
}

/** Ansible's hash_host_key: the host field (after an @marker) becomes |1|base64(salt)|base64(HMAC-SHA1(salt, host)). */
export function hashHostKey(host: string, key: string, salt: Buffer): string {
  const parts = key.trim().split(/\s+/);
  const i = parts[0]!.startsWith('@') ? 1 : 0;
  parts[i] = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`;
  return parts.join(' ');
}

/** plan()'s one read-only request (also announced by reads()): the file's name, ssh-keygen's answers, the file. */
function readRequest(a: KnownHostsArgs): ReadRequest {
  const host = shq(a.name.toLowerCase());
  const L = [
    `f=${pathWord(a.path)}`,
    `printf 'path='; printf %s "$f" | od -An -v -tx1 | tr -d ' \\n'; echo`,
    `command -v ssh-keygen >/dev/null 2>&1 || { echo 'Failed to find required executable "ssh-keygen"' >&2; exit 127; }`,
  ];
  // does the key's own host field name the host? (a key hashed here always does)
  if (a.key && !a.hash_host) L.push(`s=$(printf '%s\\n' ${shq(a.key)} | ssh-keygen -F ${host} -f /dev/stdin 2>/dev/null); [ -n "$s" ] && echo sane=1`);
  L.push(
    `[ -e "$f" ] || exit 0`,
    'echo exists=1',
    // -F takes the host as its option's argument: a name starting with "-" stays a name
    `o=$(ssh-keygen -F ${host} -f "$f" 2>/dev/null); rc=$?`,
    `if [ $rc -gt 1 ]; then printf 'error=%s\\n' "$(ssh-keygen -F ${host} -f "$f" 2>&1 >/dev/null | tr '\\n' ' ')"; exit 0; fi`,
    `printf 'found='; printf %s "$o" | od -An -v -tx1 | tr -d ' \\n'; echo`,
    `if [ ! -f "$f" ]; then echo notfile=1; exit 0; fi`,
    `if [ "$(stat -L -c %s -- "$f")" -gt ${MAX_EDIT} ]; then echo toolarge=1; exit 0; fi`,
    'echo ---',
    'exec cat -- "$f"',
  );
  return { script: L.join('\n') + '\n', opts: { label: 'known_hosts:read', readOnly: true } };
}

interface Probe {
  path: string;
  exists: boolean;
  sane: boolean;
  /** ssh-keygen -F's output. */
  found: string;
  content: string;
}

function parseRead(raw: Buffer, path: string): Probe {
  const { fields: f, content } = parseFramed(raw);
  const body = content ?? Buffer.alloc(0);
  const file = f.has('path') ? Buffer.from(f.get('path')!, 'hex').toString('utf8') : path;
  if (f.has('error')) throw new ModuleFailure(`ssh-keygen failed on ${file}: ${f.get('error')!.trim()}`);
  if (f.has('notfile')) throw new ModuleFailure(`Failed to read ${file}: not a regular file`);
  if (f.has('toolarge')) throw new ModuleFailure(`${file} is larger than ${MAX_EDIT / 1024 / 1024} MiB: not edited`);
  if (!isText(body)) throw new ModuleFailure(`${file} is not UTF-8 text: not edited`);
  return { path: file, exists: f.get('exists') === '1', sane: f.get('sane') === '1', found: Buffer.from(f.get('found') ?? '', 'hex').toString('utf8'), content: body.toString('utf8') };
}

interface Norm {
  options?: string;
  host: string;
  type: string;
  key: string;
}

/** Ansible's normalize_known_hosts_key: marker, host, type and key; the comment dropped. */
function normalize(line: string): Norm {
  const k = line.trim().split(/\s+/);
  if (k[0]!.startsWith('@')) return { options: k[0], host: k[1] ?? '', type: k[2] ?? '', key: k[3] ?? '' };
  return { host: k[0] ?? '', type: k[1] ?? '', key: k[2] ?? '' };
}

const same = (a: Norm, b: Norm): boolean => a.options === b.options && a.host === b.host && a.type === b.type && a.key === b.key;

/** Ansible's search_for_host_key over ssh-keygen -F's output: [found, replace_or_add, found_line]. */
export function searchHostKey(exists: boolean, found: string, key: string | undefined): [boolean, boolean, number | undefined] {
  if (!exists || found === '') return [false, false, undefined];
  if (!key) return [true, false, undefined];
  const want = normalize(key);
  let line: number | undefined;
  for (const l of found.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('#')) {
      const m = /found: line (\d+)/.exec(l);
      if (m) line = Number(m[1]);
      continue;
    }
    const got = normalize(l);
    // a hashed name is not rehashed when the key is already there
    if (want.host.startsWith('|1|') && got.host.startsWith('|1|')) want.host = got.host;
    if (same(want, got)) return [true, false, line];
    if (want.type === got.type) return [true, true, line];
  }
  return [true, true, undefined];
}

/** The lines `ssh-keygen -R` deletes: every match without a @cert-authority/@revoked marker. */
function removedLines(found: string): Set<number> {
  const out = new Set<number>();
  for (const m of found.matchAll(/^# Host .* found: line (\d+) ?(\S*)$/gm)) if (!m[2]) out.add(Number(m[1]));
  return out;
}

interface KnownState {
  path: string;
  /** New content; undefined: `ssh-keygen -R`. */
  data?: string;
}

function result(a: KnownHostsArgs, path: string, changed: boolean): Record<string, unknown> {
  return { name: a.name, key: a.key ?? null, path, hash_host: a.hash_host, state: a.state, changed };
}

async function plan(ctx: ModuleContext, a: KnownHostsArgs): Promise<Plan<KnownState>> {
  const host = a.name.toLowerCase();
  const key = keyLine(a);
  const q = readRequest(a);
  const r = await ctx.conn.exec(q.script, q.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `cannot read the known hosts (exit ${r.exitCode})`);
  const p = parseRead(r.raw, a.path);
  if (key && !a.hash_host && !p.sane) throw new ModuleFailure('Host parameter does not match hashed host field in supplied key');
  const [found, replace, line] = searchHostKey(p.exists, p.found, key);
  const unchanged = { changed: false, msg: '', result: result(a, p.path, false) };
  if (a.state === 'absent' && line === undefined && key) return unchanged;
  const lines = splitLines(p.content);
  let after: string | undefined;
  if (found && !key && a.state === 'absent') {
    // ssh-keygen -R: the matching lines go, every other line is written back with its newline
    const gone = removedLines(p.found);
    // only @cert-authority/@revoked lines match: ssh-keygen -R keeps them (Ansible still says changed)
    if (gone.size === 0) return unchanged;
    after = lines.filter((_, i) => !gone.has(i + 1)).map((l) => (l.endsWith('\n') ? l : l + '\n')).join('');
  } else if (replace || found !== (a.state === 'present')) {
    const kept = lines.filter((_, i) => !(line === i + 1 && (replace || a.state === 'absent')));
    // (Ansible appends to a last line without newline, joining the two: bosun ends that line first)
    if (kept.length && !kept.at(-1)!.endsWith('\n')) kept[kept.length - 1] += '\n';
    if (a.state === 'present') kept.push(key!);
    after = kept.join('');
  }
  if (after === undefined) return unchanged;
  const what = a.state === 'absent' ? `${host} removed from` : replace && line !== undefined ? `key of ${host} replaced in` : `${host} added to`;
  return {
    changed: true,
    msg: `${what} ${p.path}`,
    diff: [{ path: p.path, before: p.content, after, ...(p.exists ? {} : { attrs: { state: { before: 'absent', after: 'file' } } }) }],
    result: result(a, p.path, true),
    state: { path: p.path, data: found && !key && a.state === 'absent' ? undefined : after },
  };
}

export default defineModule<KnownHostsArgs, KnownState>({
  name: 'known_hosts',
  doc: {
    short: 'Add or remove a host from the known_hosts file',
    description:
      'Ansible 2.14\'s known_hosts: key is one known_hosts line ("HOST TYPE KEY", or "[HOST]:PORT TYPE KEY" for another port, or with a ' +
      '@cert-authority marker) whose host field must match name. The host\'s ssh-keygen -F finds name\'s entries (plain, patterns or hashed): ' +
      'the same key is left alone; another key of the same type is replaced (its line removed, the new line appended); otherwise the ' +
      'line is appended. state=absent with key removes that type\'s entry; without key, every entry of the host (ssh-keygen -R, which ' +
      'keeps the old file as PATH.old). hash_host writes the name hashed (|1|salt|hash): an entry already hashed is not rewritten. ' +
      'The file is written atomically, keeping its mode and owner (a new one gets the umask\'s mode); its directory must exist. ' +
      'One read-only request plans it.',
    check: 'full',
    diff: true,
    examples: [
      '- known_hosts: { name: git.example.com, key: "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…" }',
      '- known_hosts: { name: "[git.example.com]:2222", key: "[git.example.com]:2222 ssh-ed25519 AAAA…", hash_host: true, path: /etc/ssh/ssh_known_hosts }',
      '- known_hosts: { name: old.example.com, state: absent }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, aliases: ['host'], description: 'The host (lower-cased), or [host]:port. One name, not a list.' },
    key: { type: 'str', description: 'The known_hosts line (with the host in it); required with state=present.' },
    path: { type: 'path', default: '~/.ssh/known_hosts', description: 'The file (~ is the connecting or become user\'s home on the host).' },
    hash_host: { type: 'bool', default: false, description: 'Write the host name hashed.' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the key (or, without key, the host) should be in the file.' },
  },
  validate(a) {
    if (!a.key && a.state !== 'absent') throw new ArgumentError('No key specified when adding a host');
    if (a.key && /\S+(\s+)?,(\s+)?/.test(a.name.toLowerCase())) {
      throw new ArgumentError('Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.');
    }
    if (a.key !== undefined && /\n./.test(a.key.trimEnd())) throw new ArgumentError('key must be one line');
    if (/\n/.test(a.path)) throw new ArgumentError('path cannot contain a newline');
  },
  reads: (a) => [readRequest(a)],
  plan,
  async apply(ctx, a, p) {
    const st = p.state!;
    if (st.data === undefined) {
      const r = await ctx.conn.exec(`exec ssh-keygen -R ${shq(a.name.toLowerCase())} -f ${shq(st.path)}\n`, { label: 'known_hosts:remove' });
      if (r.exitCode !== 0) throw new ModuleFailure(`ssh-keygen -R failed (rc=${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
    } else {
      // Ansible's atomic_move: an existing file keeps its mode and owner, a new one gets the umask's mode
      await writeFile(ctx, st.path, Buffer.from(st.data, 'utf8'));
    }
    return { changed: true, msg: p.msg, diff: p.diff, result: p.result };
  },
});
