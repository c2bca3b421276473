// Facts about the system, parsed from the probe's sections (script.ts) with the rules of
// Ansible 2.14's collectors (module_utils/facts/system/*): the same names and the same values, so a
// role's `when: ansible_distribution == 'Debian'` or `ansible_pkg_mgr == 'dnf'` takes the branch it
// takes under Ansible. test/e2e/facts-setup.test.ts compares them with `ansible -m setup` on lab hosts.
import { PKG_MGR_PATHS } from './script.js';

export type FactDict = Record<string, unknown>;

const lines = (s: string | undefined): string[] => (s ?? '').split('\n').filter((l) => l !== '');

/** KEY=value lines of os-release, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines(text)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** Ansible's OS_FAMILY_MAP (module_utils/facts/system/distribution.py), as distribution → family. */
const OS_FAMILY: Record<string, string> = {};
for (const [family, names] of Object.entries({
  RedHat: ['RedHat', 'RHEL', 'Fedora', 'CentOS', 'Scientific', 'SLC', 'Ascendos', 'CloudLinux', 'PSBM', 'OracleLinux', 'OVS', 'OEL', 'Amazon',
    'Virtuozzo', 'XenServer', 'Alibaba', 'EulerOS', 'openEuler', 'AlmaLinux', 'Rocky', 'TencentOS', 'EuroLinux', 'Kylin Linux Advanced Server'],
  Debian: ['Debian', 'Ubuntu', 'Raspbian', 'Neon', 'KDE neon', 'Linux Mint', 'SteamOS', 'Devuan', 'Kali', 'Cumulus Linux', 'Pop!_OS', 'Parrot',
    'Pardus GNU/Linux', 'Uos', 'Deepin', 'OSMC'],
  Suse: ['SuSE', 'SLES', 'SLED', 'openSUSE', 'openSUSE Tumbleweed', 'SLES_SAP', 'SUSE_LINUX', 'openSUSE Leap'],
  Archlinux: ['Archlinux', 'Antergos', 'Manjaro'],
  Mandrake: ['Mandrake', 'Mandriva'],
  Slackware: ['Slackware'],
  Altlinux: ['Altlinux'],
  Gentoo: ['Gentoo', 'Funtoo'],
  Alpine: ['Alpine'],
  ClearLinux: ['Clear Linux OS', 'Clear Linux Mix'],
})) for (const n of names) OS_FAMILY[n] = family;

/** Python's str.capitalize(): first character upper, the rest lower. */
const capitalize = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s);

/** distro's codename: VERSION_CODENAME, UBUNTU_CODENAME, else the words in VERSION's parentheses (or after its comma). */
function codename(os: Record<string, string>, releaseFile: string | undefined): string | undefined {
  if (os.VERSION_CODENAME !== undefined) return os.VERSION_CODENAME;
  if (os.UBUNTU_CODENAME !== undefined) return os.UBUNTU_CODENAME;
  const m = /(\(\D+\))|,\s*(\D+)/.exec(os.VERSION ?? '');
  if (m) return (m[1] ?? m[2] ?? '').replace(/[(),]/g, '').trim();
  const r = releaseFile ? /\(([^)]+)\)/.exec(releaseFile) : null;
  return r ? r[1]!.trim() : undefined;
}

/**
 * The distribution facts. Ansible first guesses from os-release (the `distro` library), then the first
 * release file of its OSDIST_LIST that parses overrides the name (and for Debian the minor version).
 */
export function distributionFacts(osText: string, distFilesText: string): FactDict {
  const os = parseOsRelease(osText);
  const files = new Map<string, string>();
  for (const chunk of distFilesText.split(/^==/m).slice(1)) {
    const nl = chunk.indexOf('\n');
    files.set(chunk.slice(0, nl), chunk.slice(nl + 1).replace(/\n$/, ''));
  }
  const id = (os.ID ?? '').toLowerCase().replace(/ /g, '_');
  let guess = capitalize(id);
  if (guess === 'Amzn') guess = 'Amazon';
  else if (guess === 'Rhel') guess = 'Redhat';
  else if (!guess) guess = 'OtherLinux';
  let version = os.VERSION_ID ?? '';
  const debianVersion = files.get('/etc/debian_version')?.trim();
  // distro.version(best=True) for Debian and CentOS: the most precise version any source gives
  if (id === 'debian' && debianVersion && /^\d+(\.\d+)+$/.test(debianVersion) && debianVersion.split('.').length > version.split('.').length) version = debianVersion;
  const centos = files.get('/etc/centos-release');
  if (id === 'centos' && centos) {
    const v = /(\d+(?:\.\d+)*)/.exec(centos)?.[1];
    if (v && v.split('.').length > version.split('.').length) version = v.split('.').slice(0, 2).join('.');
  }
  const redhatFile = files.get('/etc/redhat-release') ?? files.get('/etc/centos-release') ?? files.get('/etc/system-release');
  const rel = codename(os, redhatFile);
  const f: FactDict = {
    distribution: guess,
    distribution_version: version || 'NA',
    distribution_release: rel === undefined || rel === '' ? 'NA' : rel,
  };
  f.distribution_major_version = String(f.distribution_version).split('.')[0] || 'NA';

  const found = (name: string, path: string, extra: FactDict = {}): FactDict => {
    Object.assign(f, { distribution: name, distribution_file_path: path, distribution_file_variety: name, distribution_file_parsed: true }, extra);
    return f;
  };
  const strip = (s: string) => s.replace(/^['"\\]+|['"\\]+$/g, '');
  const searchString = (name: string, path: string, search: string): FactDict | undefined => {
    const data = files.get(path);
    if (data === undefined || data.trim() === '') return undefined;
    const d = strip(data);
    return d.includes(search)
      ? found(name, path, { distribution_file_search_string: search })
      : found(name, path, { distribution: d.split(/\s+/)[0] });
  };
  const done =
    searchString('Altlinux', '/etc/altlinux-release', 'ALT') ??
    searchString('OracleLinux', '/etc/oracle-release', 'Oracle Linux') ??
    (files.get('/etc/centos-release')?.trim() ? found('CentOS', '/etc/centos-release', /CentOS Stream/.test(files.get('/etc/centos-release')!) ? { distribution_release: 'Stream' } : {}) : undefined) ??
    searchString('RedHat', '/etc/redhat-release', 'Red Hat') ??
    (osText.includes('Amazon') ? found('Amazon', '/etc/os-release', amazonVersion(os)) : undefined) ??
    (files.get('/etc/system-release')?.includes('Amazon') ? found('Amazon', '/etc/system-release') : undefined) ??
    (files.get('/etc/alpine-release')?.trim() ? found('Alpine', '/etc/alpine-release', { distribution_version: files.get('/etc/alpine-release')!.trim() }) : undefined) ??
    (files.has('/etc/arch-release') ? found('Archlinux', '/etc/arch-release') : undefined) ??
    (osText.includes('Arch Linux') ? found('Archlinux', '/etc/os-release') : undefined) ??
    (osText.toLowerCase().includes('suse') ? found('SUSE', '/etc/os-release', suseFacts(os)) : undefined) ??
    debianFacts(osText, '/etc/os-release', debianVersion, found) ??
    debianFacts(files.get('/etc/lsb-release') ?? '', '/etc/lsb-release', debianVersion, found);
  if (!done && osText.trim()) {
    found('NA', '/etc/os-release', { distribution: os.NAME ?? 'NA' });
    if (f.distribution_version === 'NA' && os.VERSION) f.distribution_version = os.VERSION;
  }
  f.os_family = OS_FAMILY[String(f.distribution)] ?? f.distribution;
  return f;
}

function amazonVersion(os: Record<string, string>): FactDict {
  const v = os.VERSION_ID;
  if (v === undefined) return {};
  const [major, minor] = v.split('.');
  return { distribution_version: v, distribution_major_version: major, distribution_minor_version: minor ?? 'NA' };
}

function suseFacts(os: Record<string, string>): FactDict {
  const out: FactDict = {};
  if (os.NAME) out.distribution = os.NAME;
  const v = /^([0-9]+\.?[0-9]*)/.exec(os.VERSION_ID ?? '')?.[1];
  if (v) Object.assign(out, { distribution_version: v, distribution_major_version: v.split('.')[0] });
  return out;
}

function debianFacts(data: string, path: string, debianVersion: string | undefined, found: (n: string, p: string, e?: FactDict) => FactDict): FactDict | undefined {
  if (!data) return undefined;
  if (data.includes('Debian') || data.includes('Raspbian')) {
    const extra: FactDict = {};
    const rel = /PRETTY_NAME=[^(]+ \(?([^)]+?)\)/.exec(data);
    if (rel) extra.distribution_release = rel[1];
    const m = /(\d+)\.(\d+)/.exec(debianVersion ?? '');
    if (m) extra.distribution_minor_version = m[2];
    return found('Debian', path, extra);
  }
  for (const name of ['Ubuntu', 'SteamOS', 'Kali', 'Parrot', 'Devuan']) {
    if (data.includes(name)) {
      const extra: FactDict = { distribution: name };
      if (name === 'Devuan') {
        const v = /VERSION_ID="(.*)"/.exec(data)?.[1];
        if (v) Object.assign(extra, { distribution_version: v, distribution_major_version: v });
      }
      return found('Debian', path, extra);
    }
  }
  return undefined;
}

/** ansible_lsb from `lsb_release -a` (or /etc/lsb-release's DISTRIB_* lines when the command is missing). */
export function lsbFacts(lsbOut: string, lsbReleaseFile: string | undefined): FactDict {
  const lsb: Record<string, string> = {};
  if (lsbOut.trim()) {
    for (const l of lines(lsbOut)) {
      const i = l.indexOf(':');
      if (i < 0) continue;
      const v = l.slice(i + 1).trim();
      if (l.startsWith('LSB Version:')) lsb.release = v;
      else if (l.startsWith('Distributor ID:')) lsb.id = v;
      else if (l.startsWith('Description:')) lsb.description = v;
      else if (l.startsWith('Release:')) lsb.release = v;
      else if (l.startsWith('Codename:')) lsb.codename = v;
    }
  } else if (lsbReleaseFile) {
    for (const l of lines(lsbReleaseFile)) {
      const m = /^DISTRIB_(ID|RELEASE|DESCRIPTION|CODENAME)=(.*)$/.exec(l);
      if (m) lsb[m[1]!.toLowerCase()] = m[2]!.replace(/^["']|["']$/g, '');
    }
  }
  if (lsb.release !== undefined) lsb.major_release = lsb.release.split('.')[0]!;
  return { lsb };
}

/** ansible_pkg_mgr: the last of Ansible's PKG_MGRS present, then the family defaults. */
export function pkgMgrFacts(text: string, dist: FactDict): FactDict {
  const present = new Set(lines(text));
  let name = 'unknown';
  for (const [p, n] of PKG_MGR_PATHS) if (present.has(p)) name = n;
  const family = dist.os_family;
  if (family === 'RedHat') {
    const major = Number.parseInt(String(dist.distribution_major_version), 10);
    const has = (n: string) => PKG_MGR_PATHS.some(([p, m]) => m === n && present.has(p));
    if (present.has('ostree-booted')) name = 'atomic_container';
    else if (dist.distribution === 'Fedora') name = Number.isNaN(major) ? 'dnf' : major < 23 ? (has('yum') ? 'yum' : name) : has('dnf') ? 'dnf' : name;
    else if (dist.distribution === 'Amazon') name = Number.isNaN(major) ? 'dnf' : major < 2022 ? (has('yum') ? 'yum' : name) : has('dnf') ? 'dnf' : name;
    else name = major < 8 ? 'yum' : 'dnf';
  } else if (family === 'Debian' && name !== 'apt') name = 'apt';
  else if (family === 'Altlinux' && name === 'apt') name = 'apt_rpm';
  if (name === 'apt' && present.has('apt-rpm')) name = 'apt_rpm';
  return { pkg_mgr: name };
}

/** ansible_service_mgr: PID 1's name unless it is `init` or a shell, else systemd/upstart/openrc/sysvinit by their marks. */
export function serviceMgrFacts(text: string): FactDict {
  const l = lines(text);
  const val = (k: string) => l.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1);
  let p1 = val('comm') ?? val('init-link');
  if (p1 !== undefined) p1 = p1.split('/').pop()!.trim();
  if (p1 !== undefined && (p1 === 'init' || p1.endsWith('sh') || p1 === '')) p1 = undefined;
  if (p1 !== undefined) return { service_mgr: p1 };
  const has = (k: string) => l.includes(k);
  if (has('systemd-canary')) return { service_mgr: 'systemd' };
  if (has('upstart')) return { service_mgr: 'upstart' };
  if (has('openrc')) return { service_mgr: 'openrc' };
  if (/systemd/.test(val('init-link') ?? '')) return { service_mgr: 'systemd' };
  if (has('initd')) return { service_mgr: 'sysvinit' };
  return { service_mgr: 'service' };
}

/** ansible_user_* (getpass.getuser() and the password database entry). */
export function userFacts(text: string): FactDict {
  const l = (text ?? '').split('\n');
  const [logname, user, lname, username, uid, gid, ruid, rgid, idName, pw] = l;
  const name = logname || user || lname || username || idName || '';
  const f: FactDict = { user_id: name };
  const p = (pw ?? '').split(':');
  if (p.length >= 7) Object.assign(f, { user_uid: Number(p[2]), user_gid: Number(p[3]), user_gecos: p[4], user_dir: p[5], user_shell: p[6] });
  // os.getgid() twice: Ansible 2.14 reports the real group as the effective one too
  Object.assign(f, { real_user_id: Number(ruid), effective_user_id: Number(uid), real_group_id: Number(rgid), effective_group_id: Number(rgid) });
  void gid;
  return f;
}

/** ansible_python (the interpreter Ansible would run: /usr/bin/python3 first) and ansible_python_version. */
export function pythonFacts(text: string): FactDict {
  const [exe, ver, impl] = lines(text);
  if (!exe || !ver) return {};
  const [major, minor, micro, releaselevel, serial] = ver.split(' ');
  const version = { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel, serial: Number(serial) };
  return {
    python: { executable: exe, has_sslcontext: true, type: impl ?? 'cpython', version, version_info: [version.major, version.minor, version.micro, releaselevel, version.serial] },
    python_version: `${major}.${minor}.${micro}`,
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ansible_date_time from one `date` call (local fields) and its epoch (the UTC ones). */
export function dateTimeFacts(text: string): FactDict {
  const [now, jan, jul] = lines(text);
  const [Y, m, d, H, M, S, Z, z, A, w, W, s, N] = (now ?? '').split('|');
  if (!s) return {};
  const micro = (N ?? '000000000').padEnd(9, '0').slice(0, 6);
  const u = new Date(Number(s) * 1000);
  const utc = `${u.getUTCFullYear()}-${pad(u.getUTCMonth() + 1)}-${pad(u.getUTCDate())}T${pad(u.getUTCHours())}:${pad(u.getUTCMinutes())}:${pad(u.getUTCSeconds())}`;
  // time.tzname[1]: the daylight-saving name, i.e. the one with the larger offset of winter and summer
  const [jz, jo] = (jan ?? '').split('|');
  const [uz, uo] = (jul ?? '').split('|');
  const dst = jz && uz ? (Number(uo) > Number(jo) ? uz : Number(jo) > Number(uo) ? jz : jz) : Z;
  return {
    date_time: {
      year: Y, month: m, weekday: A, weekday_number: w, weeknumber: W, day: d, hour: H, minute: M, second: S,
      epoch: s, epoch_int: String(Number(s)), date: `${Y}-${m}-${d}`, time: `${H}:${M}:${S}`,
      iso8601_micro: `${utc}.${micro}Z`, iso8601: `${utc}Z`, iso8601_basic: `${Y}${m}${d}T${H}${M}${S}${micro}`,
      iso8601_basic_short: `${Y}${m}${d}T${H}${M}${S}`, tz: Z, tz_dst: dst, tz_offset: z,
    },
  };
}

/** ansible_env from `env -0` (or plain `env` where -0 is missing). */
export function envFacts(text: string): FactDict {
  const env: Record<string, string> = {};
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
  }
  return { env };
}

/** ansible_dns from /etc/resolv.conf. */
export function dnsFacts(text: string): FactDict {
  const dns: Record<string, unknown> = {};
  for (const raw of lines(text)) {
    const l = raw.trim();
    if (l.startsWith('#') || l.startsWith(';') || !l) continue;
    const [k, ...rest] = l.split(/\s+/);
    if (k === 'nameserver' && rest[0]) ((dns.nameservers ??= []) as string[]).push(rest[0]);
    else if (k === 'domain' && rest[0]) dns.domain = rest[0];
    else if (k === 'search') dns.search = [...((dns.search as string[] | undefined) ?? []), ...rest];
    else if (k === 'sortlist') dns.sortlist = [...((dns.sortlist as string[] | undefined) ?? []), ...rest];
    else if (k === 'options') {
      const o = (dns.options ??= {}) as Record<string, unknown>;
      for (const opt of rest) {
        const j = opt.indexOf(':');
        if (j > 0) o[opt.slice(0, j)] = opt.slice(j + 1);
        else o[opt] = true;
      }
    }
  }
  return { dns };
}

/** uname, hostnames, architecture, machine id (Ansible's platform collector). */
export function platformFacts(uname: string, machineId: string, pyVersion: string | undefined): FactDict {
  const [system, node, kernel, kernelVersion, machine, fqdnRaw, bits] = (uname ?? '').split('\n');
  const nodename = node ?? '';
  const fqdn = fqdnRaw || nodename;
  const f: FactDict = {
    system: system ?? '', kernel: kernel ?? '', kernel_version: kernelVersion ?? '', machine: machine ?? '',
    userspace_bits: bits ?? '', architecture: machine ?? '',
    nodename, hostname: nodename.split('.')[0], fqdn, domain: fqdn.split('.').slice(1).join('.'),
  };
  if (pyVersion) f.python_version = pyVersion;
  if (machine === 'x86_64') {
    if (bits === '64') f.userspace_architecture = 'x86_64';
    else if (bits === '32') f.userspace_architecture = 'i386';
  } else if (/i[3-6]86/.test(machine ?? '')) {
    f.architecture = 'i386';
  }
  const id = machineId.trim();
  if (id) f.machine_id = id;
  return f;
}
