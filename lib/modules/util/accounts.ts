// The account database of a host as the user and group modules see it, read in ONE request:
// `getent passwd NAME`, every `getent group` entry (membership is spread over all of them), the
// user's shadow expiry, password ages and lock and a sha256 of its password hash (the hash itself never leaves the host:
// the module compares digests, so no hash can reach a trace, a result or a diff), and whether the
// home directory and the ssh key file exist. Parsers and the name check live here too.

import { createHash } from 'node:crypto';
import { ArgumentError } from '../../errors.js';
import { shq } from '../../executor/types.js';
import { ModuleFailure, type ModuleContext, type ReadRequest } from '../types.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface AccountState {
  user?: PasswdEntry;
  groups: GroupEntry[];
  /** sha256 of the user's shadow password field without leading '!'; undefined when /etc/shadow is not readable or has no entry. */
  passwordDigest?: string;
  /** Shadow field 8 (days since 1970-01-01), '' when unset; undefined when unknown. */
  expireDays?: string;
  /** Shadow fields 4 and 5 (minimum and maximum password age in days), '' when unset. */
  passMin?: string;
  passMax?: string;
  /** The shadow password field starts with '!' (usermod -L). */
  locked?: boolean;
  /** Whether the (current) home directory exists. */
  homeExists: boolean;
  /** Whether the ssh key file (keyFile, relative to the home) exists. */
  keyExists: boolean;
  /** The public key and its fingerprint when the key exists (`ssh-keygen -l`). */
  publicKey?: string;
  fingerprint?: string;
}

/**
 * shadow-utils' own rule (useradd's is_valid_user_name, Debian default): no leading '-', '+' or
 * '~', no ':', ',', whitespace or control characters, at most 32 bytes. Checked before any command.
 */
export function checkAccountName(kind: 'user' | 'group', name: string): void {
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/.test(name) || name.length > 32 || name === '.' || name === '..') {
    throw new ArgumentError(`${kind} name ${JSON.stringify(name)} is not valid (letters, digits, '_', '.', '@', '-' not first, optional final '$'; at most 32 characters)`);
  }
}

export function sha256hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function parseIntStrict(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const f = line.split(':');
  if (f.length < 7) return undefined;
  const uid = parseIntStrict(f[2]);
  const gid = parseIntStrict(f[3]);
  if (uid === undefined || gid === undefined) return undefined;
  return { name: f[0]!, uid, gid, comment: f[4]!, home: f[5]!, shell: f.slice(6).join(':') };
}

export function parseGroupLine(line: string): GroupEntry | undefined {
  const f = line.split(':');
  if (f.length < 4) return undefined;
  const gid = parseIntStrict(f[2]);
  if (gid === undefined) return undefined;
  return { name: f[0]!, gid, members: f[3] === '' ? [] : f[3]!.split(',') };
}

/** A group named by name or by gid (as useradd -g/-G take them). */
export function findGroup(groups: readonly GroupEntry[], ref: string): GroupEntry | undefined {
  return groups.find((g) => g.name === ref) ?? (/^\d+$/.test(ref) ? groups.find((g) => g.gid === Number(ref)) : undefined);
}

/**
 * The read-only script. `keyFile` is relative to the home directory unless absolute (Ansible's
 * ssh_key_file). Sections are framed by `@tag` lines; the script prints `@end` last.
 */
export function accountsScript(user: string | undefined, keyFile?: string): string {
  const L = ['LC_ALL=C; export LC_ALL', `echo @passwd`];
  if (user !== undefined) {
    L.push(
      `u=${shq(user)}; export u`,
      // getent exits 2 for "no such entry": that is an answer, not an error
      `pw=$(getent passwd -- "$u"); [ -z "$pw" ] || printf '%s\\n' "$pw"`,
    );
  }
  L.push(`echo @group`, `getent group; r=$?; [ $r -eq 0 ] || [ $r -eq 2 ] || exit 1`);
  if (user !== undefined) {
    L.push(
      `echo @shadow`,
      `if [ -n "$pw" ] && [ -r /etc/shadow ]; then`,
      `  e=$(awk -F: '$1 == ENVIRON["u"] { print "expire=" $8; print "min=" $4; print "max=" $5; print "locked=" (substr($2, 1, 1) == "!"); exit }' /etc/shadow) || exit 1`,
      // the hash (without a leading '!' lock, as Ansible compares it) goes straight into sha256sum: only its digest is printed
      `  if [ -n "$e" ]; then echo "$e"; d=$(awk -F: '$1 == ENVIRON["u"] { p = $2; sub(/^!+/, "", p); printf "%s", p; exit }' /etc/shadow | sha256sum) || exit 1; echo "digest=\${d%% *}"; fi`,
      `fi`,
      `echo @home`,
      `h=$(printf '%s' "$pw" | cut -d: -f6)`,
      `if [ -n "$h" ] && [ -d "$h" ]; then echo home=1; else echo home=0; fi`,
    );
    if (keyFile !== undefined) {
      const k = keyFile.startsWith('/') ? shq(keyFile) : `"$h"/${shq(keyFile)}`;
      L.push(
        `if [ -n "$h" ] && [ -f ${k} ]; then echo key=1; [ ! -f ${k}.pub ] || { printf 'pub='; head -n 1 ${k}.pub; printf 'fp='; ssh-keygen -l -f ${k}.pub 2>/dev/null | head -n 1; echo; }; fi`,
      );
    }
  }
  L.push(`echo @end`);
  return L.join('\n') + '\n';
}

export function parseAccounts(out: string): AccountState {
  const lines = out.split('\n');
  if (!lines.includes('@end')) throw new ModuleFailure('the account probe did not complete');
  const st: AccountState = { groups: [], homeExists: false, keyExists: false };
  let section = '';
  for (const line of lines) {
    if (line.startsWith('@')) {
      section = line;
      continue;
    }
    if (line === '') continue;
    if (section === '@passwd') st.user = parsePasswdLine(line) ?? st.user;
    else if (section === '@group') {
      const g = parseGroupLine(line);
      if (g) st.groups.push(g);
    } else if (section === '@shadow') {
      if (line.startsWith('expire=')) st.expireDays = line.slice(7);
      else if (line.startsWith('min=')) st.passMin = line.slice(4);
      else if (line.startsWith('max=')) st.passMax = line.slice(4);
      else if (line.startsWith('locked=')) st.locked = line === 'locked=1';
      else if (line.startsWith('digest=')) st.passwordDigest = line.slice(7);
    } else if (section === '@home') {
      if (line === 'home=1') st.homeExists = true;
      else if (line === 'key=1') st.keyExists = true;
      else if (line.startsWith('pub=')) st.publicKey = line.slice(4);
      else if (line.startsWith('fp=')) st.fingerprint = line.slice(3);
    }
  }
  return st;
}

/** The one read-only request of a user or group plan (its reads() announces the same). */
export function accountsRequest(user: string | undefined, keyFile?: string): ReadRequest {
  return { script: accountsScript(user, keyFile), opts: { label: 'accounts:probe', readOnly: true } };
}

/** Sends accountsRequest's request and parses the answer. */
export async function probeAccounts(ctx: ModuleContext, q: ReadRequest): Promise<AccountState> {
  const r = await ctx.conn.exec(q.script, q.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(`cannot read the account database: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return parseAccounts(r.stdout);
}

/** Runs an account command (useradd, groupmod…); a failure carries its rc and output, as Ansible's. */
export async function runAccountCommand(ctx: ModuleContext, script: string, label: string, stdin?: string): Promise<void> {
  const r = await ctx.conn.exec(script, { label, stdin });
  if (r.exitCode !== 0) {
    throw new ModuleFailure(r.stderr.trim() || r.stdout.trim() || `${label} failed (exit ${r.exitCode})`, { rc: r.exitCode, stdout: r.stdout, stderr: r.stderr });
  }
}
