// Facts in one probe per host (the channel's first request): enough for the service module and
// role decisions (os family, distribution, hostname, init system, architecture).
import type { Connection } from '../executor/types.js';
import type { Facts } from '../modules/types.js';
import { UnreachableError } from '../errors.js';

export const FACTS_SCRIPT = [
  'if [ -r /etc/os-release ]; then . /etc/os-release; fi',
  'echo "id=${ID:-}"',
  'echo "id_like=${ID_LIKE:-}"',
  'echo "version_id=${VERSION_ID:-}"',
  'echo "hostname=$(hostname 2>/dev/null || uname -n)"',
  'echo "fqdn=$(hostname -f 2>/dev/null || hostname 2>/dev/null)"',
  'echo "arch=$(uname -m)"',
  'echo "user=$(id -un 2>/dev/null)"',
  'if [ -d /run/systemd/system ]; then echo init=systemd; elif [ -d /etc/init.d ]; then echo init=sysv; else echo init=unknown; fi',
  'if [ -f /etc/redhat-release ]; then echo redhat=1; fi',
  'if [ -f /etc/debian_version ]; then echo debian=1; fi',
].join('\n');

const FAMILY: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Debian', raspbian: 'Debian', linuxmint: 'Debian',
  rhel: 'RedHat', centos: 'RedHat', fedora: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', ol: 'RedHat', amzn: 'RedHat',
  sles: 'Suse', opensuse: 'Suse', 'opensuse-leap': 'Suse', arch: 'Archlinux', alpine: 'Alpine',
};

export function parseFacts(out: string): Facts {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const id = (kv.get('id') ?? '').toLowerCase();
  let family = FAMILY[id];
  if (!family) for (const like of (kv.get('id_like') ?? '').split(/\s+/)) if (FAMILY[like]) { family = FAMILY[like]; break; }
  if (!family) family = kv.has('redhat') ? 'RedHat' : kv.has('debian') ? 'Debian' : 'unknown';
  const version = kv.get('version_id') ?? '';
  const init = kv.get('init');
  return {
    os_family: family,
    distribution: id || 'unknown',
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    hostname: kv.get('hostname') ?? '',
    fqdn: kv.get('fqdn') ?? '',
    init: init === 'systemd' || init === 'sysv' ? init : 'unknown',
    architecture: kv.get('arch') ?? '',
    user: kv.get('user') ?? '',
  };
}

export async function gatherFacts(conn: Connection): Promise<Facts> {
  const r = await conn.exec(FACTS_SCRIPT, { label: 'facts', timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new UnreachableError(`fact probe failed on ${conn.host}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return parseFacts(r.stdout);
}

/**
 * Facts as Ansible exposes them: `ansible_facts.x` and top-level `ansible_x`. `fromModules`: the
 * `ansible_facts` modules returned (package_facts' `packages`, service_facts' `services`), found under
 * ansible_facts and, as Ansible injects them, as top-level variables too.
 */
export function factVars(f: Facts | undefined, fromModules?: Record<string, unknown>): Record<string, unknown> {
  if (!f) return fromModules ? { ...fromModules, ansible_facts: { ...fromModules } } : {};
  return {
    ...fromModules,
    ansible_facts: { ...f, service_mgr: f.init, ...fromModules },
    ansible_os_family: f.os_family,
    ansible_distribution: f.distribution,
    ansible_distribution_version: f.distribution_version,
    ansible_distribution_major_version: f.distribution_major_version,
    ansible_hostname: f.hostname,
    ansible_fqdn: f.fqdn,
    ansible_architecture: f.architecture,
    ansible_user_id: f.user,
    ansible_service_mgr: f.init,
  };
}

export const UNKNOWN_FACTS: Facts = {
  os_family: 'unknown', distribution: 'unknown', distribution_version: '', distribution_major_version: '',
  hostname: '', fqdn: '', init: 'unknown', architecture: '', user: '',
};
