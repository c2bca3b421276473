// The fact probe: one POSIX sh script per host (one request), assembled from the sections the
// gather_subset asks for. Each section prints a marker line and the raw text it read; the parsing
// (system.ts, hardware.ts, network.ts) happens on the control node, so the host
// runs only read-only commands it already has (cat, uname, id, ip, stat, date) and, when present,
// python3 once for ansible_python. Shell builtins (`read`) read the many small sysfs files: a fork
// per file would cost more than the rest of the probe.

/** The groups of facts, as Ansible's collectors name them (gather_subset values). */
export const FACT_GROUPS = ['platform', 'distribution', 'lsb', 'pkg_mgr', 'service_mgr', 'user', 'python', 'date_time', 'env', 'dns', 'hardware', 'network'] as const;
export type FactGroup = (typeof FACT_GROUPS)[number];

/** Ansible's minimal set (collected unless `!min`). bosun has no collector for its others (apparmor, caps, cmdline, fips, local, selinux, ssh_pub_keys). */
export const MIN_GROUPS: readonly FactGroup[] = ['platform', 'distribution', 'lsb', 'pkg_mgr', 'service_mgr', 'user', 'python', 'date_time', 'env', 'dns'];

export const MARK = '@@@bosun-facts:';

const S = (name: string): string => `printf '\\n${MARK}%s\\n' ${name}`;

/** Files Ansible's distribution collector reads (OSDIST_LIST), plus /etc/debian_version for the minor version. */
const DIST_FILES = [
  '/etc/altlinux-release', '/etc/oracle-release', '/etc/slackware-version', '/etc/centos-release', '/etc/redhat-release',
  '/etc/openwrt_release', '/etc/system-release', '/etc/alpine-release', '/etc/arch-release', '/etc/SuSE-release',
  '/etc/gentoo-release', '/etc/lsb-release', '/etc/debian_version',
];

/** Ansible's PKG_MGRS paths (lib/ansible/module_utils/facts/system/pkg_mgr.py), in its order. */
export const PKG_MGR_PATHS: ReadonlyArray<[string, string]> = [
  ['/usr/bin/rpm-ostree', 'atomic_container'], ['/usr/bin/yum', 'yum'], ['/usr/bin/dnf', 'dnf'], ['/usr/bin/apt-get', 'apt'],
  ['/usr/bin/zypper', 'zypper'], ['/usr/sbin/urpmi', 'urpmi'], ['/usr/bin/pacman', 'pacman'], ['/bin/opkg', 'opkg'],
  ['/usr/pkg/bin/pkgin', 'pkgin'], ['/opt/local/bin/pkgin', 'pkgin'], ['/opt/tools/bin/pkgin', 'pkgin'], ['/opt/local/bin/port', 'macports'],
  ['/usr/local/bin/brew', 'homebrew'], ['/opt/homebrew/bin/brew', 'homebrew'], ['/sbin/apk', 'apk'], ['/usr/sbin/pkg', 'pkgng'],
  ['/usr/sbin/swlist', 'swdepot'], ['/usr/bin/emerge', 'portage'], ['/usr/sbin/pkgadd', 'svr4pkg'], ['/usr/bin/pkg', 'pkg5'],
  ['/usr/bin/xbps-install', 'xbps'], ['/usr/local/sbin/pkg', 'pkgng'], ['/usr/bin/swupd', 'swupd'], ['/usr/sbin/sorcery', 'sorcery'],
  ['/usr/bin/installp', 'installp'],
];

const SECTIONS: Record<FactGroup, string[]> = {
  platform: [
    S('uname'),
    'uname -s; uname -n; uname -r; uname -v; uname -m',
    '(hostname -f 2>/dev/null || uname -n)',
    'getconf LONG_BIT 2>/dev/null || echo',
    S('machine_id'),
    'cat /var/lib/dbus/machine-id 2>/dev/null || cat /etc/machine-id 2>/dev/null',
  ],
  distribution: [
    S('os_release'),
    'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null',
    S('dist_files'),
    `for f in ${DIST_FILES.join(' ')}; do if [ -f "$f" ]; then printf '==%s\\n' "$f"; head -c 4096 "$f"; echo; fi; done`,
  ],
  lsb: [S('lsb'), 'if command -v lsb_release >/dev/null 2>&1; then lsb_release -a 2>/dev/null; fi'],
  pkg_mgr: [
    S('pkg_mgr'),
    `for p in ${[...new Set(PKG_MGR_PATHS.map(([p]) => p))].join(' ')}; do [ -e "$p" ] && echo "$p"; done`,
    '[ -e /run/ostree-booted ] && echo ostree-booted',
    // APT-RPM or dpkg's APT (as Ansible asks rpm whether it owns apt-get)
    '[ -e /usr/bin/rpm ] && [ -e /usr/bin/apt-get ] && /usr/bin/rpm -q --whatprovides /usr/bin/apt-get >/dev/null 2>&1 && echo apt-rpm',
    ':',
  ],
  service_mgr: [
    S('service_mgr'),
    'if [ -r /proc/1/comm ]; then read -r c < /proc/1/comm && echo "comm=$c"; fi',
    'if command -v systemctl >/dev/null 2>&1; then for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do [ -e "$c" ] && echo systemd-canary && break; done; fi',
    '[ -L /sbin/init ] && echo "init-link=$(readlink /sbin/init)"',
    'command -v initctl >/dev/null 2>&1 && [ -e /etc/init/ ] && echo upstart',
    '[ -e /sbin/openrc ] && echo openrc',
    '[ -e /etc/init.d/ ] && echo initd',
    ':',
  ],
  user: [
    S('user'),
    // getpass.getuser(): LOGNAME, USER, LNAME, USERNAME, then the password database
    'printf "%s\\n" "${LOGNAME-}" "${USER-}" "${LNAME-}" "${USERNAME-}"',
    'id -u; id -g; id -ru; id -rg; id -un',
    'u=${LOGNAME:-${USER:-${LNAME:-${USERNAME:-$(id -un)}}}}',
    'getent passwd "$u" 2>/dev/null || getent passwd "$(id -u)" 2>/dev/null || echo',
  ],
  python: [
    S('python'),
    'for p in /usr/bin/python3 /usr/libexec/platform-python /usr/bin/python; do if [ -x "$p" ]; then echo "$p"; "$p" -c "import sys; print(\' \'.join(map(str, sys.version_info))); print(sys.implementation.name)" 2>/dev/null; break; fi; done',
  ],
  date_time: [
    S('date_time'),
    "date '+%Y|%m|%d|%H|%M|%S|%Z|%z|%A|%w|%W|%s|%N'",
    // time.tzname[1]: the zone's name in summer and in winter (whichever has daylight saving time)
    "y=$(date +%Y); date -d \"$y-01-01 12:00\" '+%Z|%z' 2>/dev/null; date -d \"$y-07-01 12:00\" '+%Z|%z' 2>/dev/null",
  ],
  // OLDPWD is the channel's own (it changes directory before each request), not the login's
  env: [S('env'), '(unset OLDPWD; env -0 2>/dev/null || env)'],
  dns: [S('dns'), 'cat /etc/resolv.conf 2>/dev/null || :'],
  hardware: [
    S('meminfo'),
    'cat /proc/meminfo 2>/dev/null',
    S('cpuinfo'),
    'cat /proc/cpuinfo 2>/dev/null',
    S('cpu_extra'),
    'echo "nproc=$(nproc 2>/dev/null)"',
    '[ -e /proc/xen ] && echo xen',
    '[ -r /sys/hypervisor/type ] && read -r h < /sys/hypervisor/type && echo "hypervisor=$h"',
    S('mtab'),
    'if [ -e /etc/mtab ]; then m=/etc/mtab; else m=/proc/mounts; fi; cat "$m" 2>/dev/null',
    S('findmnt'),
    'command -v findmnt >/dev/null 2>&1 && findmnt --list --noheadings --notruncate 2>/dev/null',
    S('lsblk'),
    'command -v lsblk >/dev/null 2>&1 && lsblk --list --noheadings --paths --output NAME,UUID --exclude 2 2>/dev/null',
    S('statfs'),
    // statvfs of every mount Ansible reports (a device path or host:/path); \\040-style escapes decoded
    'T=; command -v timeout >/dev/null 2>&1 && T="timeout 10"',
    `while read -r d p t r; do case "$d" in /*|\\\\*|*:/*) q=$(printf '%b' "$(printf '%s' "$p" | sed 's/\\\\\\([0-7][0-7][0-7]\\)/\\\\0\\1/g')"); printf '%s %s\\n' "$p" "$($T stat -f -c '%s %S %b %a %c %d' -- "$q" 2>/dev/null)";; esac; done < "$m"`,
  ],
  network: [
    S('net'),
    'for d in $(ls -U /sys/class/net 2>/dev/null); do',
    '  p=/sys/class/net/$d; [ -d "$p" ] || continue; printf "==%s\\n" "$d"',
    '  for f in address mtu operstate type speed flags; do [ -e "$p/$f" ] && read -r v < "$p/$f" 2>/dev/null && printf "%s=%s\\n" "$f" "$v"; done',
    '  [ -e "$p/device/driver/module" ] && echo "module=$(basename "$(readlink -f "$p/device/driver/module")")"',
    '  [ -e "$p/device" ] && echo "pciid=$(basename "$(readlink "$p/device")")"',
    '  if [ -e "$p/bridge" ]; then echo "bridge=$(ls "$p/brif" 2>/dev/null | tr "\\n" " ")"; [ -e "$p/bridge/bridge_id" ] && read -r v < "$p/bridge/bridge_id" && echo "bridge_id=$v"; [ -e "$p/bridge/stp_state" ] && read -r v < "$p/bridge/stp_state" && echo "stp_state=$v"; fi',
    '  if [ -e "$p/bonding" ]; then for f in slaves mode miimon lacp_rate primary all_slaves_active; do v=; [ -e "$p/bonding/$f" ] && read -r v < "$p/bonding/$f"; echo "bond_$f=$v"; done; fi',
    '  [ -e "$p/bonding_slave" ] && read -r v < "$p/bonding_slave/perm_hwaddr" && echo "perm_macaddress=$v"',
    'done',
    S('ip_primary'),
    'ip addr show primary 2>/dev/null || ip addr show 2>/dev/null',
    S('ip_secondary'),
    'ip addr show secondary 2>/dev/null',
    S('route4'),
    // a routing-table lookup only: nothing is sent to that address
    'ip -4 route get 8.8.8.8 2>/dev/null',
    S('route6'),
    'ip -6 route get 2404:6800:400a:800::1012 2>/dev/null',
    ':',
  ],
};

/** The probe for these groups; `init`/`user` (what bosun's own modules need) are always there. */
export function factsScript(groups: ReadonlySet<FactGroup>): string {
  const lines = [
    // bosun's service module decides systemd or SysV from these two words
    S('bosun'),
    'if [ -d /run/systemd/system ]; then echo init=systemd; elif [ -d /etc/init.d ]; then echo init=sysv; else echo init=unknown; fi',
    'echo "user=$(id -un 2>/dev/null)"',
  ];
  for (const g of FACT_GROUPS) if (groups.has(g)) lines.push(...SECTIONS[g]);
  lines.push('exit 0');
  return lines.join('\n');
}

/** Splits the probe's output into its sections. */
export function splitSections(out: string): Map<string, string> {
  const m = new Map<string, string>();
  const parts = out.split(`\n${MARK}`);
  for (const p of parts.slice(1)) {
    const nl = p.indexOf('\n');
    const name = nl < 0 ? p : p.slice(0, nl);
    m.set(name, nl < 0 ? '' : p.slice(nl + 1));
  }
  return m;
}
