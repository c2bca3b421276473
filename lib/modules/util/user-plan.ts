// The user module's decisions, without a host: from the wanted arguments and the probed account
// state (accounts.ts), which useradd/usermod options are needed — Ansible 2.14's rules
// (modules/user.py create_user_useradd / modify_user_usermod) — and the record shown by --diff.

import { ModuleFailure } from '../types.js';
import { findGroup, sha256hex, type AccountState, type PasswdEntry } from './accounts.js';

export interface UserArgs {
  name: string;
  state: 'present' | 'absent';
  uid?: number;
  non_unique: boolean;
  group?: string;
  groups?: string[];
  append: boolean;
  comment?: string;
  home?: string;
  shell?: string;
  password?: string;
  update_password: 'always' | 'on_create';
  create_home: boolean;
  move_home: boolean;
  skeleton?: string;
  system: boolean;
  /** Seconds since the epoch (a number, or a string of one: the schema takes it raw). */
  expires?: number | string;
  password_lock?: boolean;
  password_expire_min?: number;
  password_expire_max?: number;
  remove: boolean;
  force: boolean;
  generate_ssh_key?: boolean;
  ssh_key_bits: number;
  ssh_key_type: string;
  ssh_key_file?: string;
  ssh_key_comment?: string;
  ssh_key_passphrase?: string;
}

/** What apply runs: useradd/usermod options (without the name), and the follow-up steps. */
export interface UserChange {
  /** 'add': useradd, 'mod': usermod (opts may be empty), 'del': userdel, 'none'. */
  op: 'add' | 'mod' | 'del' | 'none';
  opts: string[];
  /** Set the password hash (chpasswd -e, on stdin); with password_lock, as '!' + the hash (locked in the same step, as Ansible). */
  password: boolean;
  /** chage options (-m MIN, -M MAX) for password_expire_min/max. */
  chage: string[];
  /** Create the missing home directory of an existing user (Ansible does it when create_home). */
  mkhome?: string;
  /** Generate the ssh key. */
  sshKey: boolean;
  /** What changes, for msg. */
  what: string[];
}

/** Ansible's expires: seconds since the epoch (float); negative means "never". useradd wants YYYY-MM-DD (UTC). */
export function expireDate(expires: number): string {
  return expires < 0 ? '' : new Date(Math.floor(expires) * 1000).toISOString().slice(0, 10);
}

/** The password field, compared as Ansible does: a leading '!' (a lock) is ignored on both sides. */
export function passwordDigest(hash: string): string {
  return sha256hex(hash.replace(/^!+/, ''));
}

export function sshKeyFile(a: UserArgs): string {
  return a.ssh_key_file ?? `.ssh/id_${a.ssh_key_type}`;
}

/**
 * A group the task names must exist. Under --check an earlier task of the play may be the one that
 * creates it (it did not run): the group is then noted in `missing` and the plan goes on, as
 * Ansible's check mode reports a new user as changed without looking at its groups.
 */
function requireGroup(st: AccountState, ref: string, missing?: string[]): void {
  if (findGroup(st.groups, ref)) return;
  if (missing) missing.push(ref);
  else throw new ModuleFailure(`Group ${ref} does not exist`);
}

/** Supplementary groups named in the args (Ansible's get_groups_set: split, trimmed, empty dropped, must exist). */
function wantedGroups(a: UserArgs, st: AccountState, missing?: string[]): string[] {
  const set = new Set((a.groups ?? []).map((g) => g.trim()).filter((g) => g !== ''));
  for (const g of set) requireGroup(st, g, missing);
  return [...set];
}

/** `missing`: given under --check, collects the groups that do not exist instead of failing. */
export function decideUser(a: UserArgs, st: AccountState, missing?: string[]): UserChange {
  const none: UserChange = { op: 'none', opts: [], password: false, chage: [], sshKey: false, what: [] };
  const u = st.user;
  if (a.state === 'absent') {
    if (!u) return none;
    return { ...none, op: 'del', opts: [...(a.force ? ['-f'] : []), ...(a.remove ? ['-r'] : [])], what: ['remove user'] };
  }
  if (!u) {
    // a new user's ages come from login.defs, unknown here: chage sets them (the task changes anyway)
    const chage = [...(a.password_expire_min !== undefined ? ['-m', String(a.password_expire_min)] : []), ...(a.password_expire_max !== undefined ? ['-M', String(a.password_expire_max)] : [])];
    return { ...decideAdd(a, st, missing), chage, sshKey: a.generate_ssh_key === true };
  }
  const c = decideMod(a, st, u, missing);
  decideAges(a, st, c);
  const home = a.home ?? u.home;
  // the home directory of an existing user is created when missing, as Ansible does (not when usermod -m moves it)
  if (a.create_home && !st.homeExists && !(a.home !== undefined && a.home !== u.home && a.move_home)) {
    c.mkhome = home;
    c.what.push(`create home ${home}`);
  }
  if (a.generate_ssh_key === true && !st.keyExists) {
    c.sshKey = true;
    c.what.push(`generate ssh key ${sshKeyFile(a)}`);
  }
  return c;
}

function decideAdd(a: UserArgs, st: AccountState, missing?: string[]): UserChange {
  const o: string[] = [];
  if (a.uid !== undefined) o.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
  if (a.group !== undefined) {
    requireGroup(st, a.group, missing);
    o.push('-g', a.group);
  } else if (findGroup(st.groups, a.name)) {
    // a group named like the user exists: useradd would fail creating the user group (USERGROUPS_ENAB)
    o.push('-N');
  }
  if (a.groups !== undefined && a.groups.length > 0) o.push('-G', wantedGroups(a, st, missing).join(','));
  if (a.comment !== undefined) o.push('-c', a.comment);
  if (a.home !== undefined) o.push('-d', a.home);
  if (a.shell !== undefined) o.push('-s', a.shell);
  if (a.expires !== undefined) o.push('-e', expireDate(Number(a.expires)));
  if (a.create_home) {
    o.push('-m');
    if (a.skeleton !== undefined) o.push('-k', a.skeleton);
  } else o.push('-M');
  if (a.system) o.push('-r');
  return { op: 'add', opts: o, password: a.password !== undefined, chage: [], sshKey: false, what: ['create user'] };
}

function decideMod(a: UserArgs, st: AccountState, u: PasswdEntry, missing?: string[]): UserChange {
  const o: string[] = [];
  const what: string[] = [];
  if (a.uid !== undefined && u.uid !== a.uid) {
    o.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
    what.push(`uid ${u.uid} → ${a.uid}`);
  }
  if (a.group !== undefined) {
    requireGroup(st, a.group, missing);
    const g = findGroup(st.groups, a.group);
    if (g?.gid !== u.gid) {
      o.push('-g', g ? String(g.gid) : a.group);
      what.push(`primary group → ${a.group}`);
    }
  }
  if (a.groups !== undefined) {
    // membership as Ansible reads it: every group listing the user as a member (the primary one too)
    const current = st.groups.filter((g) => g.members.includes(a.name)).map((g) => g.name);
    const explicitEmpty = a.groups.every((g) => g.trim() === '');
    const wanted = explicitEmpty ? [] : wantedGroups(a, st, missing);
    const diff = [...current.filter((g) => !wanted.includes(g)), ...wanted.filter((g) => !current.includes(g))];
    let need = false;
    if (explicitEmpty) need = current.length > 0 && !a.append;
    else if (diff.length > 0) need = a.append ? wanted.some((g) => diff.includes(g)) : true;
    if (need) {
      if (a.append) o.push('-a');
      o.push('-G', wanted.join(','));
      what.push(`groups ${current.join(',') || '(none)'} → ${a.append ? [...current, ...wanted.filter((g) => !current.includes(g))].join(',') : wanted.join(',') || '(none)'}`);
    }
  }
  if (a.comment !== undefined && u.comment !== a.comment) {
    o.push('-c', a.comment);
    what.push('comment');
  }
  if (a.home !== undefined && u.home !== a.home) {
    o.push('-d', a.home, ...(a.move_home ? ['-m'] : []));
    what.push(`home ${u.home} → ${a.home}`);
  }
  if (a.shell !== undefined && u.shell !== a.shell) {
    o.push('-s', a.shell);
    what.push(`shell ${u.shell} → ${a.shell}`);
  }
  if (a.expires !== undefined) {
    const exp = Number(a.expires);
    const cur = st.expireDays === undefined || st.expireDays === '' ? -1 : Number(st.expireDays);
    if (exp < 0 ? cur >= 0 : cur < 0 || new Date(cur * 86400_000).toISOString().slice(0, 10) !== expireDate(exp)) {
      o.push('-e', expireDate(exp));
      what.push('expiry');
    }
  }
  const password = a.update_password === 'always' && a.password !== undefined && st.passwordDigest !== passwordDigest(a.password);
  if (password) what.push('password');
  // Ansible: -L when not locked, -U when locked; dropped when the hash is set (it carries the lock itself)
  if (!password && a.password_lock === true && st.locked === false) {
    o.push('-L');
    what.push('lock password');
  } else if (!password && a.password_lock === false && st.locked === true) {
    o.push('-U');
    what.push('unlock password');
  }
  return { op: 'mod', opts: o, password, chage: [], sshKey: false, what };
}

/** Shadow field as Python's spwd reads it: empty is -1. */
const shadowInt = (v: string | undefined): number => (v === undefined || v === '' ? -1 : Number(v));

/** Ansible's set_password_expire: chage -m/-M for the ages that differ from the shadow entry. */
function decideAges(a: UserArgs, st: AccountState, c: UserChange): void {
  if (a.password_expire_min !== undefined && a.password_expire_min !== shadowInt(st.passMin)) {
    c.chage.push('-m', String(a.password_expire_min));
    c.what.push(`password_expire_min ${shadowInt(st.passMin)} → ${a.password_expire_min}`);
  }
  if (a.password_expire_max !== undefined && a.password_expire_max !== shadowInt(st.passMax)) {
    c.chage.push('-M', String(a.password_expire_max));
    c.what.push(`password_expire_max ${shadowInt(st.passMax)} → ${a.password_expire_max}`);
  }
}

export function changes(c: UserChange): boolean {
  return c.op === 'add' || c.op === 'del' || c.opts.length > 0 || c.password || c.chage.length > 0 || c.mkhome !== undefined || c.sshKey;
}

/** The user's record as --diff shows it (the password only as "(set)"/"(changed)": never its value). */
export function recordText(u: PasswdEntry | undefined, groups: string[] | undefined, password?: string, shadow: string[] = []): string {
  if (!u) return '';
  const L = [`name: ${u.name}`, `uid: ${u.uid}`, `group: ${u.gid}`];
  if (groups !== undefined) L.push(`groups: ${groups.join(',')}`);
  L.push(`comment: ${u.comment}`, `home: ${u.home}`, `shell: ${u.shell}`);
  if (password !== undefined) L.push(`password: ${password}`);
  return [...L, ...shadow].join('\n') + '\n';
}

/** The lock and password ages the task names, as --diff shows them: now, or after the change. */
export function shadowLines(a: UserArgs, st: AccountState, after: boolean): string[] {
  const L: string[] = [];
  if (a.password_lock !== undefined) {
    const locked = after && (a.password !== undefined || st.locked !== undefined) ? a.password_lock : st.locked;
    L.push(`password_lock: ${locked === undefined ? '(unknown)' : locked ? 'yes' : 'no'}`);
  }
  const age = (want: number | undefined, cur: string | undefined): string => (after && want !== undefined ? String(want) : cur === undefined ? '(unknown)' : String(shadowInt(cur)));
  if (a.password_expire_min !== undefined) L.push(`password_expire_min: ${age(a.password_expire_min, st.passMin)}`);
  if (a.password_expire_max !== undefined) L.push(`password_expire_max: ${age(a.password_expire_max, st.passMax)}`);
  return L;
}

/** The record the plan predicts after the change (fields useradd picks itself, like a new uid, shown as "(auto)"). */
export function predicted(a: UserArgs, st: AccountState, c: UserChange): { text: string; groups: string[] } {
  const u = st.user;
  const current = u ? st.groups.filter((g) => g.members.includes(a.name)).map((g) => g.name) : [];
  let groups = current;
  if (a.groups !== undefined) {
    const wanted = a.groups.map((g) => g.trim()).filter((g) => g !== '');
    groups = a.append ? [...current, ...wanted.filter((g) => !current.includes(g))] : wanted;
  }
  const gid = a.group !== undefined ? findGroup(st.groups, a.group)?.gid : u?.gid;
  const lines = [
    `name: ${a.name}`,
    `uid: ${a.uid ?? u?.uid ?? '(auto)'}`,
    `group: ${gid ?? a.group ?? "(auto)"}`,
    `groups: ${groups.join(',')}`,
    `comment: ${a.comment ?? u?.comment ?? ''}`,
    `home: ${a.home ?? u?.home ?? `/home/${a.name}`}`,
    `shell: ${a.shell ?? u?.shell ?? '(default)'}`,
  ];
  if (a.password !== undefined) lines.push(`password: ${c.password || c.op === 'add' ? '(changed)' : '(set)'}`);
  lines.push(...shadowLines(a, st, true));
  return { text: lines.join('\n') + '\n', groups };
}
