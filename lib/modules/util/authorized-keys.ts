// authorized_keys files as ansible.posix.authorized_key (1.5) reads and writes them, without a host:
// every line is parsed into (key blob, type, options, comment, rank); lines that are no key
// (comments, blanks, unknown types) are kept verbatim; keys are merged by blob, and the file is
// written back in rank order with Ansible's serialisation — `OPTIONS TYPE BLOB COMMENT\n`, which
// leaves a trailing space when there is no comment (as Ansible does, so both tools agree byte for byte).

const KEY_TYPES = new Set([
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-dss',
  'ssh-rsa',
  'ssh-xmss@openssh.com',
  'ssh-xmss-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-512',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
]);

/** Options in order; a name may repeat (several `permitopen=`), a flag has value null. */
export type KeyOptions = Array<[string, string | null]>;

export interface AuthKey {
  /** The key blob, or for a kept line the line itself (with its newline). */
  id: string;
  /** undefined: a line kept verbatim. */
  type?: string;
  options: KeyOptions;
  comment: string;
  rank: number;
}

/** `no-pty,from="a,b",command="x"` → [[no-pty,null],[from,"a,b"],…]: commas inside quotes do not split. */
export function parseOptions(s: string | undefined): KeyOptions {
  const out: KeyOptions = [];
  for (const part of s?.match(/(?:[^,"']|"[^"]*"|'[^']*')+/g) ?? []) {
    const eq = part.indexOf('=');
    out.push(eq >= 0 ? [part.slice(0, eq), part.slice(eq + 1)] : [part, null]);
  }
  return out;
}

/** A key line, or undefined when it holds no known key type. `#` lines are kept verbatim. */
export function parseKey(raw: string, rank: number): AuthKey | undefined {
  const line = raw.replace(/\\#/g, '#');
  const parts = line.split(/\s+/).filter((p) => p !== '');
  if (parts[0] === '#') return { id: line, options: [], comment: '', rank };
  const ti = parts.findIndex((p) => KEY_TYPES.has(p));
  if (ti < 0 || parts[ti + 1] === undefined) return undefined;
  return { id: parts[ti + 1]!, type: parts[ti], options: parseOptions(ti > 0 ? parts.slice(0, ti).join(' ') : undefined), comment: parts.slice(ti + 2).join(' '), rank };
}

/** The file's entries by id, in file order (a later line with the same key replaces the earlier one, as Ansible). */
export function parseKeys(text: string): Map<string, AuthKey> {
  const keys = new Map<string, AuthKey>();
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  lines.forEach((line, i) => {
    const k = parseKey(line, i) ?? { id: line, options: [], comment: '', rank: i };
    keys.set(k.id, k);
  });
  return keys;
}

function optionsText(o: KeyOptions): string {
  return o.length === 0 ? '' : o.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(',') + ' ';
}

export function serializeKeys(keys: Map<string, AuthKey>): string {
  // a stable sort: equal ranks keep their insertion order, as Python's sorted()
  return [...keys.values()]
    .sort((a, b) => a.rank - b.rank)
    .map((k) => (k.type === undefined ? k.id : `${optionsText(k.options)}${k.type} ${k.id} ${k.comment}\n`))
    .join('');
}

/** Options compared as Ansible's keydict does: by name, each name's values in order. */
function sameOptions(a: KeyOptions, b: KeyOptions): boolean {
  const group = (o: KeyOptions): string => {
    const m = new Map<string, Array<string | null>>();
    for (const [k, v] of o) m.set(k, [...(m.get(k) ?? []), v]);
    return JSON.stringify([...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  };
  return group(a) === group(b);
}

export interface KeyEdit {
  key: string;
  state: 'present' | 'absent';
  key_options?: string;
  comment?: string;
  exclusive: boolean;
}

/** The new file content, or undefined when nothing changes. Throws on a line of `key` that holds no key. */
export function editKeys(existing: string, e: KeyEdit): string | undefined {
  const keys = parseKeys(existing);
  const max = keys.size;
  const wanted: string[] = [];
  let write = false;
  const lines = e.key.split(/\r?\n|\r/).filter((l) => l !== '' && !l.startsWith('#'));
  for (const [i, line] of lines.entries()) {
    const p = parseKey(line, i);
    if (!p || p.type === undefined) throw new Error(`invalid key specified: ${line}`);
    if (e.key_options !== undefined) p.options = parseOptions(e.key_options);
    if (e.comment !== undefined) p.comment = e.comment;
    const cur = keys.get(p.id);
    let matched = false;
    if (cur) {
      const same = cur.type === p.type && sameOptions(cur.options, p.options) && cur.comment === p.comment;
      if (!same && e.state === 'present') {
        keys.delete(p.id);
        write = true;
      } else matched = true;
    }
    if (e.state === 'present') {
      wanted.push(p.id);
      if (!matched) {
        keys.set(p.id, { ...p, rank: max + p.rank });
        write = true;
      }
    } else if (matched) {
      keys.delete(p.id);
      write = true;
    }
  }
  if (e.state === 'present' && e.exclusive) {
    for (const id of [...keys.keys()]) {
      if (!wanted.includes(id)) {
        keys.delete(id);
        write = true;
      }
    }
  }
  return write ? serializeKeys(keys) : undefined;
}
