// Module registry. Modules are imported lazily so `bosun --version` and small playbooks don't pay
// for node-forge & co. at start-up.
import type { AnyModule } from './types.js';

const loaders: Record<string, () => Promise<{ default: AnyModule }>> = {
  command: () => import('./command.js'),
  shell: () => import('./shell.js'),
  copy: () => import('./copy.js'),
  template: () => import('./template.js'),
  file: () => import('./file.js'),
  stat: () => import('./stat.js'),
  wait_for: () => import('./wait_for.js'),
  debug: () => import('./debug.js'),
  assert: () => import('./assert.js'),
  fail: () => import('./fail.js'),
  cert: () => import('./cert.js'),
  service: () => import('./service.js'),
  etcdctl: () => import('./etcdctl.js'),
  yaml_keys: () => import('./yaml_keys.js'),
  ping: () => import('./ping.js'),
  setup: () => import('./setup.js'),
  include_vars: () => import('./include_vars.js'),
  fetch: () => import('./fetch.js'),
  find: () => import('./find.js'),
  slurp: () => import('./slurp.js'),
  async_status: () => import('./async_status.js'),
  lineinfile: () => import('./lineinfile.js'),
  blockinfile: () => import('./blockinfile.js'),
  replace: () => import('./replace.js'),
  ini_file: () => import('./ini_file.js'),
  get_url: () => import('./get_url.js'),
  unarchive: () => import('./unarchive.js'),
  uri: () => import('./uri.js'),
  archive: () => import('./archive.js'),
  assemble: () => import('./assemble.js'),
  tempfile: () => import('./tempfile.js'),
  systemd: () => import('./systemd.js'),
  service_facts: () => import('./service_facts.js'),
  apt: () => import('./apt.js'),
  dnf: () => import('./dnf.js'),
  yum: () => import('./yum.js'),
  package: () => import('./package.js'),
  package_facts: () => import('./package_facts.js'),
  user: () => import('./user.js'),
  group: () => import('./group.js'),
  authorized_key: () => import('./authorized_key.js'),
  sysctl: () => import('./sysctl.js'),
  cron: () => import('./cron.js'),
  hostname: () => import('./hostname.js'),
  timezone: () => import('./timezone.js'),
  group_by: () => import('./group_by.js'),
  add_host: () => import('./add_host.js'),
  pause: () => import('./pause.js'),
  mount: () => import('./mount.js'),
  apt_repository: () => import('./apt_repository.js'),
  validate_argument_spec: () => import('./validate_argument_spec.js'),
  raw: () => import('./raw.js'),
  script: () => import('./script.js'),
  getent: () => import('./getent.js'),
  wait_for_connection: () => import('./wait_for_connection.js'),
  yum_repository: () => import('./yum_repository.js'),
  debconf: () => import('./debconf.js'),
  git: () => import('./git.js'),
  known_hosts: () => import('./known_hosts.js'),
  alternatives: () => import('./alternatives.js'),
  apt_key: () => import('./apt_key.js'),
  make: () => import('./make.js'),
};

/** Modules of other collections that roles name by FQCN and bosun provides as built-ins. */
const COLLECTION_ALIASES: Record<string, string> = {
  'community.general.ini_file': 'ini_file',
  'community.general.archive': 'archive',
  'ansible.posix.authorized_key': 'authorized_key',
  'ansible.posix.sysctl': 'sysctl',
  'community.general.timezone': 'timezone',
  'ansible.posix.mount': 'mount',
  'community.general.alternatives': 'alternatives',
  'community.general.make': 'make',
};

/** Other names of a built-in module (Ansible 2.14 names systemd `systemd_service`, `systemd` redirects to it). */
const MODULE_ALIASES: Record<string, string> = {
  systemd_service: 'systemd',
};

/** Names handled by the engine itself rather than by a module file. */
export const ENGINE_ACTIONS = [
  'set_fact',
  'meta',
  'include_tasks',
  'import_tasks',
  'include_role',
  'import_role',
] as const;

const cache = new Map<string, AnyModule>();

/** `ansible.builtin.copy` and `copy` are the same module; also accept `bosun.builtin.*`. */
export function canonicalModuleName(name: string): string {
  const alias = COLLECTION_ALIASES[name];
  if (alias !== undefined) return alias;
  const m = /^(?:ansible|bosun)\.(?:builtin|legacy)\.(.+)$/.exec(name);
  const short = m ? m[1]! : name;
  return MODULE_ALIASES[short] ?? short;
}

export function moduleNames(): string[] {
  return Object.keys(loaders).sort();
}

export function isModule(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(loaders, canonicalModuleName(name));
}

export async function getModule(name: string): Promise<AnyModule> {
  const canon = canonicalModuleName(name);
  const hit = cache.get(canon);
  if (hit) return hit;
  const load = loaders[canon];
  if (!load) throw new Error(`unknown module ${name}`);
  const mod = (await load()).default;
  cache.set(canon, mod);
  return mod;
}

/**
 * Adds a module from outside the tree (docs/modules/authoring.md): playbooks can use it by name
 * from then on, with the same schema checks, check-mode contract and docs as a built-in one.
 */
export function registerModule(mod: AnyModule): void {
  const name = mod.name;
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`module name '${name}' must be lower-case letters, digits and _`);
  if (isModule(name) || (ENGINE_ACTIONS as readonly string[]).includes(name)) throw new Error(`module '${name}' is already defined`);
  cache.set(name, mod);
  loaders[name] = async () => ({ default: mod });
}
