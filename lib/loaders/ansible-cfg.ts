// ansible.cfg and ANSIBLE_* settings, found and ranked as Ansible's ConfigManager does: the first of
// $ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg is the config file; an
// ANSIBLE_* variable beats the file; a command-line flag beats both (the caller applies flags).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ParseError } from '../errors.js';

/** The settings bosun applies (others are listed in `ignored`). */
export interface AnsibleSettings {
  inventory?: string[];
  rolesPath?: string[];
  forks?: number;
  remoteUser?: string;
  privateKeyFile?: string;
  hostKeyChecking?: boolean;
  vaultPasswordFile?: string;
  /** SSH connect timeout in seconds. */
  timeout?: number;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  /** [defaults] gathering: implicit (gather unless a play says no) or explicit (only when a play says yes). */
  gathering?: 'implicit' | 'explicit' | 'smart';
  sshArgs?: string;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  forceHandlers?: boolean;
  /** [defaults] ansible_managed: the template module's ansible_managed (str.format {host} {uid} {file}, then strftime). */
  ansibleManaged?: string;
  /** [defaults] gather_subset: the fact groups a play gathers when it names none (comma-separated, as Ansible). */
  gatherSubset?: string[];
  /** [ssh_connection] control_path_dir: where the ControlMaster sockets live. */
  controlPathDir?: string;
}

export interface LoadedSettings {
  /** The config file used, if any (said at -v as Ansible does). */
  file?: string;
  settings: AnsibleSettings;
  /** Where each applied setting came from (`ANSIBLE_FORKS`, `ansible.cfg [defaults] forks`). */
  origin: Partial<Record<keyof AnsibleSettings, string>>;
  /** Settings found in the file that bosun has no use for, with the reason (shown at -v). */
  ignored: string[];
}

type Kind = 'str' | 'int' | 'bool' | 'path' | 'pathlist' | 'pathspec' | 'list';

/** setting → [section, key, env vars (first set wins), type]. */
const SPEC: Record<keyof AnsibleSettings, [string, string, string[], Kind]> = {
  inventory: ['defaults', 'inventory', ['ANSIBLE_INVENTORY'], 'pathlist'],
  rolesPath: ['defaults', 'roles_path', ['ANSIBLE_ROLES_PATH'], 'pathspec'],
  forks: ['defaults', 'forks', ['ANSIBLE_FORKS'], 'int'],
  remoteUser: ['defaults', 'remote_user', ['ANSIBLE_REMOTE_USER'], 'str'],
  privateKeyFile: ['defaults', 'private_key_file', ['ANSIBLE_PRIVATE_KEY_FILE'], 'path'],
  hostKeyChecking: ['defaults', 'host_key_checking', ['ANSIBLE_HOST_KEY_CHECKING'], 'bool'],
  vaultPasswordFile: ['defaults', 'vault_password_file', ['ANSIBLE_VAULT_PASSWORD_FILE'], 'path'],
  timeout: ['defaults', 'timeout', ['ANSIBLE_TIMEOUT'], 'int'],
  gathering: ['defaults', 'gathering', ['ANSIBLE_GATHERING'], 'str'],
  forceHandlers: ['defaults', 'force_handlers', ['ANSIBLE_FORCE_HANDLERS'], 'bool'],
  ansibleManaged: ['defaults', 'ansible_managed', [], 'str'],
  gatherSubset: ['defaults', 'gather_subset', ['ANSIBLE_GATHER_SUBSET'], 'list'],
  become: ['privilege_escalation', 'become', ['ANSIBLE_BECOME'], 'bool'],
  becomeUser: ['privilege_escalation', 'become_user', ['ANSIBLE_BECOME_USER'], 'str'],
  becomeMethod: ['privilege_escalation', 'become_method', ['ANSIBLE_BECOME_METHOD'], 'str'],
  sshArgs: ['ssh_connection', 'ssh_args', ['ANSIBLE_SSH_ARGS'], 'str'],
  sshCommonArgs: ['ssh_connection', 'ssh_common_args', ['ANSIBLE_SSH_COMMON_ARGS'], 'str'],
  sshExtraArgs: ['ssh_connection', 'ssh_extra_args', ['ANSIBLE_SSH_EXTRA_ARGS'], 'str'],
  controlPathDir: ['ssh_connection', 'control_path_dir', ['ANSIBLE_SSH_CONTROL_PATH_DIR'], 'path'],
};

/** Settings an operator may well have that bosun does not need, and why (said at -v, never an error). */
const NOT_NEEDED: Record<string, string> = {
  'ssh_connection.pipelining': 'bosun keeps one ssh channel per host for the whole run; nothing to pipeline',
  'ssh_connection.control_path': 'bosun names its ControlMaster sockets itself (inside control_path_dir)',
  'defaults.library': 'built-in modules only (bosun doc)',
  'defaults.module_utils': 'built-in modules only',
  'defaults.interpreter_python': 'modules run as sh on the host; no Python needed',
  'defaults.stdout_callback': 'bosun has its own output (text or --output json)',
  'defaults.callbacks_enabled': 'bosun has its own output (--profile, --output json)',
  'defaults.callback_whitelist': 'bosun has its own output (--profile, --output json)',
  'defaults.retry_files_enabled': 'bosun writes no retry files',
  'defaults.fact_caching': 'no fact cache: facts are read on the channel at start',
};

/** Ansible's boolean(): y/yes/on/1/true/t are true (any case), everything else false. */
export function ansibleBool(v: string): boolean {
  return ['y', 'yes', 'on', '1', 'true', 't'].includes(v.trim().toLowerCase());
}

/** Python configparser's reading of an ansible.cfg: `[section]`, `key = value` or `key: value`, `#`/`;` comments. */
export function parseIniConfig(text: string, file: string): Map<string, Map<string, { value: string; line: number }>> {
  const out = new Map<string, Map<string, { value: string; line: number }>>();
  let section: Map<string, { value: string; line: number }> | undefined;
  let last: { value: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      // continuation line
      last.value += '\n' + raw.trim();
      return;
    }
    const sm = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (sm) {
      const name = sm[1]!.trim();
      section = out.get(name) ?? new Map();
      out.set(name, section);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv || !section) {
      throw new ParseError(section ? `ansible.cfg: expected 'key = value', found '${raw.trim()}'` : `ansible.cfg: '${raw.trim()}' is outside any [section]`, {
        loc: { file, line: i + 1, col: 1 },
      });
    }
    // ansible reads the file with inline_comment_prefixes=(';',)
    last = { value: kv[2]!.replace(/\s;.*$/, '').trim(), line: i + 1 };
    section.set(kv[1]!.trim().toLowerCase(), last);
  });
  return out;
}

/** The config file Ansible would use, or undefined. */
export function findConfigFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const candidates: string[] = [];
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv) {
    const p = resolve(cwd, fromEnv.replace(/^~(?=\/|$)/, homedir()));
    candidates.push(existsSync(p) && statSync(p).isDirectory() ? join(p, 'ansible.cfg') : p);
  }
  // ./ansible.cfg is skipped in a world-writable directory (Ansible: a security measure)
  const local = join(cwd, 'ansible.cfg');
  try {
    if (!(statSync(cwd).mode & 0o002)) candidates.push(local);
  } catch {
    /* cwd vanished: skip it */
  }
  candidates.push(join(env.HOME ?? homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function convert(kind: Kind, raw: string, base: string, what: string, where: { file: string; line?: number } | undefined): unknown {
  const path = (p: string) => {
    const t = p.trim().replace(/^~(?=\/|$)/, homedir());
    return isAbsolute(t) ? t : resolve(base, t);
  };
  switch (kind) {
    case 'str':
      return raw;
    case 'bool':
      return ansibleBool(raw);
    case 'int': {
      if (!/^\s*\d+\s*$/.test(raw)) throw new ParseError(`${what} must be an integer; got '${raw}'`, { loc: where });
      return Number(raw);
    }
    case 'path':
      return path(raw);
    case 'pathlist':
      return raw.split(',').filter((x) => x.trim()).map((x) => (x.includes(',') ? x : path(x)));
    case 'pathspec':
      return raw.split(':').filter((x) => x.trim()).map(path);
    case 'list':
      return raw.split(',').map((x) => x.trim()).filter((x) => x);
  }
}

/** Reads the settings with Ansible's precedence: ANSIBLE_* env var, else the config file. */
export function loadAnsibleSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedSettings {
  const file = findConfigFile(env, cwd);
  const ini = file ? parseIniConfig(readFileSync(file, 'utf8'), file) : new Map<string, Map<string, { value: string; line: number }>>();
  const settings: AnsibleSettings = {};
  const origin: LoadedSettings['origin'] = {};
  const set = <K extends keyof AnsibleSettings>(k: K, v: unknown) => {
    settings[k] = v as AnsibleSettings[K];
  };
  for (const [k, [section, key, envs, kind]] of Object.entries(SPEC) as Array<[keyof AnsibleSettings, (typeof SPEC)[keyof AnsibleSettings]]>) {
    const e = envs.find((n) => env[n] !== undefined && env[n] !== '');
    if (e) {
      set(k, convert(kind, env[e]!, cwd, e, undefined));
      origin[k] = e;
      continue;
    }
    const entry = ini.get(section)?.get(key);
    if (entry && file) {
      set(k, convert(kind, entry.value, dirname(file), `ansible.cfg [${section}] ${key}`, { file, line: entry.line }));
      origin[k] = `${file} [${section}] ${key}`;
    }
  }
  if (settings.gathering !== undefined && !['implicit', 'explicit', 'smart'].includes(settings.gathering)) {
    throw new ParseError(`gathering must be implicit, explicit or smart; got '${settings.gathering}'`, { loc: file ? { file } : undefined });
  }
  const ignored: string[] = [];
  for (const [section, keys] of ini) {
    for (const key of keys.keys()) {
      const why = NOT_NEEDED[`${section}.${key}`];
      if (why) ignored.push(`[${section}] ${key}: ${why}`);
    }
  }
  return { file, settings, origin, ignored };
}
