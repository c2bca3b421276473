// apt_key: a key in APT's trusted keyrings, as ansible.builtin.apt_key in Ansible 2.14 (deprecated
// there and here, but in very many roles): keys are listed with `apt-key adv --list-public-keys`,
// added with `apt-key add -` (the key on stdin) and removed with `apt-key del SHORTID`, then listed
// again to prove it. The key id of data or of a file is computed from the key itself
// (util/openpgp.ts) rather than by gpg with a home directory on the host. URLs and key servers are
// refused: bosun reaches nothing outside the hosts (download the key with get_url, then use file).
// Planning is one read-only request.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan, type ReadRequest } from './types.js';
import { pgpKeys } from './util/openpgp.js';

export interface AptKeyArgs {
  id?: string;
  url?: string;
  data?: string;
  file?: string;
  keyring?: string;
  validate_certs: boolean;
  keyserver?: string;
  state: 'present' | 'absent';
}

interface AptKeyState {
  shortId: string;
  fingerprint: string;
  shortFormat: boolean;
}

/** Ansible's parse_key_id: [short id (8), fingerprint as listed (16), key id]; throws on a bad id. */
export function parseKeyId(raw: string): [string, string, string] {
  let k = raw.trim().toUpperCase();
  if (!/^(0X)?[0-9A-F]+$/.test(k)) throw new Error('Invalid key_id');
  if (k.startsWith('0X')) k = k.slice(2);
  if (k.length !== 8 && k.length !== 16 && k.length <= 16) throw new Error('key_id must be 8, 16, or 16+ hexadecimal characters in length');
  return [k.slice(-8), k.length > 16 ? k.slice(-16) : k, k];
}

/** Ansible's parse_output_for_keys: the ids of `pub`/`sub` lines that are not expired. */
export function parseKeys(out: string, short: boolean): string[] {
  const found: string[] = [];
  for (const line of out.split('\n')) {
    if (!(line.startsWith('pub') || line.startsWith('sub')) || line.includes('expired')) continue;
    const tok = line.split(/\s+/).filter(Boolean);
    const code = tok[1]?.split('/');
    if (code && code.length === 2) found.push(code[1]!);
    else {
      const c = line.split(':');
      if (c.length > 4) found.push(c[4]!);
    }
  }
  return short ? found.map((k) => k.slice(-8)) : found;
}

/** apt-key's warning on every call, dropped from error messages. */
const withoutWarning = (stderr: string): string => stderr.replace(/^Warning: apt-key is deprecated.*\n?/gm, '').trim();

const aptKey = (keyring: string | undefined): string => `LC_ALL=C apt-key${keyring !== undefined ? ` --keyring ${shq(keyring)}` : ''}`;

/** Lists the keyring's keys after @@keys (a keyring file that does not exist holds none: apt-key would create it). */
function listLines(keyring: string | undefined): string[] {
  const l = [];
  if (keyring !== undefined) l.push(`if [ ! -e ${shq(keyring)} ]; then echo @@keys; echo @@none; exit 0; fi`);
  l.push('echo @@keys', `${aptKey(keyring)} adv --list-public-keys --keyid-format=long 2>/dev/null || { echo "Unable to list public keys" >&2; exit 3; }`);
  return l;
}

/** plan()'s one read-only request (also announced by reads()): the key file (hex) when the id comes from it, and the keys. */
function readRequest(a: AptKeyArgs): ReadRequest {
  const lines = [
    'for b in apt-key gpg; do command -v "$b" >/dev/null 2>&1 || { echo "Failed to find required executable $b in paths: $PATH" >&2; exit 127; }; done',
  ];
  if (a.id === undefined && a.file !== undefined) {
    lines.push(`if [ -r ${shq(a.file)} ] && [ -f ${shq(a.file)} ]; then printf 'file=%s\\n' "$(od -An -v -tx1 -- ${shq(a.file)} | tr -d ' \\n')"; else echo file=missing; fi`);
  }
  lines.push(...listLines(a.keyring), '');
  return { script: lines.join('\n'), opts: { label: 'apt_key:read', readOnly: true } };
}

/** The first key id of key material (what Ansible takes from `gpg --with-colons`). */
function idOf(data: Buffer, what: string): string {
  let keys;
  try {
    keys = pgpKeys(data);
  } catch (e) {
    throw new ModuleFailure(`Unable to extract key from '${what}': ${(e as Error).message}`);
  }
  if (keys.length === 0) throw new ModuleFailure(`Unable to extract key from '${what}': no public key in it`);
  return keys[0]!.keyId;
}

async function plan(ctx: ModuleContext, a: AptKeyArgs): Promise<Plan<AptKeyState>> {
  const q = readRequest(a);
  const r = await ctx.conn.exec(q.script, q.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(withoutWarning(r.stderr) || `apt-key failed (exit ${r.exitCode})`, { rc: r.exitCode });
  const [head, listing] = r.stdout.split('@@keys\n') as [string, string];
  let id = a.id;
  if (id === undefined && a.file !== undefined) {
    const hex = /^file=(.*)$/m.exec(head)?.[1];
    if (hex === undefined || hex === 'missing') throw new ModuleFailure(`Unable to extract key from '${a.file}': not a readable file`);
    id = idOf(Buffer.from(hex, 'hex'), a.file);
  } else if (id === undefined && a.data !== undefined) id = idOf(Buffer.from(a.data, 'utf8'), 'inline data');
  let parsed: [string, string, string];
  try {
    parsed = parseKeyId(id ?? '');
  } catch {
    throw new ModuleFailure('Invalid key_id', { id: id ?? null });
  }
  const [shortId, fingerprint, keyId] = parsed;
  const shortFormat = keyId.length === 8;
  const before = listing.startsWith('@@none') ? [] : parseKeys(listing, shortFormat);
  const result: Record<string, unknown> = { id, short_id: shortId, fp: fingerprint, key_id: keyId, before };
  const has = before.includes(shortFormat ? shortId : fingerprint);
  const st = { shortId, fingerprint, shortFormat };
  const where = a.keyring ?? "APT's trusted keys";
  // no msg (Ansible's apt_key registers none): the decision is logged at -vv
  if (a.state === 'present' ? has : !before.includes(fingerprint)) {
    ctx.log(2, `key ${keyId} is ${a.state === 'present' ? 'in' : 'not in'} ${where}`);
    return { changed: false, result, state: st };
  }
  ctx.log(2, `${a.state === 'present' ? 'add' : 'remove'} key ${keyId} ${a.state === 'present' ? 'to' : 'from'} ${where}`);
  return {
    changed: true,
    diff: [{ path: `apt_key ${where}`, before: before.map((k) => k + '\n').join(''), after: (a.state === 'present' ? [...before, shortFormat ? shortId : fingerprint] : before.filter((k) => k !== fingerprint)).map((k) => k + '\n').join('') }],
    result,
    state: st,
  };
}

export default defineModule<AptKeyArgs, AptKeyState>({
  name: 'apt_key',
  doc: {
    short: 'Add or remove an apt key',
    description:
      "ansible.builtin.apt_key (deprecated: apt-key is going away; prefer a keyring file in /etc/apt/keyrings and signed-by) as in Ansible 2.14: " +
      'the key given by data or file (a file on the host) is added with `apt-key add` to keyring, or to /etc/apt/trusted.gpg, when the ' +
      'keyring does not list its id; state=absent removes it with `apt-key del`. id is 8, 16 or more hex digits (8: compared as a short ' +
      'id); without it the id is read from the key. The keys are listed again after the change to prove it. url and keyserver are ' +
      'refused (bosun reaches nothing outside the hosts: fetch the key with get_url and give file). Needs apt-key and gpg on the host. ' +
      'One read-only request plans it.',
    check: 'full',
    diff: true,
    examples: [
      '- apt_key: { id: 9FED2BCBDCD29CDF762678CBAED4B06F473041FA, file: /tmp/debian-archive.asc, keyring: /etc/apt/trusted.gpg.d/debian.gpg }',
      '- apt_key: { data: "{{ lookup(\'file\', \'repo.asc\') }}", keyring: /etc/apt/trusted.gpg.d/repo.gpg }',
      '- apt_key: { id: 473041FA, state: absent }',
    ].join('\n'),
  },
  args: {
    id: { type: 'str', description: 'The key id (8, 16 or 16+ hex digits, 0x allowed); read from data or file when not given.' },
    url: { type: 'str', description: 'Refused: bosun does not fetch from outside the hosts (download with get_url, then use file).' },
    data: { type: 'str', description: 'The key itself (armored text).' },
    file: { type: 'path', description: 'A key file on the host.' },
    keyring: { type: 'path', description: 'The keyring to use (apt-key --keyring); default: /etc/apt/trusted.gpg and trusted.gpg.d.' },
    validate_certs: { type: 'bool', default: true, description: 'For url (refused); accepted for compatibility.' },
    keyserver: { type: 'str', description: 'Refused: no key server is reached from bosun (give data or file).' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'Whether the key is in the keyring.' },
  },
  validate(a) {
    const given = (['data', 'file', 'keyserver', 'url'] as const).filter((k) => a[k] !== undefined);
    if (given.length > 1) throw new ArgumentError(`parameters are mutually exclusive: ${given.join('|')}`);
    if (a.url !== undefined) throw new ArgumentError('apt_key: url is not fetched (bosun reaches nothing outside the hosts): download the key with get_url and give file');
    if (a.keyserver !== undefined) throw new ArgumentError('apt_key: keyserver is not supported (no key server is reached from bosun): give the key as data or file');
    if (a.id === undefined && a.data === undefined && a.file === undefined) throw new ArgumentError('apt_key: one of id, data or file is required');
    if (a.id !== undefined) {
      try {
        parseKeyId(a.id);
      } catch (e) {
        throw new ArgumentError(`apt_key: id ${JSON.stringify(a.id)}: ${(e as Error).message}`);
      }
    }
  },
  reads: (a) => [readRequest(a)],
  plan,
  async apply(ctx, a, p) {
    const st = p.state!;
    const L: string[] = [];
    let stdin: Buffer | undefined;
    if (a.state === 'present') {
      // as Ansible: an id alone passes when the key is there, is a change in check mode, and fails here
      if (a.data === undefined && a.file === undefined) throw new ModuleFailure(`key ${st.fingerprint} is not in ${a.keyring ?? "APT's trusted keys"} and there is no key to add (give data or file)`, p.result);
      if (a.data !== undefined) stdin = Buffer.from(a.data, 'utf8');
      L.push(`${aptKey(a.keyring)} add - ${a.data === undefined ? `< ${shq(a.file!)} ` : ''}>/dev/null || { echo "Unable to add a key from ${a.data === undefined ? 'file' : 'binary data'}" >&2; exit 4; }`);
    } else {
      L.push(`${aptKey(a.keyring)} del ${st.shortId} >/dev/null || { echo "Unable to remove a key with id ${st.shortId}" >&2; exit 4; }`);
    }
    L.push(...listLines(a.keyring));
    const r = await ctx.conn.exec(L.join('\n') + '\n', { label: 'apt_key:apply', stdin });
    const err = withoutWarning(r.stderr);
    if (r.exitCode !== 0) throw new ModuleFailure(err || `apt-key failed (exit ${r.exitCode})`, { ...p.result, rc: r.exitCode });
    const listing = r.stdout.split('@@keys\n')[1] ?? '';
    const after = listing.startsWith('@@none') ? [] : parseKeys(listing, st.shortFormat);
    const result = { ...p.result, after };
    const present = after.includes(st.shortFormat ? st.shortId : st.fingerprint);
    if (a.state === 'present' && !present) throw new ModuleFailure('apt-key did not return an error, but failed to add the key (check that the id is correct and *not* a subkey)', result);
    if (a.state === 'absent' && after.includes(st.fingerprint)) throw new ModuleFailure('apt-key did not return an error, but the key was not removed (check that the id is correct and *not* a subkey)', result);
    return { changed: true, diff: p.diff, result };
  },
});
